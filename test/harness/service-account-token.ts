/**
 * A service-account token from the harness's API server (`kubectl create token`), as the kubelet
 * would project it: optionally bound to a pod and for an audience. Returns kubectl's result rather
 * than throwing, so a test can also present what the API server gave for a pod that does not exist.
 */
import { kubectl, type RunResult } from './run.js';

export function serviceAccountToken(
  cluster: Parameters<typeof kubectl>[0],
  options: {
    namespace: string;
    serviceAccount: string;
    /** `--audience`; none: the API server's own. */
    audience?: string;
    /** `--bound-object-kind=Pod --bound-object-name=pod`. */
    pod?: string;
    durationSeconds?: number;
  },
): Promise<RunResult> {
  return kubectl(cluster, [
    'create',
    'token',
    options.serviceAccount,
    '-n',
    options.namespace,
    ...(options.audience !== undefined ? [`--audience=${options.audience}`] : []),
    ...(options.durationSeconds !== undefined ? [`--duration=${options.durationSeconds}s`] : []),
    ...(options.pod !== undefined ? ['--bound-object-kind=Pod', `--bound-object-name=${options.pod}`] : []),
  ]);
}
