#!/usr/bin/env bash
# Puts `kubectl-crewgate` on the PATH so `kubectl crewgate ...` works: a symlink to
# scripts/kubectl-crewgate in $CREWGATE_PLUGIN_DIR, else /usr/local/bin when writable, else
# ~/.local/bin. Idempotent; never overwrites a kubectl-crewgate that is not ours.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
launcher="$root/scripts/kubectl-crewgate"
dir=${CREWGATE_PLUGIN_DIR:-}
if [[ -z $dir ]]; then
  if [[ -w /usr/local/bin ]]; then dir=/usr/local/bin; else dir="$HOME/.local/bin"; fi
fi
mkdir -p "$dir"
link="$dir/kubectl-crewgate"
if [[ -e $link && ! -L $link ]]; then
  echo "install-plugin: $link exists and is not a symlink; leaving it alone" >&2
  exit 1
fi
ln -sfn "$launcher" "$link"
echo "kubectl-crewgate -> $launcher (in $dir)"
case ":$PATH:" in
  *":$dir:"*) ;;
  *) echo "note: $dir is not on your PATH; add it for \`kubectl crewgate\` to work" >&2 ;;
esac
