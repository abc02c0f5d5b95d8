/**
 * Kubernetes Secrets in API responses. With a `kubernetes: secretData` selector, every value of a
 * Secret's `data` and `stringData` is masked, and so is the `kubectl.kubernetes.io/last-applied-
 * configuration` annotation (it holds the whole Secret as JSON). Secrets are recognised by
 * `kind: Secret` wherever they appear (a single GET, `items` of a `List`, the `object` of a watch
 * event, a Table row's object) and as the items of a `SecretList`, whose items carry no kind.
 *
 * `data` values are base64. The masked value is re-encoded in base64 so typed clients (kubectl,
 * client-go) can still decode the object: `[REDACTED]` arrives as `W1JFREFDVEVEXQ==`.
 */
import { setOwn } from './own-property.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Secret object (by kind). */
export function isSecret(v: unknown): v is Obj {
  return isObject(v) && v.kind === 'Secret';
}

/** A SecretList: its items are Secrets even though they carry no kind. */
export function isSecretList(v: unknown): v is Obj & { items: unknown[] } {
  return isObject(v) && v.kind === 'SecretList' && Array.isArray(v.items);
}

/** Masks one base64 `data` value through `mask`, keeping it valid base64. */
export function maskBase64(value: string, mask: (plain: string) => string): string {
  const bytes = Buffer.from(value, 'base64');
  const canonical = bytes.toString('base64') === value;
  const plain = canonical ? bytes.toString('latin1') : value;
  const masked = mask(plain);
  if (canonical && masked === plain) return value;
  return Buffer.from(masked, 'latin1').toString('base64');
}

/**
 * Returns a copy of `secret` with data, stringData and the last-applied annotation masked (or the
 * same object when nothing changed), and how many values changed.
 */
export function maskSecretFields(
  secret: Obj,
  mask: (plain: string) => string,
): { value: Obj; count: number } {
  let count = 0;
  let out: Obj = secret;
  const copy = (): Obj => (out === secret ? (out = { ...secret }) : out);

  const data = secret.data;
  if (isObject(data)) {
    const [next, n] = mapValues(data, (v) => (typeof v === 'string' ? maskBase64(v, mask) : v));
    if (n > 0) copy().data = next;
    count += n;
  }
  const stringData = secret.stringData;
  if (isObject(stringData)) {
    const [next, n] = mapValues(stringData, (v) => (typeof v === 'string' ? mask(v) : v));
    if (n > 0) copy().stringData = next;
    count += n;
  }
  const metadata = secret.metadata;
  if (
    isObject(metadata) &&
    isObject(metadata.annotations) &&
    typeof metadata.annotations[LAST_APPLIED] === 'string'
  ) {
    const before = metadata.annotations[LAST_APPLIED];
    const after = mask(before);
    if (after !== before) {
      copy().metadata = { ...metadata, annotations: { ...metadata.annotations, [LAST_APPLIED]: after } };
      count++;
    }
  }
  return { value: out, count };
}

function mapValues(o: Obj, f: (v: unknown) => unknown): [Obj, number] {
  const next: Obj = {};
  let n = 0;
  for (const [k, v] of Object.entries(o)) {
    const w = f(v);
    if (w !== v) n++;
    setOwn(next, k, w);
  }
  return [next, n];
}
