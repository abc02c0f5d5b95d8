/**
 * `make demo`: starts the local control plane, PostgreSQL, sshd and the OIDC provider from
 * test/harness and prints how to reach each by hand. Later steps (operator, sidecar, the scripted
 * agent session) join as they land; until then this is the environment they will run in.
 */
import { startHarness } from '../test/harness/index.js';

const heading = (text: string) => console.log(`\n\x1b[1m== ${text}\x1b[0m`);

const harness = await startHarness({ keep: process.env.CREWGATE_KEEP_HARNESS === '1' });
const { controlPlane: cp, postgres: pg, sshd, oidc, startupMs } = harness.info;

heading(`Everything is up in ${(startupMs.total! / 1000).toFixed(1)} s (files in ${harness.info.dir})`);
heading('Kubernetes (kube-apiserver + etcd, CRDs installed)');
console.log(`  export KUBECONFIG=${cp.adminKubeconfig}`);
console.log(`  ${cp.kubectl} get crd -l app.kubernetes.io/part-of=crewgate`);
heading('PostgreSQL (TLS, SCRAM)');
console.log(
  `  PGPASSWORD='${pg.app.password}' psql "host=127.0.0.1 port=${pg.port} user=${pg.app.user} dbname=${pg.database} sslmode=verify-full sslrootcert=${pg.caCertificateFile}"`,
);
heading('OpenSSH');
console.log(
  `  ssh -i ${sshd.clientKeyFile} -p ${sshd.port} -o UserKnownHostsFile=${sshd.knownHostsFile} ${sshd.user}@127.0.0.1`,
);
heading('OpenID Provider');
console.log(
  `  issuer ${oidc.issuer} (CA ${oidc.caCertificateFile}); clients: ${oidc.clients.map((c) => `${c.clientId} [${c.groups.join(',')}]`).join(', ')}`,
);
console.log(
  '\nThe operator, the sidecar and the scripted agent session join this demo as they land (see `issues`).',
);

if (process.env.CREWGATE_DEMO_EXIT === '1') {
  await harness.stop();
} else {
  console.log('\nRunning until Ctrl-C.');
  const shutdown = async () => {
    console.log('\nStopping servers and removing their files...');
    await harness.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}
