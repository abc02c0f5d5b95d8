/**
 * The sidecar process: `crewgate-sidecar --config FILE`. The config is either the in-pod form the
 * injector writes (everything else from the control plane) or the standalone form (files); see
 * config.ts. Every connection is started through the protocol registry, the metrics and health
 * endpoints are served, and SIGTERM stops cleanly. Prints one JSON line `{"ready":true,...}` with
 * the bound ports once it serves, for whoever started it.
 */
import type { Server } from 'node:http';
import { adapterFor } from './adapters/registry.js';
import type { RunningListener } from './adapters/protocol-adapter.js';
import { initSqlClassifier } from './classify/sql/index.js';
import { loadSidecarConfig, type SidecarConfig } from './config.js';
import { Enforcer } from './enforcement/enforcer.js';
import { SidecarMetrics } from './enforcement/metrics.js';
import { createLogger } from './logging.js';
import { startHealthServer } from './process/health-server.js';
import { inPodRuntime } from './process/in-pod.js';
import { writeClientFile } from './process/client-file.js';
import type { SidecarRuntime } from './process/runtime.js';
import { standaloneRuntime } from './process/standalone.js';

const log = createLogger('crewgate-sidecar');

interface Running {
  runtime: SidecarRuntime;
  listeners: RunningListener[];
  http?: Server;
}

async function start(config: SidecarConfig): Promise<Running> {
  await initSqlClassifier();
  const metrics = new SidecarMetrics();
  const runtime =
    config.kind === 'InPodSidecarConfig'
      ? await inPodRuntime(config, metrics, log)
      : standaloneRuntime(config, metrics, log);
  const { recorder, verifier, workloadIdentity, approver } = runtime;
  const enforcer = new Enforcer({ bundle: runtime.bundle, approver, recorder, metrics });
  const deps = { enforcer, verifier, recorder, metrics, logger: log, workloadIdentity, approver };

  const listeners: RunningListener[] = [];
  for (const plan of runtime.listeners) {
    // config.ts refused unknown types already; this keeps the process honest if that ever changes.
    const registered = adapterFor(plan.type);
    if (!registered) throw new Error(`no adapter for connection type ${plan.type}`);
    listeners.push(await registered.adapter.start(plan, deps));
  }
  // Only now that the listeners serve: a kubectl or ssh that finds its file finds the sidecar listening.
  for (const file of runtime.clientFiles ?? []) {
    writeClientFile(file);
    log.info({ file: file.file }, `${file.what} written`);
  }
  const http = runtime.metrics
    ? await startHealthServer(runtime.metrics, metrics, runtime.notReady)
    : undefined;
  const metricsAddress = http?.address();
  console.log(
    JSON.stringify({
      ready: true,
      pid: process.pid,
      listeners: Object.fromEntries(runtime.listeners.map((p, i) => [p.connection, listeners[i]!.port])),
      metricsPort: typeof metricsAddress === 'object' && metricsAddress ? metricsAddress.port : undefined,
    }),
  );
  return { runtime, listeners, http };
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const configPath = argument('--config');
if (!configPath) {
  console.error('usage: crewgate-sidecar --config FILE');
  process.exit(2);
}
try {
  const running = await start(loadSidecarConfig(configPath));
  const stop = async () => {
    log.info('shutting down');
    await Promise.all(running.listeners.map((l) => l.close()));
    // Ship what the spool holds for a few seconds; what is left is shipped by the next start.
    await running.runtime.close(5_000);
    running.http?.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
