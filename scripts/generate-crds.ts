// Writes crds/*.yaml (and the chart's copy) and the docs/crd-*.md reference pages from the zod
// schemas: `npm run generate`.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles, renderDocFiles } from '../crds/render.js';

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

// docs/ also holds hand-written pages, so only the generated crd-*.md files are replaced.
const docs = join(root, 'docs');
for (const stale of readdirSync(docs).filter((f) => /^crd-.*\.md$/.test(f))) rmSync(join(docs, stale));
for (const [name, text] of renderDocFiles((path) => readFileSync(join(root, path), 'utf8'))) {
  writeFileSync(join(docs, name), text);
  console.log(`wrote docs/${name}`);
}
