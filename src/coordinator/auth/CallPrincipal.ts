import type { Principal } from './Principal.ts';

const principals = new WeakMap<object, Principal>();

/**
 * The principal an authenticated call was made by, recorded by the {@link Authenticator}'s guard
 * before the service's handler runs, so services can check ownership without parsing metadata.
 */
export const CallPrincipal = {
  /** Records `principal` for `call`. */
  set(call: object, principal: Principal): void {
    principals.set(call, principal);
  },
  /**
   * The principal of `call`. A call that reached a handler was authenticated; a missing record (a
   * handler called without the guard, e.g. in a unit test) is a bug and throws.
   */
  of(call: object): Principal {
    const principal = principals.get(call);
    if (principal === undefined) throw new Error('CallPrincipal.of: the call did not go through the Authenticator guard');
    return principal;
  },
} as const;
