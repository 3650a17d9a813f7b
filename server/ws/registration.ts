// Admitting a new device at the gateway: a deleted key stays deleted, then the per-address registration rate, then
// the enrollment policy — `open` (anyone may register any number of keys) or `token` (each new device consumes one
// single-use token the operator issued). Every refusal is a ProtocolError, and none consumes a token.
import { deviceKeyHash } from '../../shared/protocol/deletion';
import { ProtocolError } from '../../shared/protocol/errors';
import { devicePublicKey } from '../device-id';
import type { EnrollmentPolicy } from '../enrollment/policy';
import { enrollmentTokenHash } from '../enrollment/tokens';
import type { DeviceRecord, Store } from '../store/store';
import { AddressBuckets } from './per-address';

const SECONDS_PER_HOUR = 3600;

/** The gateway's registration step. */
export interface Registrar {
  /** Register `deviceId`, found unregistered, for a client at `address`; throws a ProtocolError to refuse. */
  register(deviceId: string, at: number, address: string, token: string | undefined): Promise<{ device: DeviceRecord; created: boolean }>;
}

/** What the registration step needs. */
export interface RegistrarOptions {
  store: Store;
  policy: EnrollmentPolicy;
  /** New devices per client address per hour: a burst of this many, then refilled at this rate (0 = no limit). */
  registrationsPerAddressPerHour: number;
  now: () => number;
}

/** Create the registration step (its per-address buckets live as long as the gateway). */
export function createRegistrar(o: RegistrarOptions): Registrar {
  const perHour = o.registrationsPerAddressPerHour;
  const buckets = new AddressBuckets(perHour, perHour / SECONDS_PER_HOUR, o.now);
  return {
    async register(deviceId, at, address, token) {
      // A key that was deleted stays deleted: its receipt names it, so a new registration would contradict it.
      if ((await o.store.findDeletions(deviceKeyHash(devicePublicKey(deviceId)!))).length > 0) {
        throw new ProtocolError('auth.unknown_device', 'this key was deleted: make a new identity key to register again');
      }
      if (o.policy === 'token' && token === undefined) {
        throw new ProtocolError('auth.token_required', 'this server registers a device only with an enrollment token: send it as `token` with register: true', ['token']);
      }
      // Taken before the token is looked at: a wrong guess is a registration attempt too.
      if (!buckets.take(address)) {
        throw new ProtocolError('auth.registration_rate_limited', `more than ${perHour} new devices per hour from your address; try again later`);
      }
      if (o.policy === 'open') return o.store.registerDevice(deviceId, at);
      const hash = enrollmentTokenHash(token!);
      if (!hash) throw new ProtocolError('auth.token_invalid', 'the token is not an enrollment token (cet1. then 43 base64url characters)', ['token']);
      const result = await o.store.registerDeviceWithToken(deviceId, at, hash);
      switch (result.outcome) {
        case 'registered':
          return { device: result.device, created: true };
        case 'existing': // registered by another connection meanwhile: nothing was consumed
          return { device: result.device, created: false };
        case 'token_used':
          throw new ProtocolError('auth.token_used', 'this enrollment token was already used: each admits one device', ['token']);
        case 'token_revoked':
          throw new ProtocolError('auth.token_invalid', 'this enrollment token was revoked', ['token']);
        case 'token_unknown':
          throw new ProtocolError('auth.token_invalid', 'no such enrollment token was issued', ['token']);
      }
    },
  };
}
