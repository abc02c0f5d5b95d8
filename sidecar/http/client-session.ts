/**
 * One recording session per client connection and identity (DESIGN.md §7: a session is one client
 * connection). Keep-alive requests of the same caller share it; a request on the same connection
 * under another identity ends it and starts a new one, so every session has exactly one caller.
 * The Connection's target is resolved once per session, as `ListenerSpec.target` expects.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { AdapterDeps, ListenerSpec } from '../adapters/protocol-adapter.js';
import type { Identity } from '../core/command.js';
import { maskerFor, type CompiledMaskingRule, type Masker } from '../masking/index.js';
import { IdentityCache } from './client-identity.js';
import { upstreamTarget, type UpstreamTarget } from './upstream-target.js';
import type { VerifiedTokens } from '../identity/verified-tokens.js';

interface Current {
  id: string;
  subject: string;
  target: Promise<UpstreamTarget>;
  /** What `target` resolved to, once it has: later requests use it without a promise hop. */
  resolved?: UpstreamTarget;
  /** The last resolution failed; the next request tries again. */
  failed: boolean;
}

export class ClientSession {
  readonly identities: IdentityCache;
  private current: Current | undefined;
  private masking: { rules: readonly CompiledMaskingRule[]; subject: string; masker: Masker } | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly listener: ListenerSpec,
    private readonly deps: AdapterDeps,
    tokens: VerifiedTokens,
  ) {
    this.identities = new IdentityCache(deps, tokens);
    socket.once('close', () => this.end('client disconnected'));
  }

  /** The session for `identity`, started (and recorded) on first use. */
  enter(identity: Identity): { id: string; target: Promise<UpstreamTarget>; resolved?: UpstreamTarget } {
    if (this.current && this.current.subject === identity.subject) {
      // A failed resolution (control plane briefly away) is retried by the next request.
      if (this.current.failed) this.resolve(this.current);
      return this.current;
    }
    if (this.current) this.end('the client presented another identity');
    const session: Current = {
      id: randomUUID(),
      subject: identity.subject,
      target: Promise.resolve() as never,
      failed: false,
    };
    this.resolve(session);
    this.current = session;
    this.deps.recorder.record(session.id, {
      type: 'session.start',
      identity,
      connection: this.listener.connection,
      protocol: 'http',
      client: `${this.socket.remoteAddress}:${this.socket.remotePort}`,
    });
    this.deps.metrics.activeSessions.inc({ protocol: 'http' });
    return session;
  }

  /**
   * The masker for this caller under `rules`. Building one compiles its detectors (about 10 µs),
   * and keep-alive requests of one caller almost always get the same rules, so it is reused while
   * the rules are the same compiled objects (a new policy bundle compiles new ones).
   */
  maskerFor(rules: readonly CompiledMaskingRule[], identity: Identity): Masker {
    const cached = this.masking;
    if (
      cached &&
      cached.subject === identity.subject &&
      cached.rules.length === rules.length &&
      cached.rules.every((r, i) => r === rules[i])
    )
      return cached.masker;
    const masker = maskerFor(rules, identity);
    this.masking = { rules: [...rules], subject: identity.subject, masker };
    return masker;
  }

  private resolve(session: Current): void {
    session.failed = false;
    session.target = this.listener.target().then(upstreamTarget);
    session.target.then(
      (target) => (session.resolved = target),
      () => (session.failed = true), // reported per request
    );
  }

  end(reason: string): void {
    if (!this.current) return;
    this.deps.recorder.record(this.current.id, { type: 'session.end', reason });
    this.deps.metrics.activeSessions.dec({ protocol: 'http' });
    this.current = undefined;
  }
}
