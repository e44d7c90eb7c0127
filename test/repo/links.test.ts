/**
 * The documents are for someone who has only this repository: every Markdown
 * link points at a file or folder in it (or at a web address), every `#anchor`
 * names a heading that exists, no link leaves the repository or names a path
 * on one machine, and no file mentions documents or folders the repository does
 * not have, or wording only the people who wrote it would understand.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { repositoryRoot } from '../../scripts/generate-docs';

/** Files in the repository: tracked ones and new ones not ignored (what a clone would have once committed). */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return listed
    .split('\0')
    .filter((path) => path !== '' && !path.split('/').includes('node_modules'))
    .filter((path) => existsSync(join(repositoryRoot, path)));
}

interface Link {
  readonly line: number;
  readonly target: string;
}

/** Markdown without fenced code blocks and inline code (links there are examples, not links). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '``');
  });
}

/** Inline links and images `[text](target "title")`, reference definitions `[name]: target`, and HTML href/src. */
export function linksIn(markdown: string): Link[] {
  const links: Link[] = [];
  proseLines(markdown).forEach((text, index) => {
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ line: index + 1, target: match[1]! });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(text);
    if (definition !== null) links.push({ line: index + 1, target: definition[1]! });
    for (const match of text.matchAll(/\b(?:href|src)="([^"]*)"/g)) links.push({ line: index + 1, target: match[1]! });
  });
  return links;
}

/** The anchors GitHub makes for a document's headings. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const text of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (heading === null) continue;
    const slug = heading[1]!
      .replace(/``/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** What is wrong with one link of `file` (relative to the repository), or undefined when it is fine. */
export function problemWith(file: string, target: string, root: string = repositoryRoot): string | undefined {
  if (target === '') return 'an empty link';
  if (/^(https?:|mailto:)/i.test(target)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return `a link outside the repository (${target})`;
  if (target.startsWith('/') || target.startsWith('\\')) return `a path on one machine (${target})`;
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const path = decodeURIComponent(pathPart);
  const absolute = path === '' ? join(root, file) : resolve(root, dirname(file), path);
  const inside = relative(root, absolute);
  if (inside.startsWith('..') || inside.startsWith(sep) || resolve(root, inside) !== absolute)
    return `a link outside the repository (${target})`;
  if (!existsSync(absolute)) return `a missing file (${target})`;
  if (anchor !== undefined && anchor !== '' && statSync(absolute).isFile() && extname(absolute) === '.md') {
    if (!anchorsOf(readFileSync(absolute, 'utf8')).has(decodeURIComponent(anchor).toLowerCase()))
      return `a missing heading (${target})`;
  }
  return undefined;
}

/** Names and wording that only make sense to the people who wrote the project. */
const internal: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /\b(?:LEDGER|MEASURED|ARCHITECTURE|STYLE)\.md\b/, why: 'a document the repository does not have' },
  { pattern: /\.\.\/shared\b|\/work\/(?:shared|main)\b/, why: 'a folder outside the repository' },
  { pattern: /\bother agents?\b/i, why: 'internal wording' },
  { pattern: /\b(?:issue|stop) \d+\b/i, why: 'an internal reference number' },
  { pattern: /\bthe seed says\b/i, why: 'internal wording' },
];

const files = repositoryFiles();
const markdownFiles = files.filter((file) => file.endsWith('.md'));
const textFiles = files.filter(
  (file) =>
    /\.(?:md|ts|tsx|mts|js|mjs|cjs|json|ya?ml|sh|sql|txt|html|css)$|(?:^|\/)(?:Dockerfile|\.dockerignore|run)$/.test(
      file,
    ) &&
    !file.endsWith('package-lock.json') &&
    file !== 'test/repo/links.test.ts' &&
    !file.startsWith('bench/results/') &&
    statSync(join(repositoryRoot, file)).size < 2_000_000,
);

describe('links and references in the repository', () => {
  it('reads links and anchors as GitHub does', () => {
    assert.deepEqual(
      linksIn('See [a](docs/a.md#x) and `[b](nope.md)`.\n```\n[c](gone.md)\n```\n[d]: ../out.md "t"').map(
        (link) => link.target,
      ),
      ['docs/a.md#x', '../out.md'],
    );
    assert.ok(
      anchorsOf('## Why not 10,000 transfers/s here').has('why-not-10000-transferss-here'),
      'a heading anchor drops punctuation as GitHub does',
    );
    assert.ok(anchorsOf('# A\n# A').has('a-1'), 'a repeated heading gets the -1 anchor');
    assert.equal(problemWith('README.md', 'https://example.com'), undefined);
    assert.equal(problemWith('README.md', 'docs/ledger.md'), undefined);
    assert.match(problemWith('docs/x.md', '../../outside.md') ?? '', /outside the repository/);
    assert.match(problemWith('docs/x.md', '/home/someone/notes.md') ?? '', /one machine/);
    assert.match(problemWith('README.md', 'docs/not-there.md') ?? '', /missing file/);
    assert.match(problemWith('README.md', 'README.md#no-such-heading') ?? '', /missing heading/);
  });

  it('every Markdown link points at something in the repository', () => {
    assert.ok(markdownFiles.includes('README.md'), 'the README is found');
    const problems: string[] = [];
    for (const file of markdownFiles) {
      for (const link of linksIn(readFileSync(join(repositoryRoot, file), 'utf8'))) {
        const problem = problemWith(file, link.target);
        if (problem !== undefined) problems.push(`${file}:${link.line}: ${problem}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('no file mentions documents or folders outside the repository, or internal wording', () => {
    const problems: string[] = [];
    for (const file of textFiles) {
      readFileSync(join(repositoryRoot, file), 'utf8')
        .split('\n')
        .forEach((text, index) => {
          for (const { pattern, why } of internal)
            if (pattern.test(text)) problems.push(`${file}:${index + 1}: ${why}: ${text.trim().slice(0, 120)}`);
        });
    }
    assert.deepEqual(problems, []);
  });
});
