/**
 * Webhook configurations for an operator running outside the cluster (tests, `make demo`): the
 * same webhooks as the Helm chart, but the API server calls them by URL on 127.0.0.1. The operator
 * writes their caBundle itself at start-up, as it does in a cluster.
 */
export function localWebhookConfigurations(
  name: string,
  port: number,
  scope?: { namespaceLabel: [string, string] },
): string {
  const client = (path: string) => `{ url: "https://127.0.0.1:${port}${path}" }`;
  const selector = (extra: Record<string, string>) => {
    const labels = { ...extra, ...(scope ? { [scope.namespaceLabel[0]]: scope.namespaceLabel[1] } : {}) };
    return Object.keys(labels).length > 0
      ? `namespaceSelector: { matchLabels: ${JSON.stringify(labels)} }`
      : '';
  };
  const webhook = (
    webhookName: string,
    path: string,
    rule: string,
    extraSelector: Record<string, string> = {},
  ) => `  - name: ${webhookName}
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Fail
    clientConfig: ${client(path)}
    rules: [${rule}]
    ${selector(extraSelector)}`;
  const approvals =
    '{ apiGroups: [crewgate.dev], apiVersions: [v1alpha1], operations: [CREATE, UPDATE], resources: [approvalrequests] }';
  return `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: { name: ${name} }
webhooks:
${webhook('inject.crewgate.dev', '/mutate-pods', '{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods] }', { 'crewgate.dev/inject': 'enabled' })}
${webhook('review-approvalrequests.crewgate.dev', '/mutate-approvalrequests', approvals)}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: ${name} }
webhooks:
${webhook('validate-policies.crewgate.dev', '/validate-policies', '{ apiGroups: [crewgate.dev], apiVersions: [v1alpha1], operations: [CREATE, UPDATE], resources: [accesspolicies, maskingrules] }')}
${webhook('validate-approvalrequests.crewgate.dev', '/validate-approvalrequests', approvals)}
`;
}
