#!/usr/bin/env node
/**
 * `kubectl crewgate`: the reviewer's kubectl plugin (DESIGN.md §6). kubectl finds any executable
 * named `kubectl-crewgate` on the PATH and runs it with the arguments after `crewgate`.
 *
 *   kubectl crewgate list [-n NS | -A]
 *   kubectl crewgate show NAME [-n NS] [--store-url URL]
 *   kubectl crewgate approve NAME [-n NS] [--comment TEXT]
 *   kubectl crewgate deny NAME [-n NS] [--comment TEXT]
 *   kubectl crewgate watch [-n NS | -A]
 *
 * `--kubeconfig` and `--context` as kubectl (else $KUBECONFIG, else ~/.kube/config); the namespace
 * is `-n`, else the context's, else `default`. Exit codes: 0 done, 1 the API refused or failed,
 * 2 bad usage.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ApiRefusal,
  listCommand,
  reviewCommand,
  showCommand,
  watchCommand,
  type ReviewTarget,
} from './approval-commands.js';
import type { Output } from './commands.js';

const USAGE = `usage:
  kubectl crewgate list [-n NS | -A]                   pending requests first, then the rest
  kubectl crewgate show NAME [-n NS] [--store-url URL] the full command, who asked, the rule, the session so far
  kubectl crewgate approve NAME [-n NS] [--comment T]  append an Approve review (the documented kubectl patch)
  kubectl crewgate deny NAME [-n NS] [--comment T]     append a Deny review
  kubectl crewgate watch [-n NS | -A]                  new requests, reviews and phase changes until Ctrl-C
options: --kubeconfig FILE, --context NAME, -n/--namespace NS, -A/--all-namespaces,
         --store-url URL (or CREWGATE_STORE_URL): the recording store, for "the session so far"`;

class UsageError extends Error {
  override name = 'UsageError';
}

/** The reviewer's API access, exactly as kubectl would resolve it from the same flags. */
export function reviewTarget(flags: {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
}): ReviewTarget {
  const config = new KubeConfig();
  // loadFromDefault reads $KUBECONFIG (a colon-separated list), else ~/.kube/config, else in-cluster.
  if (flags.kubeconfig) config.loadFromFile(flags.kubeconfig);
  else config.loadFromDefault();
  if (flags.context) {
    if (!config.getContextObject(flags.context))
      throw new UsageError(`context "${flags.context}" does not exist in the kubeconfig`);
    config.setCurrentContext(flags.context);
  }
  if (flags.allNamespaces) return { config, namespace: undefined };
  const namespace =
    flags.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
  return { config, namespace };
}

export async function main(
  argv: string[],
  out: Output,
  env: NodeJS.ProcessEnv = process.env,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      comment: { type: 'string' },
      'store-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, name, ...extra] = positionals;
  if (values.help || !command) {
    out.line(USAGE);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const target = () =>
    reviewTarget({
      kubeconfig: values.kubeconfig,
      context: values.context,
      namespace: values.namespace,
      allNamespaces: values['all-namespaces'],
    });
  const needName = () => {
    if (!name) throw new UsageError(`${command} needs the request's NAME`);
    if (values['all-namespaces']) throw new UsageError(`${command} works in one namespace: use -n, not -A`);
    return name;
  };
  const noName = () => {
    if (name) throw new UsageError(`${command} takes no NAME`);
  };
  switch (command) {
    case 'list':
      noName();
      return listCommand(target(), out);
    case 'show':
      return showCommand(target(), needName(), values['store-url'] ?? env.CREWGATE_STORE_URL, out);
    case 'approve':
      return reviewCommand(target(), needName(), 'Approve', values.comment, out);
    case 'deny':
      return reviewCommand(target(), needName(), 'Deny', values.comment, out);
    case 'watch':
      noName();
      return watchCommand(target(), out, signal);
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  const out: Output = { line: (t) => process.stdout.write(`${t}\n`), raw: (c) => process.stdout.write(c) };
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  main(process.argv.slice(2), out, process.env, stop.signal).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const usage =
        error instanceof UsageError ||
        (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
      const message = error instanceof Error ? error.message : String(error);
      // The API's own words (RBAC, the review webhook), as kubectl prints them.
      if (error instanceof ApiRefusal) console.error(`Error from server: ${message}`);
      else console.error(`kubectl-crewgate: ${message}`);
      if (usage) console.error(USAGE);
      process.exitCode = usage ? 2 : 1;
    },
  );
}
