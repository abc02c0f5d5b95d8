/**
 * A recorded session as text an auditor reads: one line per command with its decision and rule,
 * results and errors under it. Pure (events in, lines out), so it is tested without a store.
 */
import type { RecordedEvent } from '../../sidecar/recording/recorded-event.js';

const offset = (start: string, t: string) => `+${((Date.parse(t) - Date.parse(start)) / 1000).toFixed(3)}s`;
const indent = ' '.repeat(12);

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

export function transcript(events: RecordedEvent[]): string[] {
  const lines: string[] = [];
  const start = events[0]?.time;
  if (start === undefined) return lines;
  for (const e of events) {
    const p = e.payload;
    const at = `[${offset(start, e.time).padStart(9)}] #${e.seq}`;
    switch (e.type) {
      case 'session.start': {
        const identity = (p.identity ?? {}) as Record<string, unknown>;
        const groups = Array.isArray(identity.groups) ? identity.groups.join(',') : '';
        lines.push(`session ${e.session} on ${str(p.connection)} (${str(p.protocol)}) from ${str(p.client)}`);
        lines.push(
          `  subject ${str(identity.subject)}${groups ? ` groups ${groups}` : ''}${identity.pod ? ` pod ${str(identity.pod)}` : ''}${identity.serviceAccount ? ` sa ${str(identity.serviceAccount)}` : ''}`,
        );
        lines.push(`  started ${e.time}`);
        break;
      }
      case 'command': {
        const d = (p.decision ?? {}) as Record<string, unknown>;
        const commands = Array.isArray(p.commands) ? (p.commands as Record<string, unknown>[]) : [];
        const rule = d.rule ? ` ${str(d.policy)}/${str(d.rule)}` : '';
        // Observe-only rules that would have denied or held the command (policy dry runs).
        const observed = Array.isArray(d.observed)
          ? (d.observed as Record<string, unknown>[])
              .map((o) => ` (would ${str(o.action)}: ${str(o.policy)}/${str(o.rule)})`)
              .join('')
          : '';
        const approval = p.approval ? ` approval ${str(p.approval)}` : '';
        const grant = d.grant ? ` grant ${str(d.grant)}` : '';
        lines.push(`${at} ${str(d.action).toUpperCase()}${rule}${approval}${grant}${observed}`);
        for (const c of commands) lines.push(`${indent}> ${str(c.text)}`);
        if (d.action !== 'Allow' && d.reason) lines.push(`${indent}  refused: ${str(d.reason)}`);
        break;
      }
      case 'result': {
        const parts = [
          p.tag ? str(p.tag) : 'result',
          p.rows !== undefined ? `${str(p.rows)} rows` : '',
          p.maskedFields ? `${str(p.maskedFields)} fields masked` : '',
        ];
        lines.push(`${indent}< ${parts.filter(Boolean).join(', ')}`);
        break;
      }
      case 'error':
        lines.push(`${indent}! ${p.code ? `${str(p.code)} ` : ''}${str(p.message)}`);
        break;
      case 'terminal':
        lines.push(`${at} ${str(p.stream)} ${Buffer.from(str(p.data), 'base64').length} bytes`);
        break;
      case 'resize':
        lines.push(`${at} resize ${str(p.cols)}x${str(p.rows)}`);
        break;
      case 'session.end':
        lines.push(`${at} end: ${str(p.reason)}`);
        lines.push(`  final hash ${e.hash}`);
        break;
    }
  }
  return lines;
}
