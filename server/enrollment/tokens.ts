// Enrollment tokens: single-use secrets the operator hands out (one per shop account, say); a device presents one
// to register under `--enrollment token`. The store keeps only each token's SHA-256.
//
// A plain SHA-256 suffices (no salt, no HMAC key): a token is 256 uniformly random bits, so a leaked hash cannot be
// turned back into a token by guessing, and a keyed hash would only add a secret to keep.
import { createHash, randomBytes } from 'node:crypto';

/** Version prefix ("Confidant enrollment token, v1"): a later format gets another, and a token is recognisable in a log or a paste. */
export const TOKEN_PREFIX = 'cet1.';
/** Random bytes per token (256 bits). */
export const TOKEN_RANDOM_BYTES = 32;
/** The prefix, then 43 canonical base64url characters (the last one's two spare bits zero: one spelling per token). */
const TOKEN_PATTERN = /^cet1\.[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A source of random bytes (node:crypto's randomBytes; tests pass a fixed one to plant answers). */
export type RandomBytes = (n: number) => Uint8Array;

/** A fresh token. */
export function newEnrollmentToken(random: RandomBytes = randomBytes): string {
  const bytes = random(TOKEN_RANDOM_BYTES);
  if (bytes.length !== TOKEN_RANDOM_BYTES) throw new RangeError(`random gave ${bytes.length} bytes, not ${TOKEN_RANDOM_BYTES}`);
  return TOKEN_PREFIX + Buffer.from(bytes).toString('base64url');
}

/** Whether `text` is a token of this format (not whether it was issued). */
export function isEnrollmentToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/** The SHA-256 of a well-formed token (what the store keeps and looks up), or undefined for anything else. */
export function enrollmentTokenHash(token: string): Uint8Array | undefined {
  if (!isEnrollmentToken(token)) return undefined;
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

/** A batch id: 8 random bytes in hex (names a batch in `tokens list` and `tokens revoke --batch`). */
export function newBatchId(random: RandomBytes = randomBytes): string {
  return Buffer.from(random(8)).toString('hex');
}
