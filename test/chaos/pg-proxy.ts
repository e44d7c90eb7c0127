/**
 * A TCP proxy between the service and PostgreSQL that can lose the server's
 * answer to a COMMIT: armed, it reads the server -> client stream message by
 * message (type byte, int32 length) and, at the next CommandComplete "COMMIT",
 * closes both sides instead of forwarding it. The transaction is committed;
 * the service only sees its connection die. That is the "ambiguous commit"
 * of a network cut at the worst moment, which pg_terminate_backend cannot
 * produce (PostgreSQL answers the COMMIT before it acts on the termination).
 */
import { createServer, connect, type Socket } from 'node:net';

export interface PgProxy {
  readonly port: number;
  /** Cuts the next `count` COMMIT answers. */
  armCommitCuts(count: number): void;
  /** COMMIT answers cut so far. */
  cuts(): number;
  close(): Promise<void>;
}

const sslRequestCode = 80877103;

export async function startPgProxy(
  target: { host: string; port: number } = { host: '127.0.0.1', port: 5432 },
): Promise<PgProxy> {
  let armed = 0;
  let cut = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target);
    sockets.add(client);
    sockets.add(upstream);
    const destroy = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', destroy);
    upstream.on('error', destroy);
    client.on('close', destroy);
    upstream.on('close', destroy);

    // Client -> server: as is. Only the first message is looked at (an SSL request is answered with one bare byte).
    let first = true;
    let bareByte = false;
    client.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        bareByte = chunk.length >= 8 && chunk.readInt32BE(0) === 8 && chunk.readInt32BE(4) === sslRequestCode;
      }
      upstream.write(chunk);
    });

    // Server -> client: whole messages, so a COMMIT's answer can be held back.
    let pending: Buffer = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (bareByte && pending.length > 0) {
        bareByte = false;
        client.write(pending.subarray(0, 1));
        pending = pending.subarray(1);
      }
      let offset = 0;
      // Bounded by the buffer: each turn consumes one whole message.
      while (pending.length - offset >= 5) {
        const length = pending.readInt32BE(offset + 1);
        if (pending.length - offset < 1 + length) break;
        const isCommitDone =
          pending[offset] === 0x43 && pending.toString('latin1', offset + 5, offset + 11) === 'COMMIT';
        if (isCommitDone && armed > 0) {
          armed -= 1;
          cut += 1;
          if (offset > 0) client.write(pending.subarray(0, offset));
          destroy();
          return;
        }
        offset += 1 + length;
      }
      if (offset > 0) client.write(pending.subarray(0, offset));
      pending = pending.subarray(offset);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    armCommitCuts(count) {
      armed += count;
    },
    cuts: () => cut,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
