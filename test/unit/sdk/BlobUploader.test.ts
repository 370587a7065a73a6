// BlobUploader against a real coordinator that requires a token: a refused call says why.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { createLogger } from '../../../src/protocol/logging/index.ts';
import { BlobUploader } from '../../../src/sdk/BlobUploader.ts';
import { CoordinatorChannel } from '../../../src/sdk/CoordinatorChannel.ts';

let coordinator: Coordinator;
beforeAll(async () => {
  coordinator = new Coordinator({
    listen: '127.0.0.1:0',
    logger: createLogger({ name: 'coordinator', level: 'silent' }),
    tokens: [{ role: 'client', principal: 'alice', token: 'a'.repeat(48) }],
  });
  await coordinator.start();
});
afterAll(async () => {
  await coordinator.stop();
});

it.each([
  ['a wrong token', 'b'.repeat(48), /the token is not valid on this coordinator/],
  ['no token', undefined, /this coordinator requires a token/],
])('with %s the upload fails with the coordinator’s reason, not only "could not query"', async (_what, token, reason) => {
  const channel = new CoordinatorChannel({ address: coordinator.address, ...(token ? { token } : {}) });
  try {
    const error = await new BlobUploader(channel).uploadBytes(new Uint8Array([1, 2, 3])).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'BlobError', code: 'DROVER_BLOB' });
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toMatch(/UNAUTHENTICATED/);
  } finally {
    channel.close();
  }
});
