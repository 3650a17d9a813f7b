// The single error type of the secure-aggregation primitives, with stable codes callers and tests match on.

/** Every reason a secagg primitive refuses its input. Stable strings: never rename one, add new ones. */
export const SECAGG_ERROR_CODES = [
  'key.bad_length',
  'key.bad_context',
  'key.low_order',
  'key.duplicate',
  'key.mismatch',
  'aead.rejected',
  'prg.bad_seed',
  'prg.bad_length',
  'share.bad_params',
  'share.bad_length',
  'share.bad_version',
  'share.bad_x',
  'share.duplicate_x',
  'share.out_of_range',
  'share.too_few',
  'share.bad_random',
  'share.tampered',
  'fixedpoint.bad_config',
  'fixedpoint.overflow',
  'fixedpoint.not_finite',
  'fixedpoint.bad_random',
  'fixedpoint.bad_length',
  'graph.bad_devices',
  'graph.bad_degree',
  'graph.bad_seed',
  'graph.bad_threshold',
  'graph.threshold_too_low',
  'graph.threshold_too_high',
  'encoding.bad_part',
] as const;

export type SecAggErrorCode = (typeof SECAGG_ERROR_CODES)[number];

/** A refused input as data: a stable `code` and a message naming the parameter and its value. */
export class SecAggError extends Error {
  override name = 'SecAggError';
  constructor(
    readonly code: SecAggErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True when `e` is a SecAggError (with the given code, if one is given). */
export function isSecAggError(e: unknown, code?: SecAggErrorCode): e is SecAggError {
  return e instanceof SecAggError && (code === undefined || e.code === code);
}
