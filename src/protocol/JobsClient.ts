import { makeGenericClientConstructor } from '@grpc/grpc-js';
import * as pb from './pb.ts';
import { withReusedEncoding } from './withReusedEncoding.ts';

/** `pb.JobsClient` whose `Run` messages are encoded with one reused writer ({@link withReusedEncoding}). */
export const JobsClient = makeGenericClientConstructor(
  withReusedEncoding(pb.JobsService, { run: { request: pb.JobRequest } }),
  'drover.v1.Jobs',
) as unknown as typeof pb.JobsClient;
