import type { Principal } from './Principal.ts';

/** Whether `principal` may see and act on something owned by `owner`: its own things, or anything for an admin. */
export function mayAccess(principal: Principal, owner: string): boolean {
  return principal.role === 'admin' || principal.name === owner;
}
