/**
 * UTF-8 bytes of `s`. An ASCII string (attempt ids, agent and worker names) is counted in JavaScript:
 * `Buffer.byteLength` is a call into C++ that costs more than the count for strings this short.
 */
export function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return s.length;
}
