/**
 * The operator's `/readyz`: not ready until every named condition holds (informers synced, the
 * webhook server serving its certificate), so a Service sends admission requests and sidecars only
 * to replicas that can answer them. `/healthz` stays a liveness check: a replica that is starting
 * is alive but not ready.
 */
export class Readiness {
  private readonly holding = new Set<string>();

  /** `conditions`: name -> what /readyz says while it does not hold. */
  constructor(private readonly conditions: Readonly<Record<string, string>>) {}

  set(name: string, holds: boolean): void {
    if (holds) this.holding.add(name);
    else this.holding.delete(name);
  }

  /** Why the replica is not ready, or undefined when it is. */
  notReady(): string | undefined {
    const missing = Object.entries(this.conditions)
      .filter(([name]) => !this.holding.has(name))
      .map(([, message]) => message);
    return missing.length === 0 ? undefined : missing.join('; ');
  }
}
