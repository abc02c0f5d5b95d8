// Every relative link in the docs and the examples' READMEs points at a file that exists, and every
// `page.md#anchor` at a heading that page has: a renamed file or heading breaks this test, not a
// reader's click.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../harness/paths.js';

const pages = [
  ...readdirSync(join(repositoryRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(repositoryRoot, 'docs', f)),
  join(repositoryRoot, 'README.md'),
  join(repositoryRoot, 'examples/crewai/README.md'),
  join(repositoryRoot, 'bench/README.md'),
];

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const anchorsOf = (file: string) =>
  new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, ''))),
  );

/** Links outside fenced blocks and code spans: `[text](target)`. */
function linksOf(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe('links in the docs', () => {
  it.each(pages.map((p) => [relative(repositoryRoot, p), p]))(
    '%s: every relative link resolves',
    (_, page) => {
      const broken: string[] = [];
      for (const link of linksOf(readFileSync(page, 'utf8'))) {
        if (/^[a-z]+:/.test(link)) continue;
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path === '' ? page : join(dirname(page), path);
        if (!existsSync(target)) broken.push(`${link} (no such file)`);
        else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor))
          broken.push(`${link} (no such heading)`);
      }
      expect(broken).toEqual([]);
    },
  );
});
