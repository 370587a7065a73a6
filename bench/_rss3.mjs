const rss = () => process.memoryUsage().rss / 1048576;
const base = rss();
await import('@grpc/grpc-js'); await import('cbor-x'); await import('@bufbuild/protobuf/wire'); await import('esbuild');
const a = rss();
await import('pino'); await import('pino-pretty');
console.log('grpc+cbor+wire+esbuild', '+' + (a - base).toFixed(1), 'then pino+pretty', '+' + (rss() - a).toFixed(1));
