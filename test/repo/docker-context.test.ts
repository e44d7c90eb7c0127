/**
 * What can enter the Docker image. Docker cannot run here, so the ignore files
 * and the Dockerfile's COPY lines are read as data: the patterns are matched
 * the way Docker matches them (last matching line wins, `!` lets a path back
 * in, a path is out when it or a folder above it is out), and every path that
 * holds a secret or local data must stay out of every COPY, while the files the
 * image needs must get in.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { repositoryRoot } from '../../scripts/generate-docs';

/** One line of an ignore file as Docker compiles it (moby/patternmatcher). */
interface Pattern {
  readonly text: string;
  readonly exclusion: boolean;
  readonly regex: RegExp;
}

function compile(line: string): Pattern {
  const exclusion = line.startsWith('!');
  let text = exclusion ? line.slice(1).trim() : line;
  // Docker cleans the pattern as a path: no leading '/' or './', no trailing '/'.
  text = text
    .replace(/^\/+/, '')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  let regex = '^';
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (character === '*') {
      if (text[index + 1] === '*') {
        index++;
        if (text[index + 1] === '/') index++;
        regex += index + 1 >= text.length ? '.*' : '(.*/)?';
      } else regex += '[^/]*';
    } else if (character === '?') regex += '[^/]';
    else if (character === '\\' && index + 1 < text.length) regex += `\\${text[++index]}`;
    else if (character === '[') {
      const end = text.indexOf(']', index);
      regex += end > index ? text.slice(index, end + 1) : '\\[';
      if (end > index) index = end;
    } else regex += character.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return { text: line, exclusion, regex: new RegExp(`${regex}$`) };
}

function readIgnoreFile(path: string): Pattern[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(compile);
}

/** True when `path` (relative to the context, with '/') is left out of the build context. */
function ignored(patterns: readonly Pattern[], path: string): boolean {
  const parts = path.split('/');
  let out = false;
  for (const pattern of patterns) {
    let matches = false;
    for (let length = parts.length; length >= 1 && !matches; length--)
      matches = pattern.regex.test(parts.slice(0, length).join('/'));
    if (matches) out = !pattern.exclusion;
  }
  return out;
}

/** The sources of the Dockerfile's COPY/ADD lines (the build context's paths). */
function copiedSources(dockerfile: string): string[] {
  const sources: string[] = [];
  for (const raw of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    const match = /^(COPY|ADD)\s+(.*)$/i.exec(line);
    if (match === null) continue;
    const words = match[2]!.split(/\s+/).filter((word) => !word.startsWith('--'));
    assert.ok(!words.some((word) => word.startsWith('--from')), `${line}: no copy from another stage expected`);
    assert.ok(words.length >= 2, `${line}: a source and a destination`);
    sources.push(...words.slice(0, -1).map((source) => source.replace(/^\.\/+/, '').replace(/\/+$/, '') || '.'));
  }
  return sources;
}

/** True when the context path `path` is copied by one of the COPY sources and not ignored. */
const entersImage = (patterns: readonly Pattern[], sources: readonly string[], path: string) =>
  !ignored(patterns, path) &&
  sources.some((source) => source === '.' || path === source || path.startsWith(`${source}/`));

/** Paths where secrets or local data live, or could, in a developer's clone. */
const secretPaths = [
  '.env',
  '.env.local',
  'infrastructure/.env',
  'infrastructure/.env.production',
  'services/gateway/.env',
  'apps/embedded/.env',
  'packages/kit/src/.env',
  'services/gateway/jwt.pem',
  'services/gateway/src/private.pem',
  'apps/embedded/server.key',
  'packages/kit/tls/client.key',
  'server.key',
  'key.pem',
  '.data/secrets/transactions-api-key',
  '.data/secrets/gateway-jwt-private-key',
  '.data/transactions/pgdata/PG_VERSION',
  'services/transactions/.data/transactions/pgdata/PG_VERSION',
  'apps/embedded/.data/embedded.log',
  'services/auth/secrets/gateway',
  'services/auth/secrets.json',
  'apps/embedded/src/.secrets',
  'secrets.yaml',
  'node_modules/pg/package.json',
  'services/auth/node_modules/argon2/index.js',
  '.git/config',
];

const contexts = [
  { name: '.dockerignore', path: join(repositoryRoot, '.dockerignore') },
  {
    name: 'infrastructure/Dockerfile.dockerignore',
    path: join(repositoryRoot, 'infrastructure', 'Dockerfile.dockerignore'),
  },
];
const dockerfile = readFileSync(join(repositoryRoot, 'infrastructure', 'Dockerfile'), 'utf8');
const sources = copiedSources(dockerfile);

describe('what can enter the Docker image', () => {
  it('matches ignore patterns as Docker does', () => {
    const patterns = ['*', '!services', '**/.env', '!services/keep/.env'].map(compile);
    assert.equal(ignored(patterns, 'README.md'), true);
    assert.equal(ignored(patterns, 'services/a/main.ts'), false);
    assert.equal(ignored(patterns, 'services/a/.env'), true);
    assert.equal(ignored(patterns, 'services/keep/.env'), false);
    assert.equal(ignored([compile('**/.data')], 'a/b/.data/x/y'), true, 'a folder leaves out what it holds');
    assert.equal(ignored([compile('*.key')], 'a/b.key'), false, '* does not cross a folder');
  });

  it('copies named folders and files, never the whole context', () => {
    assert.ok(sources.length > 0, 'the Dockerfile copies something');
    for (const source of sources) {
      assert.notEqual(source, '.', 'COPY . copies the whole context');
      assert.ok(!/[*?]/.test(source) || !source.startsWith('*'), `${source}: no catch-all pattern`);
    }
  });

  for (const context of contexts) {
    const patterns = readIgnoreFile(context.path);

    it(`${context.name}: no .env, key, .data, secrets file or node_modules enters the image`, () => {
      for (const path of secretPaths) {
        assert.equal(ignored(patterns, path), true, `${path} is left out of the build context`);
        assert.equal(entersImage(patterns, sources, path), false, `${path} does not enter the image`);
      }
    });

    it(`${context.name}: nothing secret in this working tree enters the image`, () => {
      const looksSecret = (name: string) =>
        /^\.env(\..*)?$/.test(name) || /\.(pem|key|p12|pfx)$/.test(name) || /^\.?secrets(\..*)?$/.test(name);
      const walk = (directory: string): void => {
        for (const entry of readdirSync(directory, { withFileTypes: true })) {
          if (entry.name === '.git' || entry.name === 'node_modules') continue;
          const path = relative(repositoryRoot, join(directory, entry.name)).split('\\').join('/');
          if (entry.name === '.data' || looksSecret(entry.name))
            assert.equal(entersImage(patterns, sources, path), false, `${path} must not enter the image`);
          else if (entry.isDirectory()) walk(join(directory, entry.name));
        }
      };
      walk(repositoryRoot);
    });

    it(`${context.name}: what the image runs gets in`, () => {
      const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
        workspaces: string[];
        scripts: Record<string, string>;
      };
      const needed = [
        'package.json',
        'package-lock.json',
        'apps/embedded/src/main.ts',
        'services/transactions/src/main.ts',
        'services/auth/src/main.ts',
        'services/gateway/src/main.ts',
        'packages/kit/src/index.ts',
        'packages/contracts/package.json',
      ];
      // npm ci runs the install scripts: the files they name must be there.
      for (const word of (manifest.scripts.postinstall ?? '').split(/\s+/))
        if (/^[\w.-]+\/[\w./-]+$/.test(word)) needed.push(word);
      // patch-package (the postinstall) applies every file in patches/; without them the services refuse to start.
      for (const name of readdirSync(join(repositoryRoot, 'patches'))) needed.push(`patches/${name}`);
      // Every migration of every service.
      for (const service of ['transactions', 'auth', 'gateway']) {
        const directory = join(repositoryRoot, 'services', service, 'src', 'migrations');
        for (const name of readdirSync(directory)) needed.push(`services/${service}/src/migrations/${name}`);
      }
      for (const path of needed) assert.equal(entersImage(patterns, sources, path), true, `${path} is in the image`);
    });
  }

  it('the two ignore files say the same (one for the classic builder, one for BuildKit)', () => {
    assert.equal(readFileSync(contexts[0]!.path, 'utf8'), readFileSync(contexts[1]!.path, 'utf8'));
  });
});
