#!/usr/bin/env node
/**
 * `crewgate`: the auditor's CLI over the recording store (DESIGN.md §7).
 *
 *   crewgate sessions [--subject S] [--connection C] [--since T] [--until T] [--decision Allow|Deny] [--limit N] [--json]
 *   crewgate replay SESSION [--speed N] [--no-wait] [--format text|asciicast]
 *   crewgate export --since T [--until T] [--format jsonl]
 *   crewgate verify SESSION [--final-hash H]
 *
 * The store is `--store URL` or `$CREWGATE_STORE_URL`, a PostgreSQL connection string for a reader
 * role. Exit codes: 0 done, 1 verification failed or a runtime error, 2 bad usage.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exportCommand, replayCommand, sessionsCommand, verifyCommand, type Output } from './commands.js';
import { StoreReader } from './store-reader.js';
import { parseTimeArgument } from './time-arguments.js';

const USAGE = `usage:
  crewgate sessions [--subject S] [--connection C] [--since T] [--until T] [--decision Allow|Deny] [--limit N] [--json]
  crewgate replay SESSION [--speed N] [--no-wait] [--format text|asciicast]
  crewgate export --since T [--until T] [--format jsonl]
  crewgate verify SESSION [--final-hash H]
options: --store URL (or CREWGATE_STORE_URL); T is ISO 8601 or a duration back from now (15m, 2h, 7d)`;

class UsageError extends Error {
  override name = 'UsageError';
}

export async function main(
  argv: string[],
  out: Output,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      subject: { type: 'string' },
      connection: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      decision: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      speed: { type: 'string' },
      'no-wait': { type: 'boolean' },
      format: { type: 'string' },
      'final-hash': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    out.line(USAGE);
    return values.help ? 0 : 2;
  }
  const store = values.store ?? env.CREWGATE_STORE_URL;
  if (!store) throw new UsageError('no store: pass --store URL or set CREWGATE_STORE_URL');
  const needSession = () => {
    if (!target) throw new UsageError(`${command} needs a SESSION`);
    return target;
  };
  const reader = await StoreReader.connect(store);
  try {
    switch (command) {
      case 'sessions': {
        const decision = values.decision;
        if (decision !== undefined && decision !== 'Allow' && decision !== 'Deny')
          throw new UsageError('--decision is Allow or Deny');
        return await sessionsCommand(
          reader,
          {
            subject: values.subject,
            connection: values.connection,
            since: values.since ? parseTimeArgument(values.since) : undefined,
            until: values.until ? parseTimeArgument(values.until) : undefined,
            decision,
            limit: values.limit ? Number(values.limit) : undefined,
          },
          out,
          values.json ?? false,
        );
      }
      case 'replay': {
        const speed = values.speed ? Number(values.speed) : 1;
        if (!(speed > 0)) throw new UsageError('--speed is a positive number');
        const format = values.format ?? 'text';
        if (format !== 'text' && format !== 'asciicast')
          throw new UsageError('--format is text or asciicast for replay');
        return await replayCommand(reader, needSession(), { speed, wait: !values['no-wait'], format }, out);
      }
      case 'export': {
        if (!values.since) throw new UsageError('export needs --since');
        if ((values.format ?? 'jsonl') !== 'jsonl') throw new UsageError('export writes --format jsonl only');
        return await exportCommand(
          reader,
          {
            since: parseTimeArgument(values.since),
            until: values.until ? parseTimeArgument(values.until) : new Date(8.64e15),
          },
          out,
        );
      }
      case 'verify':
        return await verifyCommand(reader, needSession(), values['final-hash'], out);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await reader.close();
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  const out: Output = { line: (t) => process.stdout.write(`${t}\n`), raw: (c) => process.stdout.write(c) };
  main(process.argv.slice(2), out).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const usage =
        error instanceof UsageError ||
        (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
      console.error(`crewgate: ${error instanceof Error ? error.message : String(error)}`);
      if (usage) console.error(USAGE);
      process.exitCode = usage ? 2 : 1;
    },
  );
}
