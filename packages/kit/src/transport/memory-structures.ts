/** The data structures of the in-process transport (memory.ts): its FIFO queues and topic matching. */

/** A FIFO (the in-process transport's queues) with O(1) shift and unshift (an array's shift is O(n) at 100,000 messages). */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Compact once the consumed prefix dominates, so memory follows the length.
    if (this.#head > 1_024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return items;
  }
}

/** AMQP topic matching: words split on '.', `*` matches one word, `#` zero or more. */
export function topicMatches(pattern: readonly string[], words: readonly string[]): boolean {
  // matches[i][j]: pattern[i..] matches words[j..]; filled from the end. Keys
  // are at most 255 bytes, so the table is at most 128 x 128.
  const columns = words.length + 1;
  let next = new Uint8Array(columns);
  next[words.length] = 1;
  for (let i = pattern.length - 1; i >= 0; i--) {
    const current = new Uint8Array(columns);
    const word = pattern[i];
    for (let j = words.length; j >= 0; j--) {
      if (word === '#') current[j] = next[j] === 1 || (j < words.length && current[j + 1] === 1) ? 1 : 0;
      else current[j] = j < words.length && (word === '*' || word === words[j]) && next[j + 1] === 1 ? 1 : 0;
    }
    next = current;
  }
  return next[0] === 1;
}
