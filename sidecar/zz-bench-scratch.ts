import { compilePolicy, evaluate, evaluateAll, indexPolicies } from './policy/index.js';
import { compileMaskingRule, maskerFor } from './masking/index.js';
import type { Command } from './core/command.js';

const ap = { approverGroups: ['dba'], scope: 'Window', duration: '1h' };
const mk = (name: string, spec: unknown) => { const r = compilePolicy({ namespace: 'agents', name }, spec); if (!r.ok) throw new Error(JSON.stringify(r.errors)); return r.policy; };
const p1 = mk('analysts', { subjects: [{ group: 'viewers' }], connections: ['db'], masking: ['pii'], rules: [
  { name: 'no-secrets', match: { resources: ['*:secrets.*'] }, action: 'Deny' },
  { name: 'watch-deletes', match: { operations: ['delete'] }, action: 'Deny', enforce: false },
  { name: 'reads', match: { operations: ['select', 'explain', 'show'], resources: ['read:public.*', 'read:sales.*'] }, action: 'Allow' },
  { name: 'writes', match: { operations: ['insert', 'update', 'delete'] }, action: 'RequireApproval', approval: ap },
  { name: 'no-drops', match: { operations: ['ddl.drop'], text: ['DROP DATABASE*'] }, action: 'Deny' },
]});
const p2 = mk('guard', { subjects: [{ group: 'viewers' }, { group: 'ops' }], connections: ['db', 'lake'], defaultAction: 'Allow', masking: ['secrets'], rules: [
  { name: 'no-hr', match: { resources: ['*:hr.*'] }, action: 'Deny' },
  { name: 'hold-ddl', match: { operations: ['ddl.*'] }, action: 'RequireApproval', approval: ap },
  { name: 'no-copy-program', match: { text: ['*COPY*PROGRAM*'] }, action: 'Deny' },
]});
const p3 = mk('extra', { subjects: [{ user: 'alice' }], connections: ['db'], rules: [
  { name: 'inserts', match: { operations: ['insert'], resources: ['write:sales.*'] }, action: 'Allow' },
  { name: 'exec', match: { operations: ['exec'], attributes: { privilegedPod: false } }, action: 'Allow' },
]});
const policies = [p1, p2, p3];
const index = indexPolicies(policies);
const cmd: Command = { connection: 'db', protocol: 'postgres', identity: { subject: 'alice', groups: ['viewers', 'dev', 'all'] },
  operations: ['select'], resources: ['read:public.orders', 'read:sales.customers'], text: 'SELECT o.id, c.email FROM orders o JOIN sales.customers c ON c.id = o.customer_id WHERE o.total > 100', attributes: { database: 'app' } };
const grants = [{ name: 'ar-1', subject: 'alice', policy: 'agents/analysts', rule: 'writes', connection: 'db', expiresAt: new Date(Date.now() + 3600e3) }];
const now = new Date();

function time(label: string, n: number, f: () => void) {
  for (let i = 0; i < Math.min(n, 20000); i++) f();
  const samples: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) { const s = performance.now(); f(); samples.push(performance.now() - s); }
  const total = performance.now() - t0;
  samples.sort((a, b) => a - b);
  const q = (p: number) => (samples[Math.floor(p * (samples.length - 1))]! * 1000).toFixed(2);
  console.log(`${label}: mean ${(total / n * 1000).toFixed(2)} µs, p50 ${q(0.5)} µs, p99 ${q(0.99)} µs (n=${n})`);
}
time('evaluate select (list)', 200000, () => evaluate(policies, cmd, grants, now));
time('evaluate select (index)', 200000, () => evaluate(index, cmd, grants, now));
const del = { ...cmd, operations: ['select', 'delete'], resources: ['read:public.orders', 'write:public.orders'] };
time('evaluate select+delete w/ grant (index)', 200000, () => evaluate(index, del, grants, now));
const ddl = { ...cmd, operations: ['ddl.drop'], text: 'DROP DATABASE app' };
time('evaluate ddl.drop (index)', 200000, () => evaluate(index, ddl, grants, now));
time('evaluateAll 3 statements (index)', 100000, () => evaluateAll(index, [cmd, del, ddl], grants, now));

const rule = compileMaskingRule({ namespace: 'agents', name: 'pii' }, { detectors: ['email', 'creditCard', 'phone'] });
if (!rule.ok) throw new Error('x');
const masker = maskerFor([rule.rule], cmd.identity);
const columns = Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, table: 'public.t' }));
const rows = Array.from({ length: 1000 }, (_, r) => columns.map((_, c) => {
  if (c === 0) return String(r);
  if (c === 3 && r % 10 === 0) return `customer${r}@example.com`;
  if (c === 5 && r % 20 === 0) return '4111 1111 1111 1111';
  if (c === 7 && r % 25 === 0) return '+1 (415) 555-2671';
  if (c === 9) return null;
  return `row ${r} value ${c} lorem ipsum dolor sit amet 2024-01-15 total 123.45`;
}));
for (let k = 0; k < 5; k++) for (const row of rows) masker.maskRow(columns, row);
const runs = 30;
const t0 = performance.now();
let masked = 0;
for (let k = 0; k < runs; k++) for (const row of rows) masked += masker.maskRow(columns, row).maskedFields;
const ms = (performance.now() - t0) / runs;
console.log(`maskRow 1000x10, 3 detectors: ${ms.toFixed(1)} ms per 1000 rows => ${Math.round(1000 / ms * 1000).toLocaleString()} rows/s (masked fields per pass ${masked / runs})`);
const rule5 = compileMaskingRule({ namespace: 'agents', name: 'pii' }, { detectors: ['email', 'creditCard', 'phone', 'usSsn', 'iban', 'jwt', 'awsAccessKey', 'pemPrivateKey'] });
if (!rule5.ok) throw new Error('x');
const m8 = maskerFor([rule5.rule], cmd.identity);
const t1 = performance.now();
for (let k = 0; k < runs; k++) for (const row of rows) m8.maskRow(columns, row);
const ms8 = (performance.now() - t1) / runs;
console.log(`maskRow 1000x10, all 8 detectors: ${ms8.toFixed(1)} ms per 1000 rows => ${Math.round(1000 / ms8 * 1000).toLocaleString()} rows/s`);
{
  const N = 1_000_000;
  for (const [label, c] of [['select', cmd], ['select+delete grant', del], ['ddl.drop', ddl]] as const) {
    const t = performance.now();
    for (let i = 0; i < N; i++) evaluate(index, c, grants, now);
    console.log(`tight loop evaluate ${label}: ${((performance.now() - t) / N * 1000).toFixed(2)} µs`);
  }
}
