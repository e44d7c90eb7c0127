/** The configuration fails fast, naming what is missing, and never echoes a secret. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError, describeConfig } from '@t50/kit';
import { gatewayConfigSpec, loadGatewayConfig, parseSigningKey } from './config';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** The shape the auth service's keys CLI prints. */
const authKey = `t50_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;
const required = {
  AUTH_API_KEY: authKey,
  TRANSACTIONS_API_KEY: randomBytes(32).toString('hex'),
  JWT_PRIVATE_KEY: pem(),
};

test('every missing secret is named at once', () => {
  assert.throws(
    () => loadGatewayConfig({}),
    (error: unknown) =>
      error instanceof ConfigError &&
      ['AUTH_API_KEY', 'TRANSACTIONS_API_KEY', 'JWT_PRIVATE_KEY'].every((name) =>
        error.problems.some((problem) => problem.startsWith(`${name} is required`)),
      ),
  );
});

test('a complete environment loads, with the documented defaults', () => {
  const config = loadGatewayConfig(required);
  assert.equal(config.ACCESS_TOKEN_TTL_SECONDS, 7200);
  assert.equal(config.JWT_PRIVATE_KEY.privateKey.asymmetricKeyType, 'ed25519');
  assert.equal(config.COOKIE_SECURE, true);
});

test('the signing key may be a PEM with \\n escapes or a private JWK; other keys are refused without echoing them', () => {
  const text = pem();
  assert.equal(parseSigningKey(text.replace(/\n/g, '\\n')).publicKey.asymmetricKeyType, 'ed25519');
  const jwk = JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }));
  assert.equal(parseSigningKey(jwk).privateKey.asymmetricKeyType, 'ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  assert.throws(
    () => loadGatewayConfig({ ...required, JWT_PRIVATE_KEY: rsa }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `a ConfigError, not: ${String(error)}`);
      assert.match(error.message, /JWT_PRIVATE_KEY is invalid: expected an Ed25519 key/);
      assert.equal(error.message.includes('PRIVATE KEY-----'), false);
      return true;
    },
  );
  const publicJwk = JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }));
  assert.throws(() => parseSigningKey(publicJwk), /private key/);
});

test('short API keys are refused; every key is documented and secrets are flagged', () => {
  assert.throws(() => loadGatewayConfig({ ...required, AUTH_API_KEY: 'short' }), /AUTH_API_KEY is invalid/);
  for (const [name, key] of Object.entries(gatewayConfigSpec)) assert.ok(key.doc.length > 10, name);
  for (const name of [
    'AUTH_API_KEY',
    'TRANSACTIONS_API_KEY',
    'JWT_PRIVATE_KEY',
    'GATEWAY_DATABASE_URL',
    'REDIS_URL',
    'RABBITMQ_URL',
  ]) {
    assert.equal((gatewayConfigSpec as Record<string, { secret?: boolean }>)[name]?.secret, true, name);
  }
  assert.ok(
    describeConfig(gatewayConfigSpec).some((line) => line.startsWith('JWT_PRIVATE_KEY (required)')),
    'the description marks JWT_PRIVATE_KEY as required',
  );
});

test('API keys are checked by format at start: a key captured with npm’s banner stops the start, value never shown', () => {
  // What `AUTH_API_KEY=$(npm run -w @t50/auth keys -- create gateway)` captured without -s.
  const captured = `\n> @t50/auth@0.1.0 keys\n> node --import tsx src/cli/keys.ts create gateway\n\n${authKey}`;
  for (const [name, value] of [
    ['AUTH_API_KEY', captured],
    ['AUTH_API_KEY', `"${authKey}"`],
    ['AUTH_API_KEY', randomBytes(32).toString('hex')],
    ['TRANSACTIONS_API_KEY', `${'b'.repeat(40)} ${'c'.repeat(40)}`],
    ['TRANSACTIONS_API_KEY', `${'b'.repeat(40)}\n`.repeat(2)],
  ] as const) {
    assert.throws(
      () => loadGatewayConfig({ ...required, [name]: value }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `a ConfigError, not: ${String(error)}`);
        assert.match(error.message, new RegExp(`${name} is invalid: expected`));
        assert.equal(error.message.includes(authKey.slice(13)), false, 'no part of the key is shown');
        assert.equal(error.message.includes('b'.repeat(40)), false);
        return true;
      },
    );
  }
  // Surrounding whitespace (a trailing newline from a file) is fine.
  assert.equal(loadGatewayConfig({ ...required, AUTH_API_KEY: `${authKey}\n` }).AUTH_API_KEY, authKey);
});
