// Store failures as data: a stable code the caller can branch on, and a message naming what was wrong.

export const STORE_ERRORS = {
  'store.invalid': 'an argument is out of range or malformed',
  'store.not_found': 'the record does not exist',
  'store.conflict': 'the write contradicts a stored record',
  'store.schema_too_new': 'the database was written by a newer version of the server',
} as const;

export type StoreErrorCode = keyof typeof STORE_ERRORS;

/** Thrown (as a rejected Promise) by every Store implementation. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
