import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { driverPatchProblem, installedDriverDir, patchedDriverVersion } from './driver-patch';

describe('the postgres.js patch check', () => {
  const scratch = mkdtempSync(join(tmpdir(), 't50-driver-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** A copy of the installed driver's files that the check reads. */
  function copyOfInstalled(name: string): string {
    const dir = join(scratch, name);
    for (const file of ['package.json', 'src/connection.js', 'cjs/src/connection.js']) {
      cpSync(join(installedDriverDir(), file), join(dir, file));
    }
    return dir;
  }

  test('the installed driver is the pinned version, patched by npm ci', () => {
    assert.equal(driverPatchProblem(installedDriverDir()), undefined);
  });

  test('a driver installed without the patch (npm ci --ignore-scripts) is refused, naming the fix', () => {
    const dir = copyOfInstalled('unpatched');
    const file = join(dir, 'cjs/src/connection.js');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('/* t50: guarded nextWrite */', ''));
    assert.match(driverPatchProblem(dir) ?? '', /not patched \(cjs\/src\/connection\.js\); run npm ci/);
  });

  test('another driver version is refused: the patch was written for one version', () => {
    const dir = copyOfInstalled('upgraded');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'postgres', version: '3.4.10' }));
    const problem = driverPatchProblem(dir) ?? '';
    assert.match(problem, /postgres\.js 3\.4\.10 is installed/);
    assert.ok(
      problem.includes(`written for ${patchedDriverVersion}`),
      `the problem names the patched version:\n${problem}`,
    );
  });

  test('a missing driver is named', () => {
    assert.match(driverPatchProblem(join(scratch, 'nothing')) ?? '', /not installed/);
  });
});
