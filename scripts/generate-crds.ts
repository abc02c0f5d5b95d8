// Writes crds/*.yaml (and the chart's copy) from the zod schemas: `npm run generate`.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../crds/render.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The chart carries its own copy (helm installs crds/ before templates); both come from the schemas.
const targets = [join(root, 'crds'), join(root, 'charts/crewgate/crds')];

for (const dir of targets) {
  mkdirSync(dir, { recursive: true });
  for (const stale of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) rmSync(join(dir, stale));
  for (const [name, text] of renderCrdFiles()) {
    writeFileSync(join(dir, name), text);
    console.log(`wrote ${join(dir, name).slice(root.length + 1)}`);
  }
}
