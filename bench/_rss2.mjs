const rss = () => process.memoryUsage().rss / 1048576;
const base = rss();
await import(process.argv[2]);
console.log(process.argv[2].padEnd(30), '+' + (rss() - base).toFixed(1), 'MB');
