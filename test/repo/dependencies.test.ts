/**
 * Every workspace package declares what it imports, and nothing it does not
 * use. npm hoists every dependency to the root node_modules, so an undeclared
 * import works on a developer's machine and breaks the day the package is
 * installed on its own (a Docker image per service, another hoisting layout).
 * Files outside the workspaces (scripts/, bench/, test/) belong to the root
 * package.json.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');
const skippedFolders = new Set(['node_modules', 'dist', '.data', 'coverage', '.git']);
const sourceFile = /\.(?:ts|tsx|mts|js|mjs|cjs)$/;
const builtins = new Set(builtinModules);

/**
 * Declared packages that no source file imports, and why each is still needed.
 * Keep this list short: every entry is used by a tool, not by code.
 */
const usedWithoutImport: Readonly<Record<string, string>> = {
  typescript: 'the type checker (npm run typecheck)',
  tsx: 'runs the TypeScript sources (node --import tsx)',
  prettier: 'npm run format',
  eslint: 'npm run lint',
  'patch-package': 'applies patches/ at postinstall',
  'openapi-typescript': "generates the web app's API types (npm run -w @t50/web generate)",
  'axe-core': 'injected into pages by the browser tests as a script file',
};

interface Workspace {
  readonly name: string;
  readonly dir: string;
  readonly declared: ReadonlySet<string>;
  /** Folders (relative to the repository) whose files belong to this package. */
  readonly roots: readonly string[];
}

function readPackage(dir: string): { name: string; declared: Set<string>; workspaces: string[] } {
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    workspaces?: string[];
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const declared = new Set([
    ...Object.keys(json.dependencies ?? {}),
    ...Object.keys(json.devDependencies ?? {}),
    ...Object.keys(json.peerDependencies ?? {}),
    ...Object.keys(json.optionalDependencies ?? {}),
  ]);
  return { name: json.name, declared, workspaces: json.workspaces ?? [] };
}

function workspaces(): Workspace[] {
  const top = readPackage(root);
  const found: Workspace[] = [];
  for (const pattern of top.workspaces) {
    const parent = pattern.replace(/\/\*$/, '');
    for (const entry of readdirSync(join(root, parent))) {
      const dir = join(root, parent, entry);
      try {
        statSync(join(dir, 'package.json'));
      } catch {
        continue;
      }
      const pkg = readPackage(dir);
      found.push({ name: pkg.name, dir, declared: pkg.declared, roots: [relative(root, dir)] });
    }
  }
  found.push({ name: top.name, dir: root, declared: top.declared, roots: ['scripts', 'bench', 'test', '.'] });
  return found;
}

function filesUnder(dir: string, recurse: boolean, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (skippedFolders.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (recurse) filesUnder(path, true, out);
    } else if (sourceFile.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The package a bare import specifier names, or undefined for relative, absolute and built-in ones. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  if (specifier.startsWith('virtual:') || specifier.includes('?')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  if (builtins.has(name)) return undefined;
  return name;
}

function importsOf(file: string): Set<string> {
  // TypeScript's own scanner: static and dynamic imports, re-exports and require() calls, not look-alikes in strings.
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const found = new Set<string>();
  for (const { fileName } of importedFiles) {
    const name = packageOf(fileName);
    if (name !== undefined) found.add(name);
  }
  return found;
}

function importsByWorkspace(): Map<Workspace, Map<string, string>> {
  const all = workspaces();
  const result = new Map<Workspace, Map<string, string>>();
  for (const workspace of all) {
    const files =
      workspace.dir === root
        ? workspace.roots.flatMap((folder) => filesUnder(join(root, folder), folder !== '.'))
        : filesUnder(workspace.dir, true);
    const imports = new Map<string, string>();
    for (const file of files) {
      for (const name of importsOf(file)) if (!imports.has(name)) imports.set(name, relative(root, file));
    }
    result.set(workspace, imports);
  }
  return result;
}

describe('package dependencies', () => {
  const byWorkspace = importsByWorkspace();

  test('the specifier parser finds the package a file imports', () => {
    assert.equal(packageOf('@fastify/static'), '@fastify/static');
    assert.equal(packageOf('@t50/kit/testing'), '@t50/kit');
    assert.equal(packageOf('react-dom/client'), 'react-dom');
    assert.equal(packageOf('node:fs'), undefined);
    assert.equal(packageOf('fs'), undefined);
    assert.equal(packageOf('./local'), undefined);
  });

  test('every package declares what it imports', () => {
    const missing: string[] = [];
    for (const [workspace, imports] of byWorkspace) {
      for (const [name, file] of imports) {
        if (name === workspace.name || workspace.declared.has(name)) continue;
        missing.push(`${workspace.name} imports ${name} (${file}) but does not declare it`);
      }
    }
    assert.deepEqual(missing, []);
  });

  test('no package declares a dependency it does not use', () => {
    const unused: string[] = [];
    for (const [workspace, imports] of byWorkspace) {
      for (const name of workspace.declared) {
        if (imports.has(name) || name in usedWithoutImport || name.startsWith('@types/')) continue;
        unused.push(`${workspace.name} declares ${name} but nothing imports it`);
      }
    }
    assert.deepEqual(unused, []);
  });
});
