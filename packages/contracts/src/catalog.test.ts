import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRfc3339DateTime, validatorFor } from './catalog';

describe('message timestamps (RFC 3339)', () => {
  it('accepts real instants with any offset and fraction', () => {
    for (const value of ['2026-11-30T18:00:00Z', '2026-11-30t18:00:00.123456789z', '2024-02-29T23:59:59+01:00', '2026-01-01T00:00:00-05:30']) {
      assert.equal(isRfc3339DateTime(value), true, value);
    }
  });

  it('refuses dates and times that do not exist, and other shapes', () => {
    for (const value of ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-11-30T24:00:00Z', '2026-11-30T18:60:00Z', '2026-11-30T18:00Z', '2026-11-30', 'yesterday', '2026-11-30T18:00:00+25:00', '2016-12-31T23:59:60Z', '2026-11-30 18:00:00Z']) {
      assert.equal(isRfc3339DateTime(value), false, value);
    }
  });

  it('is what message validation uses for occurredAt', () => {
    const check = validatorFor('gateway.user.registered')!;
    const envelope = (occurredAt: string) => ({ id: 'm1', type: 'gateway.user.registered', version: 1, occurredAt, data: { userId: 'u1' } });
    assert.equal(check.Check(envelope('2026-11-30T18:00:00Z')), true);
    assert.equal(check.Check(envelope('2026-02-30T18:00:00Z')), false);
  });
});
