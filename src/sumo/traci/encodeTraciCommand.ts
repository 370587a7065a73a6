/**
 * Frames one TraCI command: a ubyte length (counting itself and the id) + ubyte id + payload,
 * or, when that would exceed 255 bytes, a 0 byte + int32 length (counting everything) + id + payload.
 */
export function encodeTraciCommand(command: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const shortLength = 1 + 1 + payload.length;
  if (shortLength <= 255) {
    const out = Buffer.allocUnsafe(shortLength);
    out.writeUInt8(shortLength, 0);
    out.writeUInt8(command, 1);
    out.set(payload, 2);
    return out;
  }
  const longLength = 1 + 4 + 1 + payload.length;
  const out = Buffer.allocUnsafe(longLength);
  out.writeUInt8(0, 0);
  out.writeInt32BE(longLength, 1);
  out.writeUInt8(command, 5);
  out.set(payload, 6);
  return out;
}
