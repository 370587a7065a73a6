/**
 * The last value a fast-path decoder read from a field, with the bytes it read it from: when the next
 * such field has the same bytes (a batch's assignments mostly share their job id and function reference),
 * `FastPathReader.readRemembered` returns this value instead of making another string or object.
 */
export class LastRead<T> {
  bytes: Uint8Array = new Uint8Array(0);
  value: T | undefined = undefined;
}
