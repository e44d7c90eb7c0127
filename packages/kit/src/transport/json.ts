/**
 * JSON helpers that never recurse, for message bodies from anyone: a body
 * nested thousands of levels deep must be refused with a reason, not crash the
 * consumer with a stack overflow (JSON.stringify, and recursive checks or
 * walks of the parsed value, all recurse once per level).
 */

/** Deepest nesting of objects and arrays a message body may have. */
export const maxJsonDepth = 64;

/**
 * The nesting depth of JSON text, counted without parsing and without
 * recursion; stops counting past `limit` (returns limit + 1). Brackets inside
 * strings do not count.
 */
export function jsonDepth(text: string | Buffer, limit = maxJsonDepth): number {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === 0x5c) index += 1; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (byte === 0x7d || byte === 0x5d) depth -= 1;
  }
  return deepest;
}

/**
 * JSON.stringify for a value that came from JSON.parse (objects, arrays,
 * strings, numbers, booleans, null), with an explicit stack instead of
 * recursion, so any depth works.
 */
export function stringifyParsedJson(value: unknown): string {
  const out: string[] = [];
  // Work items: a value to write, or a literal piece of text.
  const stack: ({ value: unknown } | { text: string })[] = [{ value }];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if ('text' in next) {
      out.push(next.text);
      continue;
    }
    const current = next.value;
    if (Array.isArray(current)) {
      const items: ({ value: unknown } | { text: string })[] = [{ text: '[' }];
      current.forEach((item: unknown, index) => {
        if (index > 0) items.push({ text: ',' });
        items.push({ value: item === undefined ? null : item });
      });
      items.push({ text: ']' });
      for (let index = items.length - 1; index >= 0; index -= 1) stack.push(items[index]!);
    } else if (typeof current === 'object' && current !== null) {
      const items: ({ value: unknown } | { text: string })[] = [{ text: '{' }];
      let first = true;
      for (const [key, item] of Object.entries(current)) {
        if (item === undefined) continue;
        items.push({ text: `${first ? '' : ','}${JSON.stringify(key)}:` }, { value: item });
        first = false;
      }
      items.push({ text: '}' });
      for (let index = items.length - 1; index >= 0; index -= 1) stack.push(items[index]!);
    } else {
      out.push(JSON.stringify(current) ?? 'null');
    }
  }
  return out.join('');
}
