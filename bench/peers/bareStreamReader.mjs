// P5's no-framework reference, reading side: a bare Node process that asks bench/peers/
// bareStreamSender.mjs for ITEMS items and reads them one at a time, as P5's SDK client reads
// `imapUnordered` (`for await` over an async generator), with no framework between the socket and the
// loop: no concatenation, a frame split across reads goes through one reused buffer. What its
// peak RSS does as the count grows is what Node itself does for a long stream read from a socket.
// Usage: node bareStreamReader.mjs PORT ITEMS → one JSON line on stdout: { items, seconds, peakRssMb }.
import net from 'node:net';
import { ownPeakRssMb } from '../ownPeakRssMb.mjs';

const [port, itemsArg] = process.argv.slice(2);
const items = Number(itemsArg);
/** Most items in one frame (bareStreamSender.mjs refuses a larger chunk). */
const MAX_FRAME_ITEMS = 4096;

function frameItems(buffer, at) {
  const k = buffer.readUInt32LE(at);
  if (k > MAX_FRAME_ITEMS) throw new Error(`a frame of ${k} items (at most ${MAX_FRAME_ITEMS})`);
  return k;
}

/** The `k` values of the frame at `buffer[at]`, into `values`. */
function readValues(buffer, at, k, values) {
  for (let i = 0; i < k; i++) values[i] = buffer.readDoubleLE(at + 4 + 8 * i);
}

async function* read(count) {
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.write(`${count}\n`);
  const values = new Float64Array(MAX_FRAME_ITEMS);
  const split = Buffer.allocUnsafe(4 + 8 * MAX_FRAME_ITEMS); // the start of a frame the last read cut
  let splitLength = 0;
  for await (const data of socket) {
    let at = 0;
    if (splitLength > 0) {
      // Finish the frame the last read cut: its count first, then its values.
      if (splitLength < 4) {
        const take = Math.min(4 - splitLength, data.length);
        data.copy(split, splitLength, 0, take);
        splitLength += take;
        at = take;
        if (splitLength < 4) continue;
      }
      const k = frameItems(split, 0);
      const need = 4 + 8 * k - splitLength;
      const take = Math.min(need, data.length - at);
      data.copy(split, splitLength, at, at + take);
      splitLength += take;
      at += take;
      if (take < need) continue;
      readValues(split, 0, k, values);
      splitLength = 0;
      for (let i = 0; i < k; i++) yield values[i];
    }
    while (data.length - at >= 4) {
      const k = frameItems(data, at);
      if (data.length - at < 4 + 8 * k) break;
      readValues(data, at, k, values);
      at += 4 + 8 * k;
      for (let i = 0; i < k; i++) yield values[i];
    }
    if (at < data.length) {
      data.copy(split, 0, at);
      splitLength = data.length - at;
    }
  }
}

const t0 = performance.now();
let received = 0;
let sum = 0;
for await (const value of read(items)) {
  received++;
  sum += value;
}
const seconds = (performance.now() - t0) / 1000;
// Every item exactly once (the sender numbers them 0 … n-1): a broken reader must not pass for a fast one.
if (received !== items || sum !== (items * (items - 1)) / 2) throw new Error(`read ${received} items summing to ${sum} for ${items}`);
console.log(JSON.stringify({ items, seconds, peakRssMb: ownPeakRssMb() }));
