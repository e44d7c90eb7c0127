/**
 * What the fake provider servers share: a node:http server on 127.0.0.1 that
 * can be told to be down (every connection reset) or failing (every request
 * answered 500), body reading, JSON answers, idempotent creation, and Stripe's
 * form encoding (`a[b][0][c]=x`) decoded into objects.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Health = 'up' | 'down' | 'failing';

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface FakeAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export type FakeHandler = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export class FakeServer {
  health: Health = 'up';
  /** Every request that was answered, in order. */
  readonly requests: { method: string; path: string; body: string; headers: IncomingMessage['headers'] }[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(
    handler: FakeHandler,
    readonly failingBody: unknown = { error: 'internal' },
  ) {
    this.#server = createServer((request, response) => void this.#serve(handler, request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${this.port}`;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(handler: FakeHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.health === 'down') {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://fake');
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ method: request.method ?? 'GET', path: url.pathname, body, headers: request.headers });
    let answer: FakeAnswer;
    try {
      answer =
        this.health === 'failing'
          ? { status: 500, body: this.failingBody }
          : await handler({
              method: request.method ?? 'GET',
              path: url.pathname,
              query: url.searchParams,
              headers: request.headers,
              body,
            });
    } catch (error) {
      answer = { status: 500, body: { error: String(error) } };
    }
    const text = JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(text);
  }
}

/** Remembers the first answer per idempotency key (and what was asked), as the providers do. */
export class IdempotencyStore {
  readonly #answers = new Map<string, { fingerprint: string; answer: FakeAnswer }>();

  /** `create` runs only for a new key; a key reused with another request gets `conflict`. */
  async once(
    key: string | undefined,
    fingerprint: string,
    create: () => Promise<FakeAnswer> | FakeAnswer,
    conflict: () => FakeAnswer,
  ): Promise<FakeAnswer> {
    if (key === undefined) return create();
    const known = this.#answers.get(key);
    if (known !== undefined) return known.fingerprint === fingerprint ? known.answer : conflict();
    const answer = await create();
    if (answer.status < 500) this.#answers.set(key, { fingerprint, answer });
    return answer;
  }
}

type Nested = { [key: string]: Nested | string };

/** `a[b][0]=x&a[c]=y` -> { a: { b: { '0': 'x' }, c: 'y' } } (arrays as objects keyed '0', '1', ...). */
export function decodeStripeForm(text: string | URLSearchParams): Nested {
  const result: Nested = {};
  const params = typeof text === 'string' ? new URLSearchParams(text) : text;
  for (const [name, value] of params) {
    const keys = name.replace(/\]/g, '').split('[');
    let node = result;
    keys.forEach((key, index) => {
      if (index === keys.length - 1) node[key] = value;
      else {
        const next = node[key];
        node = typeof next === 'object' ? next : (node[key] = {});
      }
    });
  }
  return result;
}

export function header(request: FakeRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
