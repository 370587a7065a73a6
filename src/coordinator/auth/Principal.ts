import type { Role } from './Role.ts';

/** Who made a call: the principal name and role of the token it carried. */
export interface Principal {
  /** Name from the tokens file (e.g. `alice`, `agents-rack-3`); jobs and blobs are owned by it. */
  readonly name: string;
  readonly role: Role;
}
