// Recovery codes: the same key comes back from the code; a typo is caught by the check digits.
import { describe, expect, it } from 'vitest';
import { identityFromSeed, newIdentity, recoveryCode, RecoveryCodeError, seedFromRecoveryCode } from '../../../client/device/identity';
import { sodium } from '../../shared/secagg/helpers';

describe('recovery codes', () => {
  it('give back the same identity, whatever the case and spacing', () => {
    for (let n = 0; n < 20; n++) {
      const id = newIdentity(sodium);
      const code = recoveryCode(id);
      expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]{3}$/);
      const again = identityFromSeed(sodium, seedFromRecoveryCode(code.toLowerCase().replace(/-/g, ' ')));
      expect(again.publicKey).toEqual(id.publicKey);
      expect(again.privateKey).toEqual(id.privateKey);
    }
  });

  it('a changed character or a short code is refused, saying why', () => {
    const code = recoveryCode(newIdentity(sodium));
    const changed = (code[0] === '0' ? '1' : '0') + code.slice(1);
    expect(() => seedFromRecoveryCode(changed)).toThrow(/typo/);
    expect(() => seedFromRecoveryCode(code.slice(0, -2))).toThrow(RecoveryCodeError);
    expect(() => seedFromRecoveryCode(code.replace(/.$/, 'U'))).toThrow(/cannot be part/);
  });
});
