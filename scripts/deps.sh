#!/usr/bin/env bash
# make deps: everything crewgate needs on a fresh Debian machine, unattended and idempotent.
# Each step says what it does and how long it took; a warm run takes seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEBIAN_PACKAGES=(
  postgresql postgresql-contrib postgresql-client   # server, pgbench, psql
  pgbouncer                                         # the benchmark's peer
  openssh-server openssh-client                     # sshd for the harness, ssh/scp clients
  python3-venv python3-psycopg                      # the CrewAI example; psycopg as an unchanged client
  wrk                                               # HTTP benchmark load
  python3-requests                                  # an unchanged Python HTTP client through the HTTP proxy
  build-essential python3                           # ssh2's native crypto binding
  bsdutils                                          # script(1): a real pty for the `kubectl exec -it` tests
)
SERVICE_USER=crewgate   # PostgreSQL refuses to run as root; the harness runs it as this user

step_started=0
step() { step_started=$(date +%s); printf '\n==> %s\n' "$*"; }
done_step() { printf '    done in %ss\n' "$(( $(date +%s) - step_started ))"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
all_started=$(date +%s)

step "Debian packages: ${DEBIAN_PACKAGES[*]}"
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "    all installed"
else
  echo "    installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
    { echo "cannot run apt-get (not root and no sudo): install ${missing[*]} by hand" >&2; exit 1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged services; the harness runs its own on free ports instead.
  as_root service postgresql stop >/dev/null 2>&1 || true
  as_root service ssh stop >/dev/null 2>&1 || true
fi
done_step

step "OS user '$SERVICE_USER' for servers that refuse root"
if [ "$(id -u)" -ne 0 ]; then
  echo "    not root: servers run as $(id -un)"
elif id "$SERVICE_USER" >/dev/null 2>&1; then
  echo "    exists"
else
  useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  echo "    created"
fi
done_step

step "npm packages (npm ci)"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f node_modules/.crewgate-lock-hash ] && [ "$(cat node_modules/.crewgate-lock-hash)" = "$lock_hash" ]; then
  echo "    up to date with package-lock.json"
else
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.crewgate-lock-hash
fi
done_step

step "Go-built binaries: kube-apiserver, kubectl, etcd, helm, kwok (cached per version)"
# kwok is the exec tests' kubelet (test/harness/kwok.ts): kubectl exec reaches a real local process.
bin_dir=$(scripts/deps/go-tools.sh kubernetes etcd helm kwok | tail -n 1)
echo "    in $bin_dir"
done_step

step "CrewAI example: Python venv with crewai (examples/crewai/crew/requirements.txt)"
# Debian's python3, so the venv sees python3-psycopg (the unchanged client the tools use); crewai and
# its dependencies come from PyPI, every version pinned. About 1 GB and 1.5 min on a cold pip cache.
crew_dir=examples/crewai/crew
req_hash=$(sha256sum "$crew_dir/requirements.txt" | cut -d' ' -f1)
if [ -f "$crew_dir/.venv/.crewgate-requirements-hash" ] && [ "$(cat "$crew_dir/.venv/.crewgate-requirements-hash")" = "$req_hash" ]; then
  echo "    up to date with requirements.txt"
else
  rm -rf "$crew_dir/.venv"
  /usr/bin/python3 -m venv --system-site-packages "$crew_dir/.venv"
  "$crew_dir/.venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$crew_dir/requirements.txt"
  echo "$req_hash" >"$crew_dir/.venv/.crewgate-requirements-hash"
fi
done_step

printf '\nmake deps: everything in place in %ss\n' "$(( $(date +%s) - all_started ))"
