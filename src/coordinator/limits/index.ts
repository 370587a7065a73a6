/**
 * The coordinator's bounds: the {@link Limits} it enforces (defaults, flags), the validation of every
 * incoming message against them (each violation a gRPC status naming the field, the limit and the
 * flag), and the per-principal quotas.
 *
 * @example
 * import { resolveLimits, validateOpenJob } from './limits/index.ts';
 * const limits = resolveLimits({ maxRetries: 10 });
 * const violation = validateOpenJob(open, limits); // { code: INVALID_ARGUMENT, message: 'OpenJob.retries is 50, over the limit of 10 (set with drover coordinator --max-retries)' }
 *
 * @module
 */
export type { Limits } from './Limits.ts';
export type { Violation } from './Violation.ts';
export { DEFAULT_LIMITS } from './DEFAULT_LIMITS.ts';
export { limitFlag } from './limitFlag.ts';
export { resolveLimits } from './resolveLimits.ts';
export { validateOpenJob } from './validateOpenJob.ts';
export { validateRegister } from './validateRegister.ts';
export { validateTaskInputs } from './validateTaskInputs.ts';
export { boundAttemptResults } from './boundAttemptResults.ts';
export { checkJobId } from './checkJobId.ts';
export { checkDigest } from './checkDigest.ts';
export { overLimit } from './overLimit.ts';
export { PrincipalQuotas } from './PrincipalQuotas.ts';
export type { PrincipalOf } from './PrincipalOf.ts';
export { LIMIT_DESCRIPTIONS } from './LIMIT_DESCRIPTIONS.ts';
export { MalformedRequest } from './MalformedRequest.ts';
export { withTolerantDeserializers } from './withTolerantDeserializers.ts';
export { malformedRequestInterceptor } from './malformedRequestInterceptor.ts';
