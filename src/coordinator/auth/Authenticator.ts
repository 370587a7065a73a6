import type { IncomingMessage } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { statusError } from '../statusError.ts';
import { CallPrincipal } from './CallPrincipal.ts';
import { OPEN_PRINCIPAL } from './OPEN_PRINCIPAL.ts';
import type { Principal } from './Principal.ts';
import type { Role } from './Role.ts';
import type { TokenLookup, TokenTable } from './TokenTable.ts';

/** Options for {@link Authenticator}. */
export interface AuthenticatorOptions {
  /**
   * The token tables in force, read at every call (so a reloaded tokens file applies at once).
   * None at all: the coordinator is open — every call is {@link OPEN_PRINCIPAL}.
   */
  tables: ReadonlyArray<() => TokenTable>;
  /** Calls of the agent role (and, when open, `Agents.Connect`) must come with a verified TLS client certificate. */
  agentCertificate?: boolean;
}

/** Which roles may call each method of a service; methods not listed take `default`. */
export interface AccessRule {
  default: readonly Role[];
  methods?: Readonly<Record<string, readonly Role[]>>;
}

/** Why a call was refused: its gRPC status and a message that says what to do. */
interface Refusal {
  code: grpc.status;
  message: string;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** A streaming call in progress and the token that opened it. */
interface OpenStream {
  call: grpc.ServerUnaryCall<unknown, unknown>;
  token: string;
  path: string;
  expiresAtMs: number;
}

/**
 * Checks the credentials of every call before a service sees it: the `authorization: Bearer
 * <token>` metadata against the token tables (UNAUTHENTICATED when missing, unknown or expired),
 * then the token's role against the method's {@link AccessRule} (PERMISSION_DENIED), and for
 * agents optionally a verified TLS client certificate. The principal is then available to the
 * handler through {@link CallPrincipal}.
 */
export class Authenticator {
  readonly #tables: ReadonlyArray<() => TokenTable>;
  readonly #agentCertificate: boolean;
  /** Streams opened with a token, re-checked by {@link revalidate}. */
  readonly #streams = new Set<OpenStream>();
  /** The tables as of the last {@link revalidate}: a reloaded file is a new table. */
  #checked: TokenTable[] = [];

  constructor(options: AuthenticatorOptions) {
    this.#tables = options.tables;
    this.#agentCertificate = options.agentCertificate ?? false;
  }

  /** Whether no tokens are configured: every call is allowed as {@link OPEN_PRINCIPAL}. */
  get isOpen(): boolean {
    return this.#tables.length === 0;
  }

  /**
   * Wraps a service's handlers so that each call is authenticated and authorized first; a refused
   * call ends with its status and never reaches the handler.
   */
  guard<T extends grpc.UntypedServiceImplementation>(definition: grpc.ServiceDefinition, handlers: T, rule: AccessRule): T {
    const guarded: grpc.UntypedServiceImplementation = {};
    for (const [method, handler] of Object.entries(handlers)) {
      const spec = definition[method];
      if (spec === undefined) throw new Error(`Authenticator.guard: ${method} is not a method of the service`);
      const roles = rule.methods?.[method] ?? rule.default;
      const path = spec.path;
      const call = handler as (...args: unknown[]) => void;
      guarded[method] = ((serverCall: grpc.ServerUnaryCall<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
        const outcome = this.check(serverCall, path, roles);
        if ('code' in outcome) {
          const error = statusError(outcome.code, outcome.message);
          if (!spec.responseStream) callback!(error, null);
          else serverCall.emit('error', error);
          return;
        }
        CallPrincipal.set(serverCall, outcome);
        if ((spec.requestStream || spec.responseStream) && !this.isOpen) this.track(serverCall, path);
        call(serverCall, callback);
      }) as grpc.UntypedHandleCall;
    }
    return guarded as T;
  }

  /**
   * The HTTP side's `authorize` hook: the dashboard's `/api/` (every job of every principal) needs an
   * admin token (`Authorization: Bearer`). `/metrics` stays open — aggregate counts that Prometheus
   * scrapes for autoscaling without credentials; keep the HTTP port inside the cluster (NetworkPolicy)
   * or pass your own `httpAuthorize` to close it.
   */
  httpAuthorizer(): (req: IncomingMessage) => boolean {
    return (req) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') return true;
      const match = BEARER.exec(req.headers.authorization ?? '');
      if (match === null) return false;
      const found = this.lookup(match[1], Date.now());
      return found.status === 'valid' && found.principal.role === 'admin';
    };
  }

  /**
   * Ends every open stream whose token is no longer valid (revoked from the tokens file, or
   * expired) with UNAUTHENTICATED, so an agent or client cut off does not keep a session opened
   * before. Cheap when nothing changed: streams are looked up again only when a table was reloaded
   * or their token's expiry passed. The coordinator calls it every second.
   */
  revalidate(nowMs = Date.now()): number {
    const tables = this.#tables.map((table) => table());
    const reloaded = tables.length !== this.#checked.length || tables.some((table, i) => table !== this.#checked[i]);
    this.#checked = tables;
    let ended = 0;
    for (const stream of this.#streams) {
      if (!reloaded && nowMs < stream.expiresAtMs) continue;
      const found = this.lookup(stream.token, nowMs);
      if (found.status === 'valid') {
        stream.expiresAtMs = found.expiresAtMs;
        continue;
      }
      this.#streams.delete(stream);
      ended += 1;
      const why = found.status === 'expired' ? `expired at ${found.expiredAt.toISOString()}` : 'was revoked';
      stream.call.emit('error', statusError(grpc.status.UNAUTHENTICATED, `${stream.path}: the token of this stream ${why}; reconnect with a valid token`));
    }
    return ended;
  }

  private track(call: grpc.ServerUnaryCall<unknown, unknown>, path: string): void {
    const token = BEARER.exec(String(call.metadata.get('authorization')[0]))![1];
    const found = this.lookup(token, Date.now());
    const stream: OpenStream = { call, token, path, expiresAtMs: found.status === 'valid' ? found.expiresAtMs : 0 };
    this.#streams.add(stream);
    const forget = (): void => void this.#streams.delete(stream);
    for (const event of ['cancelled', 'close', 'finish', 'error']) call.once(event, forget);
  }

  /**
   * Whether the principal `name` is an admin now (a valid admin token carries that name). Without
   * tokens every caller is the open principal, an admin.
   */
  isAdmin(name: string, nowMs = Date.now()): boolean {
    if (this.isOpen) return true;
    return this.#tables.some((table) => table().isAdmin(name, nowMs));
  }

  /** The token in the first table that knows it (valid first), else `unknown`. */
  private lookup(token: string, nowMs: number): TokenLookup {
    let result: TokenLookup = { status: 'unknown' };
    for (const table of this.#tables) {
      const found = table().lookup(token, nowMs);
      if (found.status === 'valid') return found;
      if (found.status === 'expired') result = found;
    }
    return result;
  }

  /** Authenticates and authorizes one call of `path` (e.g. `/drover.v1.Jobs/Run`) for `roles`. */
  private check(call: grpc.ServerUnaryCall<unknown, unknown>, path: string, roles: readonly Role[]): Principal | Refusal {
    if (this.isOpen) {
      if (this.#agentCertificate && roles.length === 1 && roles[0] === 'agent' && !hasClientCertificate(call)) return noCertificate(path);
      return OPEN_PRINCIPAL;
    }
    const header = call.metadata.get('authorization')[0];
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (match === null) {
      return {
        code: grpc.status.UNAUTHENTICATED,
        message: `${path}: this coordinator requires a token: send "authorization: Bearer <token>" (SDK: connect({ token }) or DROVER_TOKEN; agent and CLI: --token-file or DROVER_TOKEN)`,
      };
    }
    const found = this.lookup(match[1], Date.now());
    if (found.status === 'valid') return this.authorize(call, path, roles, found.principal);
    const expired = found.status === 'expired' ? found : undefined;
    if (expired !== undefined) {
      return {
        code: grpc.status.UNAUTHENTICATED,
        message: `${path}: the token of ${expired.principal.name} expired at ${expired.expiredAt.toISOString()}; ask the coordinator's operator for a new one`,
      };
    }
    return {
      code: grpc.status.UNAUTHENTICATED,
      message: `${path}: the token is not valid on this coordinator (mistyped, or revoked); check DROVER_TOKEN / --token-file or ask the coordinator's operator`,
    };
  }

  private authorize(call: grpc.ServerUnaryCall<unknown, unknown>, path: string, roles: readonly Role[], principal: Principal): Principal | Refusal {
    if (!roles.includes(principal.role)) {
      const needed = roles.map((r) => `${r === 'admin' || r === 'agent' ? 'an' : 'a'} ${r}`).join(' or ');
      return {
        code: grpc.status.PERMISSION_DENIED,
        message: `${path}: ${principal.name} has ${principal.role === 'client' ? 'a' : 'an'} ${principal.role} token, and this call needs ${needed} token`,
      };
    }
    if (this.#agentCertificate && principal.role === 'agent' && !hasClientCertificate(call)) return noCertificate(path);
    return principal;
  }
}

function hasClientCertificate(call: grpc.ServerUnaryCall<unknown, unknown>): boolean {
  // grpc-js reports a peer certificate only when the TLS handshake verified it against the client CA.
  return call.getAuthContext().sslPeerCertificate !== undefined;
}

function noCertificate(path: string): Refusal {
  return {
    code: grpc.status.UNAUTHENTICATED,
    message: `${path}: agents must present a TLS client certificate signed by the coordinator's --tls-client-ca (agent: --tls-cert and --tls-key)`,
  };
}
