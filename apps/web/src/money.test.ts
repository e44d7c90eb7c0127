import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assets, decimalsOf, displayAmount, formatMinor, parseAmount, type Asset } from './money';

const asset = fc.constantFrom<Asset>(...assets);
const minor = fc.bigInt({ min: 0n, max: 10n ** 40n });

test('examples: 12.34 USD is 1234 cents, 0.05 ETH is 5e16 wei', () => {
  assert.deepEqual(parseAmount('12.34', 'USD'), { ok: true, minor: '1234' });
  assert.deepEqual(parseAmount('0.05', 'ETH'), { ok: true, minor: '50000000000000000' });
  assert.deepEqual(parseAmount(' 7 ', 'EUR'), { ok: true, minor: '700' });
  assert.equal(formatMinor('1234', 'USD'), '12.34');
  assert.equal(formatMinor('50000000000000000', 'ETH'), '0.05');
  assert.equal(formatMinor('1', 'ETH'), '0.000000000000000001');
  assert.equal(formatMinor('5', 'USD'), '0.05');
  assert.equal(displayAmount('123456789', 'USD'), '1,234,567.89 USD');
});

test('round trip: parse(format(minor)) gives the same minor units for every asset', () => {
  fc.assert(
    fc.property(asset, minor, (a, m) => {
      const parsed = parseAmount(formatMinor(m, a), a);
      assert.deepEqual(parsed, { ok: true, minor: m.toString() });
    }),
    { numRuns: 2000 },
  );
});

test('round trip: format(parse(text)) keeps the value of any well-formed decimal', () => {
  fc.assert(
    fc.property(asset, fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.nat({ max: 18 }), (a, whole, places) => {
      const count = Math.min(places, decimalsOf[a]);
      const fraction = '7'.repeat(count);
      const text = count === 0 ? whole.toString() : `${whole}.${fraction}`;
      const parsed = parseAmount(text, a);
      assert.equal(parsed.ok, true);
      if (parsed.ok) assert.deepEqual(parseAmount(formatMinor(parsed.minor, a), a), parsed);
    }),
  );
});

test('refusals: too many decimals, negative, garbage', () => {
  fc.assert(
    fc.property(asset, fc.nat({ max: 1000 }), (a, whole) => {
      const tooMany = `${whole}.${'1'.repeat(decimalsOf[a] + 1)}`;
      assert.equal(parseAmount(tooMany, a).ok, false);
      assert.equal(parseAmount(`-${whole}`, a).ok, false);
    }),
  );
  fc.assert(
    fc.property(asset, fc.string(), (a, text) => {
      fc.pre(!/^\s*\d+(\.\d+)?\s*$/.test(text));
      assert.equal(parseAmount(text, a).ok, false);
    }),
    { numRuns: 2000 },
  );
  for (const bad of ['', '1,5', '1e3', '0x10', '.5', '5.', 'NaN', 'Infinity', '1.2.3', '１２'])
    assert.equal(parseAmount(bad, 'USD').ok, false, bad);
  assert.match((parseAmount('1.234', 'USD') as { reason: string }).reason, /at most 2 decimal places/);
});
