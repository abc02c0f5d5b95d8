/**
 * Imported first by scripts/demo.ts, before the harness loads oidc-provider: its start-up warnings
 * (the Node.js version it prefers, its in-memory development adapter and keys) are true of the local
 * stand-in IdP and of nothing the demo shows, and on a terminal they print in bold red before step 1.
 * Only lines starting with "oidc-provider WARNING" are dropped; every other warning still prints.
 */
import { stripVTControlCharacters } from 'node:util';

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  const first = args[0];
  if (typeof first === 'string' && stripVTControlCharacters(first).startsWith('oidc-provider WARNING'))
    return;
  warn(...args);
};
