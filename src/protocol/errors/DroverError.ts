const brand = Symbol.for('drover.error');

/** Options accepted by every drover error constructor. */
export interface DroverErrorOptions {
  cause?: unknown;
}

/**
 * Base class of every error drover throws. Each subclass has a stable `code`
 * (`DROVER_*`) that programs can switch on; messages are for people.
 *
 * `instanceof` works across copies of the package (two bundled copies, a worker's
 * copy and the SDK's) because class identity is checked by a global brand plus `code`.
 */
export class DroverError extends Error {
  /** Stable machine-readable code, e.g. `DROVER_TASK_FAILED`. */
  readonly code: string;
  readonly [brand] = true;

  constructor(code: string, message: string, options: DroverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    // DroverError itself matches any branded error; a subclass matches by its name.
    if (this === DroverError) return true;
    return Function.prototype[Symbol.hasInstance].call(this, value) || (value as unknown as Error).name === this.name;
  }
}
