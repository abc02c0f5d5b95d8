#!/usr/bin/env node
/**
 * `crewgate`: the auditor's CLI over the recording store (DESIGN.md §7).
 *
 *   crewgate sessions [--subject S] [--connection C] [--since T] [--until T] [--decision Allow|Deny] [--limit N] [--json]
 *   crewgate replay SESSION [--speed N] [--no-wait] [--format text|asciicast]
 *   crewgate export --since T [--until T] [--format jsonl]
 *   crewgate verify SESSION [--final-hash H | --kubeconfig FILE [--context C] [-n NS] | --no-events]
 *
 * `verify` also compares the chain's final hash with the copy the operator keeps (the pod's
 * `SessionRecorded` Event): read with `--kubeconfig`, else $KUBECONFIG or ~/.kube/config when there
 * is one. `--final-hash H` (e.g. from the operator's log, once Events expired) replaces the lookup.
 *
 * The store is `--store URL` or `$CREWGATE_STORE_URL`, a PostgreSQL connection string for a reader
 * role. Exit codes: 0 done, 1 verification failed or a runtime error, 2 bad usage.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  exportCommand,
  replayCommand,
  sessionsCommand,
  verifyCommand,
  type ExpectedFinal,
  type Output,
} from './commands.js';
import { FinalHashConflict, loadKubeConfig, recordedFinalHash } from './recorded-final-hash.js';
import { StoreReader } from './store-reader.js';
import { parseTimeArgument } from './time-arguments.js';

const USAGE = `usage:
  crewgate sessions [--subject S] [--connection C] [--since T] [--until T] [--decision Allow|Deny] [--limit N] [--json]
  crewgate replay SESSION [--speed N] [--no-wait] [--format text|asciicast]
  crewgate export --since T [--until T] [--format jsonl]
  crewgate verify SESSION [--final-hash H | --kubeconfig FILE [--context C] [-n NS] | --no-events]
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
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'no-events': { type: 'boolean' },
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
      case 'verify': {
        const finalHash = values['final-hash'];
        if (finalHash)
          return await verifyCommand(reader, needSession(), { finalHash, source: '--final-hash' }, out);
        return await verifyCommand(reader, needSession(), operatorCopy(values, env, out, needSession()), out);
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await reader.close();
  }
}

/**
 * The lookup of the operator's copy, or undefined when there is no kubeconfig or `--no-events`.
 * With an explicit `--kubeconfig` a failed lookup fails the command; with a found-by-default one it
 * is a NOTE, and the chain alone is verified.
 */
function operatorCopy(
  values: { kubeconfig?: string; context?: string; namespace?: string; 'no-events'?: boolean },
  env: NodeJS.ProcessEnv,
  out: Output,
  session: string,
): (() => Promise<ExpectedFinal | undefined>) | undefined {
  const home = env.HOME ? join(env.HOME, '.kube', 'config') : undefined;
  const implicit = env.KUBECONFIG || (home && existsSync(home));
  if (values['no-events'] || (!values.kubeconfig && !implicit)) return undefined;
  return async () => {
    try {
      const found = await recordedFinalHash(
        loadKubeConfig(values.kubeconfig, values.context),
        session,
        values.namespace,
      );
      if (!found)
        out.line(
          `NOTE ${session}: no SessionRecorded Event found (Events expire with the API server's --event-ttl, 1 h by default); pass the operator's logged final hash with --final-hash`,
        );
      return found && { finalHash: found.finalHash, source: found.where };
    } catch (error) {
      if (values.kubeconfig || error instanceof FinalHashConflict) throw error;
      out.line(
        `NOTE ${session}: cannot read the operator's copy of the final hash (${error instanceof Error ? error.message : String(error)}); the chain alone is verified`,
      );
      return undefined;
    }
  };
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
