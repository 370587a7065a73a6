import type { Principal } from './Principal.ts';

/**
 * Everyone, on a coordinator without tokens (loopback only unless `--insecure`): may call anything,
 * and owns the jobs and blobs it makes under the empty name, which only admins see once tokens
 * are configured.
 */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ name: '', role: 'admin' });
