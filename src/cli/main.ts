import { DroverError } from '../protocol/index.ts';
import { buildProgram } from './buildProgram.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Typed errors carry a message meant for people; anything else is a bug worth a stack.
  if (err instanceof DroverError) {
    process.stderr.write(`drover: ${err.message} [${err.code}]\n`);
  } else {
    process.stderr.write(`drover: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exit(1);
}
