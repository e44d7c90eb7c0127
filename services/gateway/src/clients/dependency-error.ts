/** A service the gateway depends on answered something it should not have (5xx, an unknown code), or not at all. */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  constructor(
    readonly dependency: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${dependency} answered ${status}: ${detail}`);
  }
}
