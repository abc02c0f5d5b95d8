import { compilePolicy, evaluate, indexPolicies } from './policy/index.js';
import type { Command } from './core/command.js';
const mk = (name: string, spec: unknown) => { const r = compilePolicy({ namespace: 'agents', name }, spec); if (!r.ok) throw new Error(JSON.stringify(r.errors)); return r.policy; };
const cmd: Command = { connection: 'db', protocol: 'postgres', identity: { subject: 'alice', groups: ['viewers', 'dev', 'all'] },
  operations: ['select'], resources: ['read:public.orders', 'read:sales.customers'], text: 'SELECT o.id, c.email FROM orders o JOIN sales.customers c ON c.id = o.customer_id WHERE o.total > 100', attributes: { database: 'app' } };
const now = new Date();
const N = 1_000_000;
function run(label: string, specs: unknown[]) {
  const idx = indexPolicies(specs.map((s, i) => mk(`p${i}`, s)));
  for (let i = 0; i < 100000; i++) evaluate(idx, cmd, [], now);
  const t = performance.now();
  for (let i = 0; i < N; i++) evaluate(idx, cmd, [], now);
  console.log(label, ((performance.now() - t) / N * 1000).toFixed(3), 'µs');
}
const base = { subjects: [{ group: 'viewers' }], connections: ['db'] };
run('one policy, no rules, default Allow', [{ ...base, defaultAction: 'Allow' }]);
run('one policy, allow select', [{ ...base, rules: [{ name: 'r', match: { operations: ['select'] }, action: 'Allow' }] }]);
run('one policy, allow select+resources', [{ ...base, rules: [{ name: 'r', match: { operations: ['select'], resources: ['read:public.*', 'read:sales.*'] }, action: 'Allow' }] }]);
run('one policy, deny *:hr.* then allow', [{ ...base, rules: [{ name: 'd', match: { resources: ['*:hr.*'] }, action: 'Deny' }, { name: 'r', match: { operations: ['select'] }, action: 'Allow' }] }]);
run('one policy, text rule then allow', [{ ...base, rules: [{ name: 'd', match: { text: ['*COPY*PROGRAM*'] }, action: 'Deny' }, { name: 'r', match: { operations: ['select'] }, action: 'Allow' }] }]);
run('two policies, masking union', [{ ...base, masking: ['a'], defaultAction: 'Allow' }, { ...base, masking: ['b'], defaultAction: 'Allow' }]);
