// `npm start`: compiles embedded mode (apps/embedded/src/main.ts and the
// workspace's TypeScript it imports) into one JavaScript file with esbuild,
// then runs it. Loading TypeScript through tsx compiled some 200 files at every
// start (4-7 s of a start on a busy machine); esbuild does the whole bundle in
// well under a second. npm packages stay outside the bundle, each imported from
// where the importing workspace finds it (native and WebAssembly modules such
// as PGlite and argon2 load as installed); `import.meta.url` keeps meaning the
// source file, so migrations and data files are found beside their code.
//
// The bundle is made anew at every start (no stale build to trust) under
// node_modules/.cache/transactions50/ (or the temporary folder when the
// install is read-only). Without esbuild (an install without
// development dependencies) it falls back to tsx, then to a clear message.
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'apps/embedded/src/main.ts');

/** Resolves npm packages from the importing file, then leaves them out of the bundle. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@t50/') || args.pluginData === 'resolving') return undefined;
      if (args.path.startsWith('node:')) return { external: true };
      const found = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: pathToFileURL(found.path).href, external: true };
    });
    // Each source file keeps its own URL, so paths made from it stay right.
    build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return {
        contents: source.replaceAll('import.meta.url', url),
        loader: 'ts',
      };
    });
  },
};

/** node_modules/.cache, or a folder of this user's in the temporary folder where the install is read-only (a container). */
async function bundleFolder() {
  const preferred = join(root, 'node_modules/.cache/transactions50');
  try {
    await mkdir(preferred, { recursive: true });
    await access(preferred, constants.W_OK);
    return preferred;
  } catch {
    const fallback = join(tmpdir(), `transactions50-${process.getuid?.() ?? 'user'}`);
    await mkdir(fallback, { recursive: true, mode: 0o700 });
    return fallback;
  }
}

async function bundle() {
  const { build } = await import('esbuild');
  // The bundle names every npm package by its absolute path, so it may live anywhere.
  const target = join(await bundleFolder(), 'embedded.mjs');
  const building = `${target}.${process.pid}.mjs`;
  try {
    await build({
      entryPoints: [entry],
      outfile: building,
      bundle: true,
      platform: 'node',
      // As Node itself resolves a package: its "exports", else "main" (never the bundlers' "module").
      mainFields: ['main'],
      conditions: [],
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'error',
      plugins: [externalPackages],
    });
    // Renamed into place: another start reading the old file keeps it whole.
    await rename(building, target);
  } finally {
    await rm(building, { force: true });
  }
  return target;
}

let compiled;
try {
  compiled = await bundle();
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
}
if (compiled !== undefined) {
  // Stack traces point at the TypeScript sources.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api').catch(() => {
    process.stderr.write('embedded mode needs the development dependencies (esbuild or tsx): run `npm ci`\n');
    process.exit(2);
  });
  register();
  await import(pathToFileURL(entry).href);
}
