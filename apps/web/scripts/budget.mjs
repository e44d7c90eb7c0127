// Builds the web app and prints what a first visit costs: the build time and
// the gzip size of the JavaScript index.html loads at once (its module script
// and the chunks it preloads), then of every chunk, and the CSS.
// Usage: npm run -w @t50/web budget   (exits 1 when the initial JS is over 250 KB gzip)
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(web, 'dist');
const limitBytes = 250 * 1024;

const started = process.hrtime.bigint();
const build = spawnSync(process.execPath, [join(web, '..', '..', 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], {
  cwd: web,
  encoding: 'utf8',
});
const buildMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
if (build.status !== 0) {
  console.error(build.stdout, build.stderr);
  process.exit(1);
}

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = new Set(
  [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/?([^"]+\.js)"/g)].map(
    (m) => m[1],
  ),
);
const gzip = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

let initialBytes = 0;
for (const file of initial) initialBytes += gzip(file);
console.log(`build time: ${(buildMs / 1000).toFixed(1)} s`);
console.log(
  `initial JS (loaded by index.html): ${kb(initialBytes)} gzip in ${initial.size} file(s): ${[...initial].join(', ')}`,
);
const assets = readdirSync(join(dist, 'assets')).sort();
for (const name of assets.filter((file) => file.endsWith('.js') && !initial.has(`assets/${file}`)))
  console.log(`  lazy chunk ${name}: ${kb(gzip(`assets/${name}`))} gzip`);
for (const name of assets.filter((file) => file.endsWith('.css')))
  console.log(`  css ${name}: ${kb(gzip(`assets/${name}`))} gzip`);
if (initialBytes > limitBytes) {
  console.error(`initial JS is over the ${kb(limitBytes)} budget`);
  process.exit(1);
}
