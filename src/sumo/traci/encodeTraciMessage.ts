/** A TraCI message: an int32 total length (counting itself) followed by framed commands. */
export function encodeTraciMessage(commands: readonly Uint8Array[]): Buffer {
  const length = 4 + commands.reduce((sum, c) => sum + c.length, 0);
  const out = Buffer.allocUnsafe(length);
  out.writeInt32BE(length, 0);
  let at = 4;
  for (const command of commands) {
    out.set(command, at);
    at += command.length;
  }
  return out;
}
