/**
 * Writes an own, enumerable property even when the key is `__proto__`: masked copies of JSON must
 * keep every key JSON.parse produced, and a plain assignment of `__proto__` would change the
 * prototype instead.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
