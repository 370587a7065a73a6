/**
 * What a request deserializer yields, instead of throwing, for bytes that are not a protobuf message
 * of the method's type; {@link malformedRequestInterceptor} answers it with INVALID_ARGUMENT before
 * any handler sees it.
 */
export class MalformedRequest {
  /** The method's path, e.g. `/drover.v1.Jobs/Run`. */
  readonly path: string;
  /** The protobuf library's complaint. */
  readonly reason: string;

  constructor(path: string, reason: string) {
    this.path = path;
    this.reason = reason;
  }
}
