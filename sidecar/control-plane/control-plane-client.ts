/**
 * The sidecar's side of the control plane (DESIGN.md §2): it watches its policy bundle and asks
 * for a Connection's credentials when a session starts, proving itself with its pod-bound
 * projected token (re-read on every request: the kubelet rotates it). Sidecars never talk to the
 * API server and hold no RBAC of their own.
 */
import { readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { Logger } from 'pino';
import { compileBundle, type BundleSource, type PolicyBundle } from '../enforcement/policy-bundle.js';
import { indexPolicies } from '../policy/index.js';
import type { WindowGrant } from '../policy/index.js';
import type { SidecarBundle } from '../../operator/control-plane/bundle.js';
import type { SidecarSettings } from '../../operator/control-plane/sidecar-settings.js';
import { readLines } from './json-lines.js';

export interface ControlPlaneOptions {
  url: string;
  tokenFile: string;
  caCertificates?: string[];
  logger: Logger;
  /** Delay before reconnecting a broken watch; doubles up to 30 s. */
  reconnectBaseMs?: number;
}

/** The bundle as the control plane sends it: one shape, defined where it is built. */
export type BundleDocument = SidecarBundle;
/** `/v1/settings` as the control plane sends it. */
export type SettingsDocument = SidecarSettings;

/** What `/v1/credentials` answers for one session. */
export interface SessionCredentials {
  credentials: Record<string, string>;
  /** PEM CAs of the Connection's `spec.tls.caRef`, when it names one. */
  caCertificates?: string[];
}

export class ControlPlaneError extends Error {
  override name = 'ControlPlaneError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Nothing is allowed until the first bundle arrives: an empty bundle denies every command. */
export const EMPTY_BUNDLE: PolicyBundle = { policies: indexPolicies([]), masking: new Map(), grants: [] };

export class ControlPlaneClient implements BundleSource {
  private bundle: PolicyBundle = EMPTY_BUNDLE;
  private document: BundleDocument | undefined;
  private stopped = false;
  private abort: (() => void) | undefined;
  private firstBundle: Promise<void>;
  private resolveFirst!: () => void;
  private readonly listeners = new Set<(document: BundleDocument) => void>();

  constructor(private readonly options: ControlPlaneOptions) {
    this.firstBundle = new Promise((resolve) => (this.resolveFirst = resolve));
  }

  current(): PolicyBundle {
    return this.bundle;
  }

  /** The last bundle document (connections and their settings included). */
  get lastDocument(): BundleDocument | undefined {
    return this.document;
  }

  onBundle(listener: (document: BundleDocument) => void): void {
    this.listeners.add(listener);
  }

  /** Whether a bundle has arrived (until then every command is denied). */
  get hasBundle(): boolean {
    return this.document !== undefined;
  }

  /**
   * A Window grant the approver just saw approved, in force at once: the bundle that carries it
   * arrives moments later (and replaces this list), but the client's next command may come first.
   */
  noteGrant(grant: WindowGrant): void {
    this.bundle = {
      ...this.bundle,
      grants: [...this.bundle.grants.filter((g) => g.name !== grant.name), grant],
    };
  }

  /** Resolves once the first bundle is in force. */
  ready(): Promise<void> {
    return this.firstBundle;
  }

  private requestOptions(method: string): RequestOptions {
    const token = readFileSync(this.options.tokenFile, 'utf8').trim();
    return {
      method,
      ca: this.options.caCertificates,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    };
  }

  start(): void {
    void this.watch(this.options.reconnectBaseMs ?? 500);
  }

  private async watch(delayMs: number): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      try {
        await this.watchOnce();
      } catch (error) {
        this.options.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'bundle watch failed; keeping the last bundle',
        );
      }
      if (this.stopped) return;
      // A watch that lived a while resets the backoff.
      delayMs =
        Date.now() - started > 30_000 ? (this.options.reconnectBaseMs ?? 500) : Math.min(delayMs * 2, 30_000);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }

  private watchOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL('/v1/bundle?watch=true', this.options.url),
        this.requestOptions('GET'),
        (res) => {
          if (res.statusCode !== 200) {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () =>
              reject(
                new ControlPlaneError(`control plane answered ${res.statusCode}: ${text}`, res.statusCode),
              ),
            );
            return;
          }
          readLines(res, (line) => {
            if (line) this.onLine(line);
            return false;
          });
          res.on('end', () => resolve());
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      this.abort = () => req.destroy();
      req.end();
    });
  }

  private onLine(line: string): void {
    const message = JSON.parse(line) as { type: string; bundle?: BundleDocument };
    if (message.type !== 'bundle' || !message.bundle) return;
    const document = message.bundle;
    try {
      this.bundle = compileBundle({
        accessPolicies: document.accessPolicies,
        maskingRules: document.maskingRules,
        grants: document.grants.map((g) => ({ ...g, expiresAt: new Date(g.expiresAt) })),
      });
    } catch (error) {
      // The operator validates policies before they exist; one that still fails here denies all.
      this.options.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'bundle does not compile; denying every command',
      );
      this.bundle = EMPTY_BUNDLE;
    }
    this.document = document;
    this.options.logger.info(
      {
        policies: document.accessPolicies.length,
        maskingRules: document.maskingRules.length,
        grants: document.grants.length,
      },
      'policy bundle updated',
    );
    for (const l of this.listeners) l(document);
    this.resolveFirst();
  }

  /** The Connection's credentials, for one session; held in memory by the caller only. */
  async credentials(connection: string): Promise<Record<string, string>> {
    return (await this.sessionCredentials(connection)).credentials;
  }

  /** Credentials and the target's CA for one session; held in memory by the caller only. */
  async sessionCredentials(connection: string): Promise<SessionCredentials> {
    const body = await this.call('POST', '/v1/credentials', { connection }, `credentials for ${connection}`);
    const answer = body as { credentials: Record<string, string>; caCertificates?: string[] };
    return {
      credentials: answer.credentials,
      ...(answer.caCertificates ? { caCertificates: answer.caCertificates } : {}),
    };
  }

  /** Who this sidecar is, the issuers to trust and the recording store (`GET /v1/settings`). */
  async settings(): Promise<SettingsDocument> {
    return (await this.call('GET', '/v1/settings', undefined, 'settings')) as SettingsDocument;
  }

  /** Hands a session's final hash to the operator (`POST /v1/sessions/end`); see SessionEndReporter. */
  async sessionEnded(summary: { session: string; events: number; finalHash: string }): Promise<void> {
    await this.call('POST', '/v1/sessions/end', summary, `session end of ${summary.session}`);
  }

  private call(method: string, path: string, body: unknown, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.options.url), this.requestOptions(method), (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200)
            reject(new ControlPlaneError(`${what}: ${res.statusCode} ${text}`, res.statusCode));
          else resolve(JSON.parse(text));
        });
      });
      req.on('error', (error) =>
        reject(new ControlPlaneError(`control plane unreachable: ${error.message}`)),
      );
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  stop(): void {
    this.stopped = true;
    this.abort?.();
  }
}
