/**
 * What `kubectl crewgate` prints about ApprovalRequests, pure (objects and a clock in, lines out),
 * so the table order, truncation and the detail page are tested without an API server. A reviewer
 * reads these to decide; nothing here decides anything.
 */

/** An ApprovalRequest as the API returns it; only what the plugin prints is typed. */
export interface ApprovalRequestItem {
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string | Date;
    resourceVersion?: string;
    generation?: number;
  };
  spec?: {
    requester?: { subject?: string; groups?: string[]; serviceAccount?: string; pod?: string };
    connection?: string;
    protocol?: string;
    command?: { text?: string; operations?: string[]; resources?: string[] };
    policy?: string;
    rule?: string;
    approverGroups?: string[];
    minApprovals?: number;
    scope?: string;
    duration?: string;
    expiresAt?: string;
    session?: string;
    reviews?: {
      decision?: string;
      comment?: string;
      reviewer?: string;
      reviewerGroups?: string[];
      reviewedAt?: string;
    }[];
  };
  status?: {
    phase?: string;
    approvedBy?: string[];
    deniedBy?: string;
    decidedAt?: string;
    windowEndsAt?: string;
    executedAt?: string;
    observedGeneration?: number;
  };
}

/** A request with no phase yet has not been reconciled: it is waiting like a Pending one. */
export const phaseOf = (item: ApprovalRequestItem): string => item.status?.phase ?? 'Pending';

const createdAt = (item: ApprovalRequestItem): number => {
  const t = item.metadata?.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
};

/** Pending first (oldest first: it has waited longest), then the rest, newest first. */
export function sortForReview(items: ApprovalRequestItem[]): ApprovalRequestItem[] {
  const pending = items.filter((i) => phaseOf(i) === 'Pending').sort((a, b) => createdAt(a) - createdAt(b));
  const rest = items.filter((i) => phaseOf(i) !== 'Pending').sort((a, b) => createdAt(b) - createdAt(a));
  return [...pending, ...rest];
}

/** kubectl's age style: 45s, 12m, 3h, 5d. */
export function age(from: number, now: number): string {
  const s = Math.max(0, Math.floor((now - from) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7_200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3_600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** One line, at most `max` characters: commands are often multi-line SQL. */
export function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 3)}...`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('   ')
      .trimEnd(),
  );
}

/** The `list` table: NAME NAMESPACE PHASE REQUESTER CONNECTION COMMAND AGE. */
export function listLines(items: ApprovalRequestItem[], now: Date, commandWidth = 60): string[] {
  if (items.length === 0) return ['No approval requests found.'];
  const rows = [['NAME', 'NAMESPACE', 'PHASE', 'REQUESTER', 'CONNECTION', 'COMMAND', 'AGE']];
  for (const i of sortForReview(items)) {
    rows.push([
      i.metadata?.name ?? '',
      i.metadata?.namespace ?? '',
      phaseOf(i),
      i.spec?.requester?.subject ?? '',
      i.spec?.connection ?? '',
      truncate(i.spec?.command?.text ?? '', commandWidth),
      age(createdAt(i), now.getTime()),
    ]);
  }
  return table(rows);
}

const until = (iso: string | undefined, now: Date): string => {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return t > now.getTime() ? `${iso} (in ${age(now.getTime(), t)})` : `${iso} (${age(t, now.getTime())} ago)`;
};

/** The `show` page, without "the session so far" (that needs the recording store). */
export function showLines(item: ApprovalRequestItem, now: Date): string[] {
  const s = item.spec ?? {};
  const r = s.requester ?? {};
  const st = item.status ?? {};
  const reviews = s.reviews ?? [];
  const approvers = new Set(st.approvedBy ?? []);
  const lines = [
    `Name:             ${item.metadata?.name ?? ''}`,
    `Namespace:        ${item.metadata?.namespace ?? ''}`,
    `Phase:            ${phaseOf(item)}`,
    `Requester:        ${r.subject ?? '-'}`,
    `  Groups:         ${(r.groups ?? []).join(', ') || '-'}`,
    `  Pod:            ${r.pod ?? '-'}`,
    `  ServiceAccount: ${r.serviceAccount ?? '-'}`,
    `Connection:       ${s.connection ?? '-'} (${s.protocol ?? '?'})`,
    `Policy:           ${s.policy ?? '-'}`,
    `Rule:             ${s.rule ?? '-'}`,
    `Operations:       ${(s.command?.operations ?? []).join(', ') || '-'}`,
    `Resources:        ${(s.command?.resources ?? []).join(', ') || '-'}`,
    `Approver groups:  ${(s.approverGroups ?? []).join(', ')}`,
    `Min approvals:    ${s.minApprovals ?? 1} (${approvers.size} so far)`,
    `Scope:            ${s.scope ?? 'Once'}${s.scope === 'Window' && s.duration ? ` for ${s.duration}` : ''}`,
    `Expires:          ${until(s.expiresAt, now)}`,
  ];
  if (st.decidedAt) lines.push(`Decided:          ${st.decidedAt}`);
  if (st.windowEndsAt) lines.push(`Window ends:      ${until(st.windowEndsAt, now)}`);
  if (st.executedAt) lines.push(`Executed:         ${st.executedAt}`);
  lines.push(`Reviews:          ${reviews.length === 0 ? 'none yet' : ''}`.trimEnd());
  for (const v of reviews) {
    lines.push(
      `  ${v.reviewedAt ?? '?'}  ${v.decision ?? '?'}  by ${v.reviewer ?? '(unstamped)'}` +
        `${v.reviewerGroups?.length ? ` [${v.reviewerGroups.join(', ')}]` : ''}${v.comment ? `: ${v.comment}` : ''}`,
    );
  }
  lines.push('Command:');
  for (const l of (s.command?.text ?? '').split('\n')) lines.push(`  ${l}`);
  return lines;
}

/** What `watch` says about one change, or nothing when the change is not one a reviewer cares about. */
export function watchLine(
  type: string,
  item: ApprovalRequestItem,
  previous: ApprovalRequestItem | undefined,
  now: Date,
): string | undefined {
  const id = `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
  const at = now.toISOString();
  const phase = phaseOf(item);
  if (type === 'DELETED') return `${at}  deleted   ${id}`;
  if (!previous) {
    return `${at}  ${type === 'ADDED' ? 'new' : 'seen'}       ${id}  ${phase}  ${item.spec?.requester?.subject ?? ''} on ${item.spec?.connection ?? ''}: ${truncate(item.spec?.command?.text ?? '', 60)}`;
  }
  const lines: string[] = [];
  const before = previous.spec?.reviews?.length ?? 0;
  for (const v of (item.spec?.reviews ?? []).slice(before)) {
    lines.push(
      `${at}  reviewed  ${id}  ${v.decision ?? '?'} by ${v.reviewer ?? '?'}${v.comment ? `: ${v.comment}` : ''}`,
    );
  }
  const was = phaseOf(previous);
  if (was !== phase) {
    const who =
      phase === 'Approved'
        ? ` (by ${(item.status?.approvedBy ?? []).join(', ')})`
        : phase === 'Denied'
          ? ` (by ${item.status?.deniedBy ?? '?'})`
          : '';
    lines.push(`${at}  phase     ${id}  ${was} -> ${phase}${who}`);
  }
  return lines.length ? lines.join('\n') : undefined;
}
