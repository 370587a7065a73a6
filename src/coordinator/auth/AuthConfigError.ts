import { DroverError, type DroverErrorOptions } from '../../protocol/index.ts';

/** The coordinator's credentials or TLS settings cannot be used (a malformed tokens file, a missing key). */
export class AuthConfigError extends DroverError {
  constructor(message: string, options?: DroverErrorOptions) {
    super('DROVER_AUTH_CONFIG', message, options);
  }
}
