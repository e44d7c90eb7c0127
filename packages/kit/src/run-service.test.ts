import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DependencyError, describeStartFailure, maskCredentials } from './run-service';

void describe('start failure text', () => {
  void it('masks the credentials of every URL, whatever the scheme', () => {
    assert.equal(
      maskCredentials('amqp://guest:s3cret@127.0.0.1:5672/v and postgres://postgres:pw@db/x and redis://:pw@127.0.0.1:6379'),
      'amqp://***@127.0.0.1:5672/v and postgres://***@db/x and redis://***@127.0.0.1:6379',
    );
    assert.equal(maskCredentials('connect ECONNREFUSED 127.0.0.1:1'), 'connect ECONNREFUSED 127.0.0.1:1');
  });

  void it('names the dependency and never quotes a URL password', () => {
    const error = new DependencyError('PostgreSQL', 'cannot reach postgres://app:hunter2@127.0.0.1:1/db');
    assert.equal(describeStartFailure(error), 'PostgreSQL: cannot reach postgres://***@127.0.0.1:1/db');
    assert.equal(describeStartFailure(new Error('')), 'Error');
  });
});
