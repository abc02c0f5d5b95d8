/**
 * The control plane sidecars talk to (DESIGN.md §2), served by every operator replica over HTTPS:
 *   GET  /v1/bundle[?watch=true]   the pod's policy bundle; with watch, one JSON line per change
 *   GET  /v1/settings              who the sidecar is, the issuers to trust, the recording store
 *   POST /v1/credentials           {connection} -> the Connection's Secret keys, for one session,
 *                                  and the PEM CA of `spec.tls.caRef` (public, but it lives in a
 *                                  Secret the sidecar may not read, so it travels with the keys)
 *   POST /v1/sessions/end          {session, events, finalHash}: the session's final hash, kept in
 *                                  the operator's log and an Event on the pod (session-end.ts)
 * Every request carries the sidecar's projected token; see sidecar-identity.ts.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { isNotFound, type KubeClients } from '../kube/client.js';
import { REQUIRED_SECRET_KEYS } from '../reconcilers/connection-status.js';
import { GROUP, VERSION } from '../../crds/schemas/common.js';
import { approvalRequestFor, ApprovalAskError, type ApprovalAsk } from './approvals.js';
import { sidecarBundle, type SidecarBundle } from './bundle.js';
import type { InjectionConfig } from '../injection/injection-config.js';
import type { ClusterState } from './cluster-state.js';
import type { SidecarSettingsSource } from './sidecar-settings.js';
import { sessionEndRecorder, SessionEndError } from './session-end.js';
import { authenticateSidecar, SidecarAuthError, type SidecarIdentity } from './sidecar-identity.js';

export interface SidecarApiOptions {
  host?: string;
  port: number;
  certificate: { cert: string; key: string };
  clients: KubeClients;
  state: ClusterState;
  /** What the injector writes into pods: a token's pod must match it (sidecar-identity.ts). */
  injection: InjectionConfig;
  logger: Logger;
  registry?: Registry;
  now?: () => Date;
  /** What `/v1/settings` answers; without it the route is 404 (sidecars configured by files). */
  settings?: SidecarSettingsSource;
  /** How often a watching sidecar gets a heartbeat line, so dead connections are noticed. */
  heartbeatMs?: number;
}

export interface SidecarApi {
  port: number;
  updateCertificate(certificate: { cert: string; key: string }): void;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new SidecarAuthError('request body too large', 403);
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
}

export async function startSidecarApi(options: SidecarApiOptions): Promise<SidecarApi> {
  const { clients, state, logger } = options;
  const now = options.now ?? (() => new Date());
  const connected = new Gauge({
    name: 'crewgate_connected_sidecars',
    help: 'Sidecars watching their bundle now.',
    registers: options.registry ? [options.registry] : [],
  });

  const sessionEnd = sessionEndRecorder({ clients, logger, now });

  const bundleFor = (who: SidecarIdentity): SidecarBundle =>
    sidecarBundle({
      namespace: who.namespace,
      podConnections: who.connections,
      connections: state.connections.list(who.namespace),
      accessPolicies: state.accessPolicies.list(who.namespace),
      maskingRules: state.maskingRules.list(who.namespace),
      approvalRequests: state.approvalRequests.list(who.namespace),
      now: now(),
    });

  const watchBundle = (who: SidecarIdentity, req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    connected.inc();
    let last = '';
    let pending: NodeJS.Timeout | undefined;
    const send = () => {
      pending = undefined;
      const line = JSON.stringify({ type: 'bundle', bundle: bundleFor(who) });
      if (line !== last) {
        last = line;
        res.write(`${line}\n`);
      }
    };
    send();
    // Changes come in bursts (kubectl apply of several objects): coalesce them briefly.
    const unsubscribe = state.onChange((ns) => {
      if (ns === who.namespace && !pending) pending = setTimeout(send, 100);
    });
    const heartbeat = setInterval(() => res.write('{"type":"heartbeat"}\n'), options.heartbeatMs ?? 30_000);
    req.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      if (pending) clearTimeout(pending);
      connected.dec();
    });
  };

  const credentials = async (who: SidecarIdentity, req: IncomingMessage, res: ServerResponse) => {
    const { connection } = await readJson(req);
    if (typeof connection !== 'string' || !who.connections.includes(connection)) {
      throw new SidecarAuthError(
        `pod ${who.namespace}/${who.pod.metadata?.name} was not admitted with connection ${String(connection)}`,
        403,
      );
    }
    const object = state.connections.get(connection, who.namespace) as
      | {
          spec?: {
            type: keyof typeof REQUIRED_SECRET_KEYS;
            credentialsRef: { name: string };
            tls?: { caRef?: { name: string; key: string } };
          };
        }
      | undefined;
    if (!object?.spec)
      return json(res, 404, { error: `connection ${connection} not found in ${who.namespace}` });
    // Read when a session starts and held in memory only: nothing is cached here or on disk.
    const readSecret = async (name: string) => {
      try {
        const secret = await clients.core.readNamespacedSecret({ name, namespace: who.namespace });
        return Object.fromEntries(
          Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        );
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    };
    const values = await readSecret(object.spec.credentialsRef.name);
    if (!values)
      return json(res, 409, {
        error: `Secret ${object.spec.credentialsRef.name} for ${connection} does not exist`,
      });
    const caRef = object.spec.tls?.caRef;
    let caCertificates: string[] | undefined;
    if (caRef) {
      const ca = (await readSecret(caRef.name))?.[caRef.key];
      // A CA the Connection names but that cannot be read fails the session, never falls back to the system store.
      if (!ca)
        return json(res, 409, {
          error: `CA ${caRef.name}/${caRef.key} for ${connection} does not exist`,
        });
      caCertificates = [ca];
    }
    logger.info(
      { namespace: who.namespace, pod: who.pod.metadata?.name, connection },
      'credentials handed to a sidecar',
    );
    json(res, 200, {
      connection,
      type: object.spec.type,
      credentials: values,
      ...(caCertificates ? { caCertificates } : {}),
    });
  };

  type RequestObject = {
    metadata?: { name?: string; namespace?: string };
    spec?: {
      requester?: { pod?: string };
      scope?: string;
      reviews?: { reviewer?: string; decision?: string; comment?: string }[];
    };
    status?: Record<string, unknown>;
  };
  const ownRequest = (who: SidecarIdentity, name: string): RequestObject => {
    const object = state.approvalRequests.get(name, who.namespace) as RequestObject | undefined;
    if (!object || object.spec?.requester?.pod !== `${who.namespace}/${who.pod.metadata?.name}`) {
      throw new SidecarAuthError(`no ApprovalRequest ${name} of this pod`, 403);
    }
    return object;
  };
  const approvalView = (o: RequestObject) => ({
    name: o.metadata?.name,
    namespace: o.metadata?.namespace,
    status: o.status ?? {},
    reviews: o.spec?.reviews ?? [],
  });
  const setPhase = async (
    who: SidecarIdentity,
    name: string,
    from: string[],
    phase: string,
    extra: Record<string, unknown>,
  ) => {
    const current = (await clients.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'approvalrequests',
      namespace: who.namespace,
      name,
    })) as RequestObject;
    if (!from.includes(String(current.status?.phase ?? 'Pending'))) return current;
    await clients.custom.patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: 'approvalrequests',
      namespace: who.namespace,
      name,
      body: [{ op: 'add', path: '/status', value: { ...current.status, phase, ...extra } }],
    });
    return current;
  };

  const approvals = async (
    who: SidecarIdentity,
    req: IncomingMessage,
    res: ServerResponse,
    path: string[],
  ) => {
    const [name, action] = path;
    if (req.method === 'POST' && !name) {
      let object;
      try {
        object = approvalRequestFor(who, (await readJson(req)) as unknown as ApprovalAsk, now());
      } catch (error) {
        if (error instanceof ApprovalAskError) throw new SidecarAuthError(error.message, 403);
        throw error;
      }
      const created = (await clients.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'approvalrequests',
        namespace: who.namespace,
        body: object,
      })) as RequestObject;
      logger.info(
        { namespace: who.namespace, name: created.metadata?.name, pod: who.pod.metadata?.name },
        'approval requested',
      );
      return json(res, 201, { name: created.metadata?.name, namespace: who.namespace });
    }
    if (!name) return json(res, 404, { error: 'no such approvals route' });
    ownRequest(who, name);
    if (req.method === 'GET' && !action) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      let last = '';
      const send = () => {
        const object = state.approvalRequests.get(name, who.namespace) as RequestObject | undefined;
        if (!object) return;
        const line = JSON.stringify(approvalView(object));
        if (line !== last) {
          last = line;
          res.write(`${line}\n`);
        }
      };
      send();
      const unsubscribe = state.onChange((ns) => ns === who.namespace && send());
      const heartbeat = setInterval(() => res.write('{"type":"heartbeat"}\n'), options.heartbeatMs ?? 30_000);
      req.on('close', () => {
        unsubscribe();
        clearInterval(heartbeat);
      });
      return;
    }
    if (req.method === 'POST' && action === 'cancel') {
      await setPhase(who, name, ['Pending'], 'Cancelled', { decidedAt: now().toISOString() });
      return json(res, 200, { name, phase: 'Cancelled' });
    }
    if (req.method === 'POST' && action === 'executed') {
      await setPhase(who, name, ['Approved'], 'Executed', { executedAt: now().toISOString() });
      return json(res, 200, { name, phase: 'Executed' });
    }
    return json(res, 404, { error: `no route ${req.method} ${pathOf(req)}` });
  };
  const pathOf = (req: IncomingMessage) => new URL(req.url ?? '/', 'https://control-plane').pathname;

  const server: Server = createServer(
    { cert: options.certificate.cert, key: options.certificate.key },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://control-plane');
      if (url.pathname === '/healthz') return void res.end('ok');
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      authenticateSidecar(clients, token, { injection: options.injection, state })
        .then(async (who) => {
          if (req.method === 'GET' && url.pathname === '/v1/bundle') {
            if (url.searchParams.get('watch') === 'true') return watchBundle(who, req, res);
            return json(res, 200, bundleFor(who));
          }
          if (req.method === 'POST' && url.pathname === '/v1/credentials') return credentials(who, req, res);
          if (req.method === 'POST' && url.pathname === '/v1/sessions/end') {
            try {
              return json(res, 200, await sessionEnd(who, await readJson(req)));
            } catch (error) {
              if (error instanceof SessionEndError || error instanceof SyntaxError)
                return json(res, 400, { error: error.message });
              throw error;
            }
          }
          if (req.method === 'GET' && url.pathname === '/v1/settings' && options.settings)
            return json(res, 200, await options.settings(who));
          if (url.pathname === '/v1/approvals' || url.pathname.startsWith('/v1/approvals/')) {
            return approvals(
              who,
              req,
              res,
              url.pathname.slice('/v1/approvals'.length).split('/').filter(Boolean),
            );
          }
          json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
        })
        .catch((error: unknown) => {
          if (error instanceof SidecarAuthError) {
            logger.warn({ path: url.pathname, reason: error.message }, 'sidecar refused');
            return json(res, error.status, { error: error.message });
          }
          logger.error(
            { path: url.pathname, err: error instanceof Error ? error.message : String(error) },
            'sidecar API failed',
          );
          json(res, 500, { error: 'internal error' });
        });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    updateCertificate: (c) => server.setSecureContext({ cert: c.cert, key: c.key }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
