import { DroverError, type DroverErrorOptions } from './DroverError.ts';

/**
 * Bytes that are not a value in drover's wire encoding (malformed, truncated or hostile CBOR), or a
 * value that cannot be encoded (a function, a symbol). `cause` is the CBOR library's own error.
 */
export class CodecError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_CODEC', message, options);
  }
}
