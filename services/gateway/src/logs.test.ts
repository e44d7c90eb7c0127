/**
 * No secret and no personal data in any log line: a realistic flow through a
 * real gateway, auth service and ledger (testing/log-scenario.ts, its own
 * process, every service logging at trace level), including a PostgreSQL
 * error with KYC values as parameters and a malformed API key, and then every
 * byte they wrote is searched for the keys, passwords, tokens and KYC values
 * used.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const serviceRoot = fileURLToPath(new URL('..', import.meta.url));
const secretsFile = join(tmpdir(), `t50-logscan-${randomBytes(4).toString('hex')}.json`);
after(async () => {
  await rm(secretsFile, { force: true });
});

test(
  'the logs of a whole flow, errors included, hold no secret and no personal data',
  { timeout: 240_000 },
  async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/testing/log-scenario.ts'], {
      cwd: serviceRoot,
      env: { ...process.env, TEST_LOG_LEVEL: 'trace', SECRETS_FILE: secretsFile },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 220_000);
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    clearTimeout(timer);
    assert.equal(code, 0, output.slice(-4000));

    const { secrets, personal } = JSON.parse(readFileSync(secretsFile, 'utf8')) as {
      secrets: string[];
      personal: string[];
    };
    // The logs are really there: every service, every level down to trace, and the failures.
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    assert.ok(lines.length > 50, `${lines.length} log lines`);
    for (const service of ['test-gateway-logscan', 'test-gw_logscan']) {
      assert.ok(output.includes(`"service":"${service}`), `${service} logged`);
    }
    assert.match(output, /"msg":"unexpected error"/, 'the forced database error was logged');
    assert.match(output, /logscan_forced/, 'with its constraint');
    assert.ok(secrets.length >= 15 && personal.length >= 15, 'the lists to look for are filled');

    const found = [...secrets.map((value) => ['secret', value]), ...personal.map((value) => ['personal', value])]
      .filter(([, value]) => output.includes(value!))
      .map(([kind, value]) => {
        const line = lines.find((text) => text.includes(value!)) ?? '';
        return `${kind} ${value!.slice(0, 6)}… in: ${line.slice(0, 600)}`;
      });
    assert.deepEqual(found, []);
  },
);
