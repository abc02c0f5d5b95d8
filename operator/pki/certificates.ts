/**
 * A small certificate authority on @peculiar/x509 and WebCrypto. The operator uses it for its
 * webhook serving certificate (no cert-manager needed); the test harness uses the same code for
 * the API server, PostgreSQL and the OIDC provider, so what is tested is what ships.
 */
// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// lib "DOM" is not loaded in a Node project; WebCrypto's types come from node:crypto.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type PeculiarCrypto = Parameters<typeof x509.cryptoProvider.set>[0];

x509.cryptoProvider.set(webcrypto as unknown as PeculiarCrypto);

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGN: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** PEM of the CA certificate, what clients put in their trust store or a `caBundle`. */
  certificatePem: string;
}

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  notAfter: Date;
}

export interface IssueOptions {
  commonName: string;
  /** Organisations: Kubernetes reads a client certificate's O= fields as the user's groups. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'both';
  validDays?: number;
  now?: Date;
}

function distinguishedName(commonName: string, organizations: string[] = []): string {
  const escape = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${escape(commonName)}`, ...organizations.map((o) => `O=${escape(o)}`)].join(', ');
}

export async function toPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function createCertificateAuthority(
  commonName: string,
  options: { validDays?: number; now?: Date } = {},
): Promise<CertificateAuthority> {
  const now = options.now ?? new Date();
  const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: distinguishedName(commonName),
    keys,
    signingAlgorithm: EC_SIGN,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (options.validDays ?? 3650) * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys, certificatePem: certificate.toString('pem') };
}

export async function issueCertificate(
  ca: CertificateAuthority,
  options: IssueOptions,
): Promise<IssuedCertificate> {
  const now = options.now ?? new Date();
  const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notAfter = new Date(now.getTime() + (options.validDays ?? 365) * DAY_MS);
  const extendedUsages: string[] = [];
  if (options.usage !== 'client') extendedUsages.push(x509.ExtendedKeyUsage.serverAuth);
  if (options.usage !== 'server') extendedUsages.push(x509.ExtendedKeyUsage.clientAuth);
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(extendedUsages, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  const certificate = await x509.X509CertificateGenerator.create({
    subject: distinguishedName(options.commonName, options.organizations),
    issuer: ca.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_SIGN,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    extensions,
  });
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await toPrivateKeyPem(keys.privateKey),
    notAfter,
  };
}

/** An RSA key pair in PEM, e.g. for the API server's service-account token signer (RS256). */
export async function generateRsaKeyPairPem(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  return {
    privateKeyPem: await toPrivateKeyPem(keys.privateKey),
    publicKeyPem: x509.PemConverter.encode(spki, 'PUBLIC KEY'),
  };
}

/** Loads a CA written out earlier (PEM certificate + PKCS#8 key), e.g. by the test harness. */
export async function loadCertificateAuthority(
  certificatePem: string,
  privateKeyPem: string,
): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certificatePem);
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(privateKeyPem),
    EC_KEY,
    true,
    ['sign'],
  );
  const publicKey = (await certificate.publicKey.export(EC_KEY, ['verify'])) as unknown as CryptoKey;
  return { certificate, keys: { privateKey, publicKey }, certificatePem };
}
