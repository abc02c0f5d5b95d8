/**
 * What the platform team decides about injected sidecars (Helm values → operator flags → this).
 * Parsed once with zod when the operator starts, so a bad value stops the operator with the field
 * that is wrong instead of producing broken pods one admission at a time.
 */
import { z } from 'zod';

const quantity = z.union([z.string().min(1), z.number()]);
const resourceList = z.record(z.string().min(1), quantity);

export const injectionConfigSchema = z
  .strictObject({
    /** The sidecar image (`ghcr.io/example/crewgate-sidecar:0.1.0`). */
    sidecarImage: z.string().min(1),
    /** The image of the transparent-mode init container (iptables); required in transparent mode. */
    redirectImage: z.string().min(1).optional(),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    /** `env` points clients at the sidecar with env and a kubeconfig; `transparent` redirects with iptables. */
    mode: z.enum(['env', 'transparent']).default('env'),
    /** The sidecar's UID: non-root, and exempted from the transparent-mode redirect. */
    runAsUser: z.number().int().min(1).max(2_147_483_647).default(65532),
    /** Lifetime of the sidecar's projected token; the kubelet refreshes it at 80%. Kubernetes' minimum is 600. */
    tokenExpirationSeconds: z.number().int().min(600).max(86_400).default(600),
    /** The operator's Service URL the sidecar talks to (`https://crewgate.crewgate-system.svc:8443`). */
    controlPlaneUrl: z.url({ protocol: /^https?$/ }),
    /** PEM CA bundle that signs the control plane's serving certificate (public; put in an annotation). */
    controlPlaneCaBundle: z.string().min(1).optional(),
    /** The sidecar's metrics and health port (readiness probe `/readyz`); listens on the pod IP. */
    metricsPort: z.number().int().min(1).max(65535).default(15090),
    resources: z
      .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
      .default({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }),
    /** Namespaces never injected, on top of kube-system and kube-public (e.g. the operator's own). */
    excludedNamespaces: z.array(z.string().min(1)).default([]),
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'transparent' && c.redirectImage === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirectImage'],
        message:
          'transparent mode needs redirectImage (an image whose entrypoint applies --redirect rules with iptables)',
      });
    }
  });

/** The parsed config, defaults applied. */
export type InjectionConfig = z.output<typeof injectionConfigSchema>;
/** The config as written (defaults optional). */
export type InjectionConfigInput = z.input<typeof injectionConfigSchema>;
