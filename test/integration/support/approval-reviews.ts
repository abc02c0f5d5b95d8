/**
 * The reviewer's side of an approval, as a human does it: find the Pending ApprovalRequest in a
 * namespace with kubectl, and add a review with `kubectl patch` under the reviewer's kubeconfig.
 */
import type { HarnessInfo } from '../../harness/index.js';
import { kubectl } from '../../harness/run.js';

/** The name of the first Pending ApprovalRequest in `namespace`, waiting up to `timeoutMs`. */
export async function pendingApprovalRequest(
  harness: HarnessInfo,
  namespace: string,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = (
      await kubectl(harness, [
        'get',
        'approvalrequests',
        '-n',
        namespace,
        '-o',
        'jsonpath={range .items[?(@.status.phase=="Pending")]}{.metadata.name} {end}',
      ])
    ).stdout.trim();
    if (names) return names.split(' ')[0]!;
    if (Date.now() >= deadline) throw new Error(`no pending ApprovalRequest appeared in ${namespace}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `kubectl patch` adding one review, as the reviewer whose kubeconfig is given. */
export function reviewApprovalRequest(
  harness: HarnessInfo,
  reviewerKubeconfig: string,
  namespace: string,
  name: string,
  decision: 'Approve' | 'Deny',
  comment: string,
) {
  return kubectl(
    harness,
    [
      'patch',
      'approvalrequest',
      name,
      '-n',
      namespace,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/spec/reviews/-', value: { decision, comment } }]),
    ],
    { kubeconfig: reviewerKubeconfig },
  );
}
