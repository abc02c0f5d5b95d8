/**
 * Programs that run other programs. `sudo rm`, `xargs rm`, `find -exec rm`, `bash -c 'rm'` and
 * `eval rm` all run `rm`; a policy on `rm` must see it. The table is data: each entry reads the
 * wrapper's arguments the way the wrapper itself does (its man page and getopt string) and says
 * what it runs.
 *
 * Sources: sudo(8) and sudo's `parse_args.c`; env(1), timeout(1), nice(1), nohup(1),
 * stdbuf(1), chroot(8) from GNU coreutils; xargs(1) and find(1) from GNU findutils; ionice(1),
 * setsid(1), flock(1), su(1), runuser(1) from util-linux; watch(1) from procps; doas(1); busybox;
 * and the bash manual for `exec`, `command`, `builtin`, `time`, `eval`, `trap`, `coproc`,
 * `source`, `alias` and the shells' own `-c` / `-s` invocation.
 */
import { hasOption, optionValue, scanOptions, type OptionSpec, type ScannedOption } from './options.js';
import { literalWord, type Word } from './word.js';

/** What a wrapper runs. */
export type Wrapped =
  /** Another program with these words (its argv). */
  | { kind: 'command'; words: Word[] }
  /** Shell source handed to a shell (`bash -c`, `eval`, `watch`, `su -c`). */
  | { kind: 'script'; source: string }
  /** A shell that reads its commands from standard input (`bash`, `bash -s`, `sudo -s`). */
  | { kind: 'stdin-shell' }
  /** The arguments cannot be read safely; the whole input fails closed. */
  | { kind: 'fail'; reason: string };

type Handler = (program: string, args: Word[]) => Wrapped[];

const NOTHING: Wrapped[] = [];
const fail = (reason: string): Wrapped[] => [{ kind: 'fail', reason }];
const command = (words: Word[]): Wrapped[] => (words.length > 0 ? [{ kind: 'command', words }] : NOTHING);

/** A literal script: a word that is the same whatever the environment. */
function scriptFrom(program: string, what: string, word: Word | undefined): Wrapped[] {
  if (!word) return NOTHING;
  if (!word.literal || word.splits) return fail(`${program}: ${what} is not a literal`);
  return [{ kind: 'script', source: word.value }];
}

/** Words joined with spaces and run by a shell (`eval`, `watch`): each must be literal. */
function joinedScript(program: string, words: Word[]): Wrapped[] {
  if (words.length === 0) return NOTHING;
  const bad = words.find((w) => !w.literal || w.splits);
  if (bad)
    return fail(`${program}: "${bad.value}" is not a literal, and ${program} runs its words as shell code`);
  return [{ kind: 'script', source: words.map((w) => w.value).join(' ') }];
}

/**
 * Skips leading `NAME=value` words (env, sudo) and returns the index of the command. A word that
 * may split into several fails: it could be an assignment followed by a program.
 */
function skipAssignments(program: string, args: Word[], from: number, nameAtStart: boolean): number | string {
  let i = from;
  for (; i < args.length; i++) {
    const w = args[i] as Word;
    const eq = w.prefix.indexOf('=');
    const isAssignment = nameAtStart ? eq > 0 : eq >= 0;
    if (w.splits) return `${program}: "${w.value}" may expand to several words before the command`;
    if (!isAssignment) break;
  }
  return i;
}

/** Scan options, then hand the rest to `then`; a scan failure fails closed. */
function withOptions(
  program: string,
  args: Word[],
  spec: OptionSpec,
  then: (options: ScannedOption[], rest: Word[]) => Wrapped[],
): Wrapped[] {
  const scanned = scanOptions(program, args, spec);
  if (!scanned.ok) return fail(scanned.reason);
  return then(scanned.options, args.slice(scanned.next));
}

/** A wrapper whose operands are the command to run: `nohup CMD`, `stdbuf -oL CMD`. */
const prefix =
  (spec: OptionSpec, noCommandIf: string[] = []): Handler =>
  (program, args) =>
    withOptions(program, args, spec, (options, rest) =>
      hasOption(options, ...noCommandIf) ? NOTHING : command(rest),
    );

/** A wrapper that takes `count` operands before the command: `timeout 5 CMD`, `chroot DIR CMD`. */
const afterOperands =
  (spec: OptionSpec, count: number, whenNoCommand: Wrapped[] = NOTHING): Handler =>
  (program, args) =>
    withOptions(program, args, spec, (_options, rest) => {
      const operands = rest.slice(0, count);
      const bad = operands.find((w) => w.splits);
      if (bad) return fail(`${program}: operand "${bad.value}" may expand to several words`);
      if (rest.length <= count) return rest.length === count ? whenNoCommand : NOTHING;
      return command(rest.slice(count));
    });

const HELP_VERSION = { help: 'none', version: 'none' } as const;

const SHELL_SPEC: OptionSpec = {
  short: 'abcefhiklmnprstuvxBCDEHIPTVXo:O:',
  plus: true,
  long: {
    login: 'none',
    norc: 'none',
    noprofile: 'none',
    rcfile: 'required',
    'init-file': 'required',
    posix: 'none',
    verbose: 'none',
    restricted: 'none',
    noediting: 'none',
    debugger: 'none',
    'dump-strings': 'none',
    'dump-po-strings': 'none',
    'pretty-print': 'none',
    ...HELP_VERSION,
  },
};

const STDIN_PATHS = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/** `bash -c SCRIPT`, `bash -lc SCRIPT`, `bash -s`, `bash` (stdin) or `bash FILE` (unknown). */
function shell(program: string, args: Word[]): Wrapped[] {
  const scanned = scanOptions(program, args, SHELL_SPEC);
  if (!scanned.ok) return fail(scanned.reason);
  const flags = new Set(scanned.options.map((o) => o.name));
  // A lone `-` is the same as `--` (bash(1), "OPTIONS").
  const first = args[scanned.next];
  const operands = args.slice(scanned.next + (first?.literal && first.value === '-' ? 1 : 0));
  if (flags.has('c')) {
    if (operands.length === 0) return NOTHING;
    return scriptFrom(program, 'the -c script', operands[0]);
  }
  if (flags.has('s') || operands.length === 0) return [{ kind: 'stdin-shell' }];
  // A script file that is (or, unknown, may be) standard input is the same as no script file.
  const script = operands[0] as Word;
  return !script.literal || STDIN_PATHS.has(script.value) ? [{ kind: 'stdin-shell' }] : NOTHING;
}

const SUDO_SPEC: OptionSpec = {
  short: 'Aa:BbC:c:D:Eeg:Hh::iKklNnPp:R:r:SsT:t:U:u:Vv',
  long: {
    askpass: 'none',
    'auth-type': 'required',
    background: 'none',
    bell: 'none',
    'close-from': 'required',
    chdir: 'required',
    'preserve-env': 'optional',
    edit: 'none',
    group: 'required',
    'set-home': 'none',
    host: 'required',
    login: 'none',
    'login-class': 'required',
    'remove-timestamp': 'none',
    'reset-timestamp': 'none',
    list: 'none',
    'non-interactive': 'none',
    'preserve-groups': 'none',
    prompt: 'required',
    chroot: 'required',
    role: 'required',
    stdin: 'none',
    shell: 'none',
    type: 'required',
    'command-timeout': 'required',
    'other-user': 'required',
    user: 'required',
    validate: 'none',
    ...HELP_VERSION,
  },
};

function sudo(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, SUDO_SPEC, (options, rest) => {
    // sudoedit, --list, --validate, --help, --version and -K run no command.
    if (
      hasOption(options, 'e', 'edit', 'l', 'list', 'v', 'validate', 'K', 'remove-timestamp', 'V', 'version')
    )
      return NOTHING;
    if (options.some((o) => (o.name === 'h' && !o.value) || o.name === 'help')) return NOTHING;
    const start = skipAssignments(program, rest, 0, true);
    if (typeof start === 'string') return fail(start);
    const words = rest.slice(start);
    if (words.length === 0)
      return hasOption(options, 's', 'shell', 'i', 'login') ? [{ kind: 'stdin-shell' }] : NOTHING;
    return command(words);
  });
}

const DOAS_SPEC: OptionSpec = { short: 'a:C:Lnsu:' };

function doas(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, DOAS_SPEC, (options, rest) => {
    if (hasOption(options, 'C', 'L')) return NOTHING;
    if (rest.length === 0) return hasOption(options, 's') ? [{ kind: 'stdin-shell' }] : NOTHING;
    return command(rest);
  });
}

const SU_SPEC: OptionSpec = {
  short: 'c:fg:G:lmpPs:w:hV',
  long: {
    command: 'required',
    'session-command': 'required',
    fast: 'none',
    group: 'required',
    'supp-group': 'required',
    login: 'none',
    'preserve-environment': 'none',
    pty: 'none',
    shell: 'required',
    'whitelist-environment': 'required',
    user: 'required',
    ...HELP_VERSION,
  },
};

/** `su [opts] [-] [user [shell args]]`: `-c CMD` (before or after the user) runs CMD in a shell. */
function su(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, SU_SPEC, (options, rest) => {
    const cmd = optionValue(options, 'c', 'command', 'session-command');
    if (cmd) return scriptFrom(program, 'the -c command', cmd);
    let i = 0;
    if (rest[i]?.literal && rest[i]?.value === '-') i++;
    const user = rest[i];
    if (user?.splits) return fail(`${program}: user "${user.value}" may expand to several words`);
    if (user) i++;
    // Any further words go to the target user's shell.
    return rest.length > i ? shell(program, rest.slice(i)) : [{ kind: 'stdin-shell' }];
  });
}

const ENV_SPEC: OptionSpec = {
  short: 'iC:S:u:v0',
  long: {
    'ignore-environment': 'none',
    null: 'none',
    unset: 'required',
    chdir: 'required',
    'split-string': 'required',
    debug: 'none',
    'block-signal': 'optional',
    'default-signal': 'optional',
    'ignore-signal': 'optional',
    'list-signal-handling': 'none',
    ...HELP_VERSION,
  },
};

function env(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, ENV_SPEC, (options, rest) => {
    if (hasOption(options, 'S', 'split-string'))
      return fail(`${program}: -S splits a string into a command line; it is not supported`);
    if (hasOption(options, 'help', 'version', 'list-signal-handling')) return NOTHING;
    // A lone `-` right after the options is the historical spelling of -i.
    const from = rest[0]?.literal && rest[0].value === '-' ? 1 : 0;
    const start = skipAssignments(program, rest, from, false);
    if (typeof start === 'string') return fail(start);
    return command(rest.slice(start));
  });
}

const XARGS_SPEC: OptionSpec = {
  short: '0a:E:e::d:I:i::L:l::n:prP:s:txo',
  long: {
    null: 'none',
    'arg-file': 'required',
    delimiter: 'required',
    eof: 'optional',
    replace: 'optional',
    'max-lines': 'optional',
    'max-args': 'required',
    'max-procs': 'required',
    'max-chars': 'required',
    interactive: 'none',
    'no-run-if-empty': 'none',
    verbose: 'none',
    exit: 'none',
    'open-tty': 'none',
    'process-slot-var': 'required',
    'show-limits': 'none',
    ...HELP_VERSION,
  },
};

/** Words in which `placeholder` is replaced by input at run time are not literals any more. */
function withPlaceholder(words: Word[], placeholder: string): Word[] {
  return words.map((w) => {
    const at = w.value.indexOf(placeholder);
    return at < 0 ? w : { ...w, literal: false, prefix: w.prefix.slice(0, at) };
  });
}

/**
 * The words xargs appends from its input: unknown, and possibly several. Appending it to the
 * command makes `xargs sudo` or `xargs sh -c` fail closed, since there the input becomes the
 * program or the script; for `xargs rm` it is only arguments.
 */
const XARGS_INPUT: Word = {
  value: '(xargs input)',
  literal: false,
  splits: true,
  prefix: '',
  synthetic: true,
};

/** `xargs [opts] [CMD [args]]`: input lines become arguments of CMD (default `echo`). */
function xargs(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, XARGS_SPEC, (options, rest) => {
    if (hasOption(options, 'help', 'version', 'show-limits')) return NOTHING;
    const replace = options.find((o) => ['I', 'i', 'replace'].includes(o.name));
    const words = rest.length > 0 ? rest : [literalWord('echo')];
    if (!replace) return command([...words, XARGS_INPUT]);
    const placeholder = replace.value?.value ?? '{}';
    if (replace.value && !replace.value.literal)
      return fail(`${program}: the replacement string is not a literal`);
    return command(placeholder === '' ? words : withPlaceholder(words, placeholder));
  });
}

/** find primaries that take exactly one argument, so a non-literal word after them is data. */
const FIND_ONE_ARGUMENT = new Set(
  (
    'amin anewer atime cmin cnewer context ctime fls fprint fprint0 fstype gid group ilname iname inum ' +
    'ipath iregex iwholename links lname maxdepth mindepth mmin mtime name newer path perm regex ' +
    'regextype samefile size type uid used user wholename xtype files0-from D'
  )
    .split(' ')
    .map((p) => `-${p}`),
);

const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/**
 * `find ... -exec CMD ARGS ;` (also `+`, `-execdir`, `-ok`, `-okdir`). Any word whose value is not
 * known could itself be `-exec`, so it is only accepted where find reads it as data.
 */
function find(program: string, args: Word[]): Wrapped[] {
  const out: Wrapped[] = [];
  const isTerminator = (w: Word | undefined): boolean =>
    w?.literal === true && (w.value === ';' || w.value === '+');
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as Word;
    const previous = args[i - 1];
    if (w.splits) return fail(`${program}: "${w.value}" may expand to several words`);
    if (previous?.literal === true && FIND_ONE_ARGUMENT.has(previous.value)) continue;
    if (!w.literal) {
      // An unknown word could be `-exec`, making the words up to a terminator a command. If the
      // next word could be a program, it is listed as one; if it is unknown too, fail.
      const end = args.findIndex((a, k) => k > i && isTerminator(a));
      const next = args[i + 1];
      if (end < 0 || !next || /^[-(!]/.test(next.prefix)) continue;
      if (!next.literal) return fail(`${program}: "${w.value}" is expanded where a find primary is expected`);
      out.push(...command(withPlaceholder(args.slice(i + 1, end), '{}')));
      continue;
    }
    if (!FIND_EXEC.has(w.value)) continue;
    const start = i + 1;
    let end = start;
    while (end < args.length) {
      const a = args[end] as Word;
      if (a.splits) return fail(`${program}: "${a.value}" may expand to several words`);
      if (a.literal && (a.value === ';' || (a.value === '+' && args[end - 1]?.value === '{}'))) break;
      end++;
    }
    if (end >= args.length) return fail(`${program}: ${w.value} is not terminated by ";" or "+"`);
    out.push(...command(withPlaceholder(args.slice(start, end), '{}')));
    i = end;
  }
  return out;
}

const FLOCK_SPEC: OptionSpec = {
  short: 'sexnoFuw:E:hV',
  long: {
    shared: 'none',
    exclusive: 'none',
    unlock: 'none',
    nonblock: 'none',
    nb: 'none',
    close: 'none',
    'no-fork': 'none',
    timeout: 'required',
    wait: 'required',
    'conflict-exit-code': 'required',
    verbose: 'none',
    ...HELP_VERSION,
  },
};

/** `flock [opts] FILE CMD [args]` or `flock [opts] FILE -c CMD` (run by `sh -c`). */
function flock(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, FLOCK_SPEC, (_options, rest) => {
    const file = rest[0];
    if (!file || rest.length === 1) return NOTHING;
    if (file.splits) return fail(`${program}: "${file.value}" may expand to several words`);
    const next = rest[1] as Word;
    if (!next.literal) return fail(`${program}: "${next.value}" is expanded where the command is expected`);
    if (next.value === '-c' || next.value === '--command')
      return scriptFrom(program, 'the -c command', rest[2]);
    return command(rest.slice(1));
  });
}

const WATCH_SPEC: OptionSpec = {
  short: 'bcCd::eghn:pq:rtwxv',
  long: {
    beep: 'none',
    color: 'none',
    'no-color': 'none',
    differences: 'optional',
    errexit: 'none',
    chgexit: 'none',
    interval: 'required',
    precise: 'none',
    equexit: 'required',
    'no-rerun': 'none',
    'no-title': 'none',
    'no-wrap': 'none',
    exec: 'none',
    ...HELP_VERSION,
  },
};

/** `watch CMD...` joins its operands and runs them with `sh -c`; `watch -x` runs them as argv. */
function watch(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, WATCH_SPEC, (options, rest) => {
    if (hasOption(options, 'h', 'help', 'v', 'version')) return NOTHING;
    return hasOption(options, 'x', 'exec') ? command(rest) : joinedScript(program, rest);
  });
}

/** `eval [--] WORDS`: the words, joined with spaces, are parsed again as shell. */
function evalBuiltin(program: string, args: Word[]): Wrapped[] {
  const words = args[0]?.literal && args[0].value === '--' ? args.slice(1) : args;
  return joinedScript(program, words);
}

/** `trap [-lp] [[ACTION] SIGNAL...]`: ACTION is shell code run when the signal arrives. */
function trap(program: string, args: Word[]): Wrapped[] {
  let i = 0;
  while (args[i]?.literal && /^-[lpP]+$/.test(args[i]?.value ?? '')) i++;
  if (args[i]?.literal && args[i]?.value === '--') i++;
  if (args.length - i < 2) return NOTHING;
  const action = args[i] as Word;
  if (action.literal && (action.value === '-' || action.value === '')) return NOTHING;
  return scriptFrom(program, 'the trap action', action);
}

/** `source FILE` / `. FILE`: reads FILE as shell; standard input makes a here-document the script. */
function source(_program: string, args: Word[]): Wrapped[] {
  const file = args[0]?.literal && args[0].value === '--' ? args[1] : args[0];
  if (!file) return NOTHING;
  return !file.literal || STDIN_PATHS.has(file.value) ? [{ kind: 'stdin-shell' }] : NOTHING;
}

/**
 * `alias NAME=VALUE...`: with `shopt -s expand_aliases` (or in an interactive shell) VALUE runs
 * wherever NAME is later used as a command, so it is parsed as shell.
 */
function alias(program: string, args: Word[]): Wrapped[] {
  const out: Wrapped[] = [];
  for (const w of args) {
    const eq = w.prefix.indexOf('=');
    if (w.splits || (!w.literal && eq < 0)) return fail(`${program}: "${w.value}" is not a literal`);
    if (eq < 0) continue;
    out.push(...scriptFrom(program, 'the alias value', { ...w, value: w.value.slice(eq + 1) }));
  }
  return out;
}

/** `command [-pVv] CMD`: `-v` and `-V` only describe CMD. */
function commandBuiltin(program: string, args: Word[]): Wrapped[] {
  return withOptions(program, args, { short: 'pVv' }, (options, rest) =>
    hasOption(options, 'v', 'V') ? NOTHING : command(rest),
  );
}

/** `ionice -p PID...` changes running processes; otherwise the operands are the command. */
const IONICE_SPEC: OptionSpec = {
  short: 'c:n:p:P:u:thV',
  long: {
    class: 'required',
    classdata: 'required',
    pid: 'required',
    pgid: 'required',
    uid: 'required',
    ignore: 'none',
    ...HELP_VERSION,
  },
};

/** `busybox APPLET args` runs the applet, `busybox --list` and friends run nothing. */
function busybox(_program: string, args: Word[]): Wrapped[] {
  const first = args[0];
  if (!first || (first.literal && first.value.startsWith('-'))) return NOTHING;
  return command(args);
}

const SHELLS = ['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'pdksh', 'ash', 'rbash', 'yash', 'posh', 'fish'];

/** Wrappers by program basename. */
export const WRAPPERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...SHELLS.map((name): [string, Handler] => [name, shell]),
  ['sudo', sudo],
  ['doas', doas],
  ['su', su],
  ['runuser', su],
  ['env', env],
  ['xargs', xargs],
  ['find', find],
  [
    'timeout',
    afterOperands(
      {
        short: 'k:s:fpv',
        long: {
          'kill-after': 'required',
          signal: 'required',
          foreground: 'none',
          'preserve-status': 'none',
          verbose: 'none',
          ...HELP_VERSION,
        },
      },
      1,
    ),
  ],
  [
    'nice',
    prefix({ short: 'n:', numeric: true, long: { adjustment: 'required', ...HELP_VERSION } }, [
      'help',
      'version',
    ]),
  ],
  ['ionice', prefix(IONICE_SPEC, ['p', 'P', 'u', 'pid', 'pgid', 'uid', 'h', 'help', 'V', 'version'])],
  ['nohup', prefix({ short: '', long: HELP_VERSION }, ['help', 'version'])],
  ['exec', prefix({ short: 'cla:' })],
  ['command', commandBuiltin],
  ['builtin', prefix({ short: '' })],
  [
    'time',
    prefix(
      {
        short: 'af:o:pqvV',
        long: {
          append: 'none',
          format: 'required',
          output: 'required',
          portability: 'none',
          quiet: 'none',
          verbose: 'none',
          ...HELP_VERSION,
        },
      },
      ['V', 'help', 'version'],
    ),
  ],
  [
    'stdbuf',
    prefix(
      {
        short: 'i:o:e:',
        long: { input: 'required', output: 'required', error: 'required', ...HELP_VERSION },
      },
      ['help', 'version'],
    ),
  ],
  [
    'setsid',
    prefix({ short: 'cfwhV', long: { ctty: 'none', fork: 'none', wait: 'none', ...HELP_VERSION } }, [
      'h',
      'V',
      'help',
      'version',
    ]),
  ],
  [
    'chroot',
    afterOperands(
      {
        short: '',
        long: { userspec: 'required', groups: 'required', 'skip-chdir': 'none', ...HELP_VERSION },
      },
      1,
      [{ kind: 'stdin-shell' }],
    ),
  ],
  ['watch', watch],
  ['flock', flock],
  ['coproc', prefix({ short: '' })],
  ['busybox', busybox],
  ['eval', evalBuiltin],
  ['source', source],
  ['.', source],
  ['alias', alias],
  ['trap', trap],
]);
