/**
 * The operator's admission webhooks. Each handler only gathers what the pure decision needs from
 * the request and the API, calls it, and returns its answer (DESIGN.md §10: pure decision, thin
 * shell). Decisions live in operator/injection and operator/admission.
 */
import {
  stampReviews,
  validateApprovalCreate,
  validateReviewUpdate,
  type ApprovalRequestObject,
} from '../admission/review-approval.js';
import { validateCrewgateObject } from '../admission/validate-policy.js';
import {
  alreadyInjected,
  injectPod,
  injectRequired,
  SIDECAR_CONTAINER,
  STATUS_ANNOTATION,
  verifyInjectedPod,
  type InjectionConfig,
} from '../injection/index.js';
import { podDisplayName, type Pod } from '../injection/pod.js';
import { liveGrants } from '../injection/live-grants.js';
import type { KubeClients } from '../kube/client.js';
import type { AdmissionDecision, AdmissionRequest } from './admission-review.js';
import type { AdmissionHandler } from './webhook-server.js';

export interface HandlerDeps {
  clients: KubeClients;
  injection: InjectionConfig;
  /** The operator's own username, the only one allowed to create ApprovalRequests. */
  operatorUsername: string;
  now?: () => Date;
}

export function podInjectionHandler(deps: HandlerDeps): AdmissionHandler {
  return async (request: AdmissionRequest): Promise<AdmissionDecision> => {
    if (request.operation !== 'CREATE' || !request.object) return { allowed: true };
    const pod = request.object as unknown as Pod;
    const namespaceName = request.namespace ?? pod.metadata?.namespace ?? 'default';
    const namespace = await deps.clients.core.readNamespace({ name: namespaceName });
    const namespaceInfo = { name: namespaceName, labels: namespace.metadata?.labels };
    const grants = () => liveGrants(deps.clients, namespaceName);

    const claimed = alreadyInjected(pod);
    if (claimed !== undefined) {
      // Anyone who may create pods can write the markers: only the injector's exact output (this
      // webhook re-invoked after another one mutated the pod) is let through, and unchanged.
      const verdict = verifyInjectedPod(pod, namespaceInfo, deps.injection, await grants());
      if (verdict.ok) return { allowed: true };
      return {
        allowed: false,
        message:
          `crewgate: pod ${podDisplayName(pod)} claims to be injected (${claimed}) but is not what ` +
          `crewgate's injector produces: ${verdict.reason}. Only the webhook adds the sidecar: remove ` +
          `the ${STATUS_ANNOTATION} annotation and the ${SIDECAR_CONTAINER} container`,
      };
    }
    const selected = injectRequired(pod, namespaceInfo, deps.injection);
    if (!selected.inject) {
      // Selected but impossible to proxy: never create it unproxied (DESIGN.md §8).
      if (selected.reason.startsWith('selected by'))
        return { allowed: false, message: `crewgate: ${selected.reason}` };
      return { allowed: true };
    }
    const result = injectPod(pod, deps.injection, await grants());
    if ('refused' in result) return { allowed: false, message: `crewgate: ${result.refused}` };
    return { allowed: true, patch: result.patch };
  };
}

export function policyValidationHandler(): AdmissionHandler {
  return (request) => {
    if (!request.object) return { allowed: true };
    const kind = request.kind.kind;
    if (kind !== 'AccessPolicy' && kind !== 'MaskingRule') return { allowed: true };
    const object = request.object as { metadata?: { name?: string; namespace?: string }; spec?: unknown };
    const result = validateCrewgateObject(kind, {
      metadata: {
        name: object.metadata?.name ?? request.name,
        namespace: object.metadata?.namespace ?? request.namespace,
      },
      spec: object.spec,
    });
    return result.allowed ? { allowed: true } : { allowed: false, message: result.message, code: 422 };
  };
}

export function approvalStampHandler(deps: HandlerDeps): AdmissionHandler {
  return (request) => {
    if (request.operation !== 'UPDATE' || !request.object) return { allowed: true };
    const patch = stampReviews(
      request.oldObject as ApprovalRequestObject | undefined,
      request.object as ApprovalRequestObject,
      { username: request.userInfo.username, groups: request.userInfo.groups ?? [] },
      (deps.now ?? (() => new Date()))(),
    );
    return { allowed: true, patch };
  };
}

export function approvalValidationHandler(deps: HandlerDeps): AdmissionHandler {
  return (request) => {
    if (!request.object) return { allowed: true };
    const userInfo = { username: request.userInfo.username, groups: request.userInfo.groups ?? [] };
    const result =
      request.operation === 'CREATE'
        ? validateApprovalCreate(request.object as ApprovalRequestObject, userInfo, {
            operatorUsername: deps.operatorUsername,
          })
        : validateReviewUpdate(
            request.oldObject as ApprovalRequestObject,
            request.object as ApprovalRequestObject,
            userInfo,
          );
    return result.allowed ? { allowed: true } : { allowed: false, message: result.message };
  };
}

export const WEBHOOK_PATHS = {
  mutatePods: '/mutate-pods',
  validatePolicies: '/validate-policies',
  mutateApprovalRequests: '/mutate-approvalrequests',
  validateApprovalRequests: '/validate-approvalrequests',
} as const;

export function webhookHandlers(deps: HandlerDeps): Record<string, AdmissionHandler> {
  return {
    [WEBHOOK_PATHS.mutatePods]: podInjectionHandler(deps),
    [WEBHOOK_PATHS.validatePolicies]: policyValidationHandler(),
    [WEBHOOK_PATHS.mutateApprovalRequests]: approvalStampHandler(deps),
    [WEBHOOK_PATHS.validateApprovalRequests]: approvalValidationHandler(deps),
  };
}
