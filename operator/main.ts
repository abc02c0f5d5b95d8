/**
 * The operator process: `crewgate-operator [--kubeconfig FILE] [--namespace NS] ...` (settings in
 * operator/config.ts, also from CREWGATE_* environment variables). Stops cleanly on SIGTERM,
 * releasing its lease so another replica takes over at once.
 */
import { createLogger } from '../sidecar/logging.js';
import { operatorConfigFrom } from './config.js';
import { kubeClients } from './kube/client.js';
import { startOperator } from './operator.js';

const log = createLogger('crewgate-operator');
try {
  const config = operatorConfigFrom(process.argv.slice(2), process.env);
  const operator = await startOperator(config, kubeClients(config.kubeconfig), log);
  console.log(
    JSON.stringify({
      ready: true,
      pid: process.pid,
      webhookPort: operator.webhookPort,
      sidecarApiPort: operator.sidecarApiPort,
      metricsPort: operator.metricsPort,
    }),
  );
  const stop = async () => {
    log.info('shutting down');
    await operator.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
