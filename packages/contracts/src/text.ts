/**
 * Free text on the wire (names, reasons, metadata values, emails). Every text
 * schema is built here, so every one refuses U+0000: PostgreSQL cannot store
 * it, and a message that can never be stored must be refused where it enters
 * (a 400 on HTTP, an `invalid_schema` dead letter on the broker), not fail in
 * the database.
 */
import { Type, type StringOptions, type TString } from '@sinclair/typebox';

/** Any text without U+0000. */
export const textPattern = '^[^\\u0000]*$';
/** Text without U+0000 with at least one character that is not white space. */
export const nonBlankTextPattern = '^\\s*[^\\s\\u0000][^\\u0000]*$';

export interface TextOptions extends Omit<StringOptions, 'pattern' | 'format'> {
  /** Refuse text made only of white space (default false). */
  readonly nonBlank?: boolean;
}

/** A string schema for free text: never U+0000, bounded by the caller's maxLength. */
export function Text(options: TextOptions = {}): TString {
  const { nonBlank, ...rest } = options;
  return Type.String({ ...rest, pattern: nonBlank === true ? nonBlankTextPattern : textPattern });
}
