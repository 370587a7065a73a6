/**
 * Writes `s`, whose UTF-8 length is `bytes` (`utf8Length`), at `at`; returns the offset after it. An
 * ASCII string (its length equals `bytes`) is copied byte by byte, which beats `Buffer.write`'s call
 * into C++ for the short ids and names written per task.
 */
export function writeUtf8(out: Buffer, at: number, s: string, bytes: number): number {
  if (bytes !== s.length) return at + out.write(s, at);
  for (let i = 0; i < bytes; i++) out[at + i] = s.charCodeAt(i);
  return at + bytes;
}
