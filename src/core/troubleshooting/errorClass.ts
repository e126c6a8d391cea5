// The twelve failure classes a failing workflow step is sorted into. The class decides what the
// platform may do on its own: only transient, self-healing classes are auto-resolvable.

export const errorClasses = [
  'auth',
  'permission',
  'rate_limit',
  'quota',
  'timeout',
  'network',
  'validation',
  'not_found',
  'conflict',
  'upstream_5xx',
  'config',
  'payload_too_large',
] as const;

export type ErrorClass = (typeof errorClasses)[number];

/**
 * Classes the platform can fix without a human: waiting, retrying or shrinking the request helps.
 * Auth, permission, quota, validation, config, not_found and conflict need someone to act.
 */
export const autoResolvableClasses: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  'rate_limit',
  'timeout',
  'network',
  'upstream_5xx',
  'payload_too_large',
]);

/** Classes where resending the identical request later may succeed. */
export const retryableClasses: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  'rate_limit',
  'timeout',
  'network',
  'upstream_5xx',
]);

export function isErrorClass(value: string): value is ErrorClass {
  return (errorClasses as readonly string[]).includes(value);
}
