// Enrollment tokens: 256 random bits behind a version prefix, one spelling each, and the SHA-256 the store keeps.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { enrollmentTokenHash, isEnrollmentToken, newBatchId, newEnrollmentToken, TOKEN_PREFIX } from '../../../server/enrollment/tokens';

const fixed = (fill: number) => (n: number) => new Uint8Array(n).fill(fill);

describe('enrollment tokens', () => {
  it('is the prefix and the base64url of 32 random bytes (a planted source gives the known token)', () => {
    expect(newEnrollmentToken(fixed(0))).toBe(`${TOKEN_PREFIX}${'A'.repeat(43)}`);
    expect(newEnrollmentToken(fixed(0xff))).toBe(`${TOKEN_PREFIX}${'_'.repeat(42)}8`);
    const token = newEnrollmentToken();
    expect(token).toHaveLength(48);
    expect(isEnrollmentToken(token)).toBe(true);
    expect(newEnrollmentToken()).not.toBe(token);
  });

  it('hashes a token to the SHA-256 of its text', () => {
    const token = newEnrollmentToken(fixed(7));
    expect(Buffer.from(enrollmentTokenHash(token)!).toString('hex')).toBe(createHash('sha256').update(token).digest('hex'));
  });

  it.each([
    ['no prefix', 'A'.repeat(43)],
    ['another version', `cet2.${'A'.repeat(43)}`],
    ['one character short', `${TOKEN_PREFIX}${'A'.repeat(42)}`],
    ['one character long', `${TOKEN_PREFIX}${'A'.repeat(44)}`],
    ['a non-canonical last character (spare bits set)', `${TOKEN_PREFIX}${'A'.repeat(42)}B`],
    ['standard base64', `${TOKEN_PREFIX}${'+'.repeat(42)}A`],
    ['surrounding space', ` ${TOKEN_PREFIX}${'A'.repeat(43)}`],
    ['empty', ''],
  ])('refuses %s: no hash', (_label, text) => {
    expect(isEnrollmentToken(text)).toBe(false);
    expect(enrollmentTokenHash(text)).toBeUndefined();
  });

  it('refuses a random source that gives the wrong number of bytes', () => {
    expect(() => newEnrollmentToken(() => new Uint8Array(16))).toThrow('random gave 16 bytes, not 32');
  });

  it('batch ids are 16 hex characters', () => {
    expect(newBatchId(fixed(0xab))).toBe('abababababababab');
    expect(newBatchId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
