/**
 * The PostgreSQL crew of the approval tests, the plugin tests and bench/approvals.ts: the shared
 * crew namespace (support/approvals.ts) with the shop policies and a Connection to the harness
 * database, and a PostgreSQL proxy whose approver is that crew's ControlPlaneApprover.
 */
import pg from 'pg';
import type { SessionRecorder } from '../../../sidecar/enforcement/recorder.js';
import type { HarnessInfo } from '../../harness/index.js';
import { oidcToken } from '../../harness/oidc-token.js';
import { setUpCrewNamespace, type CrewNamespace } from './approvals.js';
import { fixtureInNamespace } from './harness-enforcement.js';
import type { LocalOperator } from './local-operator.js';
import { loadManifestsFromText, startProxy, type ProxyUnderTest } from './postgres-proxy.js';

export interface ApprovalCrew extends CrewNamespace {
  proxy: ProxyUnderTest;
  /** An OIDC token of agent-analyst (group crewai-viewer), the proxy's password. */
  analystToken: string;
  /** A connected node-postgres client of agent-analyst through the crew's proxy. */
  agentClient(): Promise<pg.Client>;
  stop(): Promise<void>;
}

/**
 * `rewrite` changes the policies' text (e.g. `minApprovals: 2`, a short `timeout`) before they go
 * to the API and to the proxy's bundle; `recorder` also records the proxy's sessions (e.g. to a
 * recording store).
 */
export async function startApprovalCrew(
  harness: HarnessInfo,
  local: LocalOperator,
  namespace: string,
  rewrite: (policies: string) => string = (p) => p,
  recorder?: SessionRecorder,
): Promise<ApprovalCrew> {
  const policies = rewrite(fixtureInNamespace('test/integration/fixtures/shop-policies.yaml', namespace));
  const crew = await setUpCrewNamespace(harness, local, {
    namespace,
    policies,
    connectionName: 'shop-db',
    connection: `apiVersion: crewgate.dev/v1alpha1
kind: Connection
metadata: { name: shop-db, namespace: ${namespace} }
spec: { type: postgres, address: ${harness.postgres.host}:${harness.postgres.port}, database: shop, credentialsRef: { name: shop-db-credentials } }`,
  });
  const proxy = await startProxy(harness, {
    approver: crew.approver,
    manifests: loadManifestsFromText(policies),
    ...(recorder ? { recorder } : {}),
  });
  const analystToken = await oidcToken(harness.oidc, 'agent-analyst');
  return {
    ...crew,
    proxy,
    analystToken,
    async agentClient() {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: proxy.listener.port,
        user: 'agent',
        database: 'shop',
        password: analystToken,
      });
      await client.connect();
      return client;
    },
    async stop() {
      await proxy.listener.close();
    },
  };
}
