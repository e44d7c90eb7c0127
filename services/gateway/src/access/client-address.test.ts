import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientAddressOf } from './client-address';

const request = (forwarded: string | undefined, ip = '10.0.0.1') => ({
  ip,
  headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
});

test('without trusted proxies the socket peer counts, whatever X-Forwarded-For says', () => {
  assert.equal(clientAddressOf(request('1.2.3.4'), 0), '10.0.0.1');
});

test('behind one proxy, the address the proxy saw; a client-written prefix is ignored', () => {
  assert.equal(clientAddressOf(request('203.0.113.7'), 1), '203.0.113.7');
  assert.equal(clientAddressOf(request('6.6.6.6, 203.0.113.7'), 1), '203.0.113.7');
  assert.equal(clientAddressOf(request('6.6.6.6, 203.0.113.7, 10.0.0.2'), 2), '203.0.113.7');
  assert.equal(clientAddressOf(request('2001:db8::1'), 1), '2001:db8::1');
});

test('missing or garbage headers fall back to the peer', () => {
  assert.equal(clientAddressOf(request(undefined), 1), '10.0.0.1');
  assert.equal(clientAddressOf(request('not-an-ip'), 1), '10.0.0.1');
  assert.equal(clientAddressOf(request('203.0.113.7'), 3), '203.0.113.7', 'fewer hops than configured: the leftmost');
});
