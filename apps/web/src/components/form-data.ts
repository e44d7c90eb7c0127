/** A text field of a submitted form ('' when absent or a file). */
export function text(form: FormData, key: string): string {
  const value = form.get(key);
  return typeof value === 'string' ? value : '';
}
