/**
 * Approval latency (DESIGN.md §6: "within a second of the decision"): the time from a reviewer's
 * JSON patch being accepted (the patch call returning) to the held statement's result reaching
 * node-postgres, through the sidecar's PostgreSQL proxy and ControlPlaneApprover against a local
 * operator on a real kube-apiserver. Also splits it at the moment a separate watch sees the
 * operator write `Approved`, to tell the operator's share from the sidecar's.
 */
import { CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/schemas/common.js';
import { startHarness } from '../test/harness/index.js';
import { writeUserKubeconfig } from '../test/harness/kubeconfig.js';
import { startApprovalCrew } from '../test/integration/support/approval-crew.js';
import { grantReviewers } from '../test/integration/support/approvals.js';
import { startLocalOperator } from '../test/integration/support/local-operator.js';
import type { Bench, BenchRow } from './result.js';

export interface ApprovalBenchResult {
  runs: number;
  patchToResultMs: { p50: number; p99: number; max: number; mean: number };
  patchToApprovedSeenMs: { p50: number; p99: number };
  approvedSeenToResultMs: { p50: number; p99: number };
}

const RUNS = Number(process.env.BENCH_APPROVAL_RUNS ?? 50);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
};
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function benchApprovals(log: (line: string) => void): Promise<ApprovalBenchResult> {
  const harness = await startHarness();
  const id = `bench-${Date.now()}`;
  const local = await startLocalOperator(harness.info, id, { CREWGATE_OPERATOR_USERNAME: 'crewgate-admin' });
  const crew = await startApprovalCrew(harness.info, local, `agents-${id}`);
  let watchAbort: AbortController | undefined;
  try {
    await grantReviewers(harness.info, id, ['dba']);
    const reviewerConfig = new KubeConfig();
    reviewerConfig.loadFromFile(await writeUserKubeconfig(harness.info.controlPlane, 'rita', ['dba']));
    const reviewer = reviewerConfig.makeApiClient(CustomObjectsApi);

    // When each request is first seen Approved by an independent watcher (admin's kubeconfig).
    const approvedSeen = new Map<string, number>();
    const admin = new KubeConfig();
    admin.loadFromFile(harness.info.controlPlane.adminKubeconfig);
    watchAbort = await new Watch(admin).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${crew.namespace}/approvalrequests`,
      {},
      (_type: string, o: { metadata?: { name?: string }; status?: { phase?: string } }) => {
        const name = o.metadata?.name;
        if (name && o.status?.phase === 'Approved' && !approvedSeen.has(name))
          approvedSeen.set(name, performance.now());
      },
      () => undefined,
    );

    const client = await crew.agentClient();
    let announced: ((name: string) => void) | undefined;
    client.on('notice', (n) => {
      const name = /ApprovalRequest [^/\s]+\/(\S+)/.exec(n.message ?? '')?.[1];
      if (name) announced?.(name);
    });

    const total: number[] = [];
    const toApproved: number[] = [];
    const fromApproved: number[] = [];
    log(`${RUNS} held UPDATEs, each approved by a dba with the documented JSON patch`);
    for (let run = 0; run < RUNS; run++) {
      const named = new Promise<string>((resolve) => (announced = resolve));
      const result = client
        .query('UPDATE orders SET status = status WHERE id = 4')
        .then(() => performance.now());
      const name = await named;
      await reviewer.patchNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'approvalrequests',
        namespace: crew.namespace,
        name,
        body: [
          { op: 'add', path: '/spec/reviews/-', value: { decision: 'Approve', comment: `bench ${run}` } },
        ],
      });
      const accepted = performance.now();
      const done = await result;
      total.push(done - accepted);
      const seen = approvedSeen.get(name);
      if (seen !== undefined) {
        toApproved.push(seen - accepted);
        fromApproved.push(done - seen);
      }
    }
    await client.end();
    const result: ApprovalBenchResult = {
      runs: RUNS,
      patchToResultMs: {
        p50: round(percentile(total, 0.5)),
        p99: round(percentile(total, 0.99)),
        max: round(Math.max(...total)),
        mean: round(total.reduce((a, b) => a + b, 0) / total.length),
      },
      patchToApprovedSeenMs: {
        p50: round(percentile(toApproved, 0.5)),
        p99: round(percentile(toApproved, 0.99)),
      },
      approvedSeenToResultMs: {
        p50: round(percentile(fromApproved, 0.5)),
        p99: round(percentile(fromApproved, 0.99)),
      },
    };
    log(
      `patch accepted -> result at the client: p50 ${result.patchToResultMs.p50} ms, p99 ${result.patchToResultMs.p99} ms ` +
        `(max ${result.patchToResultMs.max} ms, mean ${result.patchToResultMs.mean} ms; target p99 < 1000 ms)`,
    );
    log(
      `of which patch -> Approved seen by a watcher: p50 ${result.patchToApprovedSeenMs.p50} ms, p99 ${result.patchToApprovedSeenMs.p99} ms; ` +
        `Approved seen -> result: p50 ${result.approvedSeenToResultMs.p50} ms, p99 ${result.approvedSeenToResultMs.p99} ms`,
    );
    return result;
  } finally {
    watchAbort?.abort();
    await crew.stop();
    await local.stop();
    await harness.stop();
  }
}

/** The table's rows: latency through the whole approval path; there is no direct path to compare. */
export function approvalRows(raw: ApprovalBenchResult): BenchRow[] {
  const row = (metric: string, value: number): BenchRow => ({
    metric,
    unit: 'ms',
    higherIsBetter: false,
    crewgate: value,
  });
  return [
    row('reviewer patch accepted -> held result at the client: p50', raw.patchToResultMs.p50),
    row('reviewer patch accepted -> held result at the client: p99 (target < 1000)', raw.patchToResultMs.p99),
    row('of which patch -> Approved seen: p99', raw.patchToApprovedSeenMs.p99),
  ];
}

export const approvalsBench: Bench = {
  name: 'approvals',
  title: "Approvals: a reviewer's patch accepted -> the held statement's result at the client",
  run: async (log) => {
    const raw = await benchApprovals(log);
    return { benchmark: 'approvals', rows: approvalRows(raw), raw };
  },
};
