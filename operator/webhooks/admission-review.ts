/**
 * AdmissionReview v1 in and out (k8s.io/api/admission/v1). The webhook handlers are pure
 * functions of the request; this file only decodes and encodes, as Istio's injection webhook does.
 */
export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo: UserInfo;
  object?: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
  dryRun?: boolean;
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** What a handler decides; `patch` only for mutating webhooks. */
export type AdmissionDecision =
  | { allowed: true; patch?: JsonPatchOperation[]; warnings?: string[] }
  | { allowed: false; message: string; code?: number };

export class AdmissionReviewError extends Error {
  override name = 'AdmissionReviewError';
}

export function parseAdmissionReview(body: unknown): AdmissionRequest {
  const review = body as { apiVersion?: string; kind?: string; request?: AdmissionRequest };
  if (
    review?.kind !== 'AdmissionReview' ||
    review.apiVersion !== 'admission.k8s.io/v1' ||
    !review.request?.uid
  ) {
    throw new AdmissionReviewError('expected an admission.k8s.io/v1 AdmissionReview with a request');
  }
  return review.request;
}

export function admissionResponse(uid: string, decision: AdmissionDecision): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: decision.allowed };
  if (decision.allowed) {
    if (decision.patch && decision.patch.length > 0) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(decision.patch)).toString('base64');
    }
    if (decision.warnings?.length) response.warnings = decision.warnings;
  } else {
    response.status = { code: decision.code ?? 403, reason: 'Forbidden', message: decision.message };
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
