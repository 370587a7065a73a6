// P5's no-framework reference, sending side: a bare Node process that listens on loopback, prints its
// port, and streams each connection the number of items it asks for — frames of up to CHUNK
// little-endian float64s after a uint32 count, written as fast as the socket takes them (backpressure
// honoured). A connection asks with the count and a newline. Usage: node bareStreamSender.mjs CHUNK. Plain JavaScript, like bench/streamingClient.mjs.
import net from 'node:net';

const chunk = Number(process.argv[2]);
// bareStreamReader.mjs reads frames of at most 4,096 items.
if (!(chunk >= 1 && chunk <= 4096)) throw new Error(`CHUNK must be 1–4096, got ${process.argv[2]}`);

const server = net.createServer((socket) => {
  socket.on('error', () => {}); // a reader that exits early only ends its own stream
  let sent = 0;
  let total = 0;
  let request = '';
  const pump = () => {
    while (sent < total) {
      const k = Math.min(chunk, total - sent);
      const frame = Buffer.allocUnsafe(4 + 8 * k);
      frame.writeUInt32LE(k, 0);
      for (let i = 0; i < k; i++) frame.writeDoubleLE(sent + i, 4 + 8 * i);
      sent += k;
      if (!socket.write(frame)) return void socket.once('drain', pump);
    }
    socket.end();
  };
  // The request is the count and a newline; it may come in pieces.
  const onRequest = (data) => {
    request += data.toString('latin1');
    if (!request.includes('\n')) return;
    socket.off('data', onRequest);
    total = Number(request.trim());
    pump();
  };
  socket.on('data', onRequest);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
