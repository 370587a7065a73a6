// The seeds' "square the numbers a remote worker receives" example, against a separately
// started coordinator and agent:
//   npx drover coordinator --listen 127.0.0.1:7070 &
//   npx drover agent --coordinator 127.0.0.1:7070 &
//   DROVER_ADDRESS=127.0.0.1:7070 node examples/square/main.ts
import { connect } from 'drover';

if (!process.env.DROVER_ADDRESS) {
  console.error('set DROVER_ADDRESS=host:port of a running `drover coordinator` (see the comment at the top)');
  process.exit(2);
}
const count = Number(process.argv[2] ?? 10);

await using pool = await connect();
const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
for await (const r of pool.imap(tasks.square, Array.from({ length: count }, (_, i) => i))) {
  console.log(`${r.x}^2 = ${r.square}  (${r.worker} on ${r.agent})`);
}
