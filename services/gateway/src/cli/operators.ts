/**
 * Operators (KYC reviewers), from the command line:
 *   npm run -w @t50/gateway operators -- grant ada@example.com
 *   npm run -w @t50/gateway operators -- revoke ada@example.com
 *   npm run -w @t50/gateway operators -- list
 * Reads GATEWAY_DATABASE_URL, REDIS_URL and REDIS_KEY_PREFIX (the cached user
 * data is invalidated, so a change takes effect at the user's next request).
 */
import { Redis } from 'ioredis';
import { createLogger, createPostgresDatabase, loadConfig } from '@t50/kit';
import { gatewayConfigSpec } from '../config';
import { createUserCache } from '../profiles/hot';
import { listOperators, setRoleByEmail } from '../profiles/operators';
import { createRedisStore } from '../store/hot-store';

const config = loadConfig({
  GATEWAY_DATABASE_URL: gatewayConfigSpec.GATEWAY_DATABASE_URL,
  REDIS_URL: gatewayConfigSpec.REDIS_URL,
  REDIS_KEY_PREFIX: gatewayConfigSpec.REDIS_KEY_PREFIX,
  LOG_LEVEL: gatewayConfigSpec.LOG_LEVEL,
});
const [command, email] = process.argv.slice(2);
const usage = 'usage: operators grant <email> | operators revoke <email> | operators list';

const logger = createLogger({ service: 'gateway-operators', level: config.LOG_LEVEL });
const db = createPostgresDatabase({
  url: config.GATEWAY_DATABASE_URL,
  maxConnections: 1,
  applicationName: 'gateway-operators',
});
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
redis.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
const users = createUserCache({ db, store: createRedisStore(redis, config.REDIS_KEY_PREFIX), ttlSeconds: 1 });

let exitCode = 0;
try {
  if (command === 'list') {
    for (const operator of await listOperators(db)) console.log(`${operator.email}\t${operator.userId}`);
  } else if ((command === 'grant' || command === 'revoke') && email !== undefined) {
    const found = await setRoleByEmail({ db, users }, email, command === 'grant' ? 'operator' : 'user');
    if (found) console.log(`${email}: ${command === 'grant' ? 'operator' : 'user'}`);
    else {
      console.error(`no user has the email ${email}`);
      exitCode = 1;
    }
  } else {
    console.error(usage);
    exitCode = 2;
  }
} finally {
  await db.close();
  await redis.quit();
}
process.exit(exitCode);
