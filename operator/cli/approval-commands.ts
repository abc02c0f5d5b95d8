/**
 * The reviewer's commands of `kubectl crewgate` (DESIGN.md §6), through the user's own kubeconfig:
 * every call is one a reviewer could type with kubectl (get, list, watch, and the documented JSON
 * patch appending `{decision, comment}`), so the API server authenticates the reviewer, RBAC
 * authorises them and the review webhook stamps and judges them. The plugin claims nothing.
 */
import { CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../crds/schemas/common.js';
import { listLines, phaseOf, showLines, watchLine, type ApprovalRequestItem } from './approval-view.js';
import type { Output } from './commands.js';
import { StoreReader } from './store-reader.js';
import { transcript } from './transcript.js';

const PLURAL = 'approvalrequests';

/** Where the reviewer's kubeconfig points: the API, and the namespace scope of this invocation. */
export interface ReviewTarget {
  config: KubeConfig;
  /** undefined: all namespaces (`-A`). */
  namespace: string | undefined;
}

/** The API server refused (RBAC, the review webhook, not found): its message, verbatim. */
export class ApiRefusal extends Error {
  override name = 'ApiRefusal';
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

/** client-node 1.x puts the Status in `body` (a JSON string or an object); kubectl prints its message. */
export function refusalOf(error: unknown): ApiRefusal | undefined {
  const e = error as { code?: unknown; body?: unknown };
  if (typeof e?.code !== 'number') return undefined;
  let body = e.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return new ApiRefusal(text || `HTTP ${e.code}`, e.code);
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return new ApiRefusal(typeof message === 'string' ? message : `HTTP ${e.code}`, e.code);
}

async function api<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw refusalOf(error) ?? error;
  }
}

const customApi = (t: ReviewTarget) => t.config.makeApiClient(CustomObjectsApi);

function needNamespace(t: ReviewTarget, what: string): string {
  if (t.namespace === undefined) throw new Error(`${what} needs one namespace, not -A`);
  return t.namespace;
}

async function listRequests(
  t: ReviewTarget,
): Promise<{ items: ApprovalRequestItem[]; resourceVersion?: string }> {
  const custom = customApi(t);
  const list = (await api(() =>
    t.namespace === undefined
      ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      : custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: t.namespace!,
        }),
  )) as { items?: ApprovalRequestItem[]; metadata?: { resourceVersion?: string } };
  return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion };
}

async function getRequest(t: ReviewTarget, name: string): Promise<ApprovalRequestItem> {
  const namespace = needNamespace(t, 'this command');
  return (await api(() =>
    customApi(t).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      name,
    }),
  )) as ApprovalRequestItem;
}

export async function listCommand(t: ReviewTarget, out: Output, now = new Date()): Promise<number> {
  const { items } = await listRequests(t);
  for (const l of listLines(items, now)) out.line(l);
  return 0;
}

export async function showCommand(
  t: ReviewTarget,
  name: string,
  storeUrl: string | undefined,
  out: Output,
): Promise<number> {
  const item = await getRequest(t, name);
  for (const l of showLines(item, new Date())) out.line(l);
  const session = item.spec?.session;
  out.line(`The session so far${session ? ` (${session})` : ''}:`);
  if (!session) {
    out.line('  the request names no recording session');
    return 0;
  }
  if (!storeUrl) {
    out.line('  recording store not configured (pass --store-url URL or set CREWGATE_STORE_URL)');
    return 0;
  }
  const reader = await StoreReader.connect(storeUrl);
  try {
    const events = await reader.events(session);
    if (events.length === 0) out.line('  no events recorded yet');
    for (const l of transcript(events)) out.line(`  ${l}`);
  } finally {
    await reader.close();
  }
  return 0;
}

/**
 * Appends one review with the documented JSON patch, then waits briefly for the operator to
 * reconcile it, so the reviewer sees what their review did (Approved, or still Pending 1 of 2).
 */
export async function reviewCommand(
  t: ReviewTarget,
  name: string,
  decision: 'Approve' | 'Deny',
  comment: string | undefined,
  out: Output,
  settleMs = 5_000,
): Promise<number> {
  const namespace = needNamespace(t, decision.toLowerCase());
  const value = comment === undefined ? { decision } : { decision, comment };
  const patched = (await api(() =>
    customApi(t).patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
      name,
      body: [{ op: 'add', path: '/spec/reviews/-', value }],
    }),
  )) as ApprovalRequestItem;
  const generation = patched.metadata?.generation ?? 0;
  const review = patched.spec?.reviews?.at(-1);
  out.line(
    `approvalrequest/${name} reviewed: ${review?.decision ?? decision} by ${review?.reviewer ?? '?'} (as the API server authenticated you)`,
  );
  let current = patched;
  const deadline = Date.now() + settleMs;
  while ((current.status?.observedGeneration ?? -1) < generation && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    current = await getRequest(t, name);
  }
  const settled = (current.status?.observedGeneration ?? -1) >= generation;
  const approvals = current.status?.approvedBy?.length ?? 0;
  const phase = phaseOf(current);
  out.line(
    `phase: ${phase}` +
      (phase === 'Pending' ? ` (${approvals} of ${current.spec?.minApprovals ?? 1} approvals)` : '') +
      (settled ? '' : ' (the operator has not reconciled the review yet)'),
  );
  return 0;
}

/**
 * Streams new requests, reviews and phase changes until `signal` aborts (Ctrl-C). Starts with the
 * pending requests, then follows the watch from the list's resourceVersion, re-listing when the
 * watch ends (the API server closes watches every few minutes).
 */
export async function watchCommand(t: ReviewTarget, out: Output, signal: AbortSignal): Promise<number> {
  const known = new Map<string, ApprovalRequestItem>();
  const key = (i: ApprovalRequestItem) => `${i.metadata?.namespace}/${i.metadata?.name}`;
  const path =
    t.namespace === undefined
      ? `/apis/${GROUP}/${VERSION}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/namespaces/${t.namespace}/${PLURAL}`;
  let first = true;
  while (!signal.aborted) {
    const { items, resourceVersion } = await listRequests(t);
    for (const item of items) {
      const line = first
        ? phaseOf(item) === 'Pending'
          ? watchLine('EXISTING', item, undefined, new Date())
          : undefined
        : watchLine('MODIFIED', item, known.get(key(item)) ?? undefined, new Date());
      if (line) out.line(line);
      known.set(key(item), item);
    }
    if (first) out.line(`watching ${t.namespace ?? 'all namespaces'} for approval requests (Ctrl-C to stop)`);
    first = false;
    await new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      const onAbort = () => controller?.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      new Watch(t.config)
        .watch(
          path,
          { resourceVersion, allowWatchBookmarks: false },
          (type: string, object: ApprovalRequestItem) => {
            if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
            const line = watchLine(type, object, known.get(key(object)), new Date());
            if (type === 'DELETED') known.delete(key(object));
            else known.set(key(object), object);
            if (line) out.line(line);
          },
          (error: unknown) => {
            signal.removeEventListener('abort', onAbort);
            if (error && !signal.aborted && !isAbort(error)) reject(refusalOf(error) ?? error);
            else resolve();
          },
        )
        .then((c) => {
          controller = c;
          if (signal.aborted) c.abort();
        }, reject);
    });
  }
  return 0;
}

const isAbort = (error: unknown) =>
  error instanceof Error && (error.name === 'AbortError' || /aborted/i.test(error.message));
