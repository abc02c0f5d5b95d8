/**
 * The in-pod Kubernetes listeners' TLS (issue 8, DESIGN.md §3/§8). kubectl and client-go send the
 * agent's bearer token only over TLS (kubernetes/kubectl#744), so a plain-HTTP loopback listener
 * would see every kubectl call as the pod's workload identity, whatever `--token` said.
 *
 * Why the sidecar makes its own certificate at start, rather than the control plane issuing one
 * from the operator's CA (operator/pki): the private key is generated in this process and only
 * ever held in its memory — it is in no Secret, no annotation, no file, and the control plane never
 * sees it. The trust is per pod: a one-off CA whose private key is dropped as soon as it has signed
 * the one serving certificate, so it can sign nothing else, and whose certificate only this pod's
 * kubeconfig trusts (the operator's CA would make every injected pod's loopback certificate valid
 * for every other pod's kubectl). A separate CA rather than a self-signed leaf because strict
 * verifiers (rustls/webpki, Python 3.13's VERIFY_X509_STRICT) refuse a leaf used as its own anchor.
 *
 * The certificate is valid for `validDays` (a year by default) and is not rotated: the adapter's
 * listener takes its certificate once at start, and the CA is thrown away; a pod that outlives it
 * needs its sidecar restarted, which writes a new CA and kubeconfig. Its lifetime adds little risk:
 * the key never leaves the sidecar, and the CA dies with the pod's emptyDir.
 */
import { randomUUID } from 'node:crypto';
import { createCertificateAuthority, issueCertificate } from '../../operator/pki/certificates.js';

export interface LoopbackCertificate {
  /** The one-off CA's certificate: what the kubeconfig's `certificate-authority-data` trusts. */
  caPem: string;
  /** The serving certificate for 127.0.0.1, ::1 and localhost, signed by that CA. */
  certificatePem: string;
  /** Its private key; memory only. */
  privateKeyPem: string;
  notAfter: Date;
  /** For the kubeconfig user (see above): signed by a CA of its own that nothing trusts; grants nothing. */
  placeholderClient: { certificatePem: string; privateKeyPem: string };
}

/** A fresh CA and loopback serving certificate; the CA's private key does not survive this call. */
export async function issueLoopbackCertificate(
  options: { validDays?: number; now?: Date } = {},
): Promise<LoopbackCertificate> {
  const validDays = options.validDays ?? 365;
  const now = options.now ?? new Date();
  const ca = await createCertificateAuthority(`crewgate-sidecar loopback CA ${randomUUID()}`, {
    validDays,
    now,
  });
  const serving = await issueCertificate(ca, {
    commonName: 'crewgate-sidecar',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    usage: 'server',
    validDays,
    now,
  });
  const nobody = await createCertificateAuthority(`crewgate placeholder ${randomUUID()}`, { validDays, now });
  const placeholder = await issueCertificate(nobody, {
    commonName: 'crewgate-no-credential',
    usage: 'client',
    validDays,
    now,
  });
  return {
    caPem: ca.certificatePem,
    ...serving,
    placeholderClient: {
      certificatePem: placeholder.certificatePem,
      privateKeyPem: placeholder.privateKeyPem,
    },
  };
}
