// Why a device refuses to go on with a round: every lying-server case has its own code, and none lets a share out.

export const ABORT_CODES = [
  'abort.session_mismatch', // session id or round differs from the invitation
  'abort.model_mismatch', // a signature or list binds another model hash than the one this device trained on
  'abort.too_few_devices', // a list has fewer than t devices (or neighbours)
  'abort.too_many_devices', // more keys than the cohort the invitation named
  'abort.unknown_device', // an id that was not in the cohort (or not advertised)
  'abort.duplicate_device', // an id listed twice
  'abort.own_key_missing', // this device's keys are absent or differ from what it advertised
  'abort.bad_key', // wrong size or low-order X25519 key
  'abort.duplicate_key', // two devices share a key
  'abort.bad_signature', // an advertisement or confirmation signature does not verify (forged, or over other settings or another model)
  'abort.threshold_unsafe', // t is too low (or too high) for the graph
  'abort.not_neighbour', // shares from a device that is not a neighbour
  'abort.tampered_share', // a share bundle fails authentication or names the wrong sender/recipient
  'abort.self_dropped', // this device is listed as dropped
  'abort.listed_twice', // a device is both survivor and dropped
  'abort.already_dropped', // a device that dropped before sending shares is listed again
  'abort.missing_device', // a neighbour that sent shares is in neither list
  'abort.inconsistent_lists', // the unmask request's lists differ from the ones this device signed
  'abort.too_few_confirmations', // fewer than the consistency quorum of valid confirmations of the same lists
  'abort.both_shares', // revealing would give both kinds of share for one device
  'abort.noise_too_low', // the round asks for less distributed-DP noise than this device requires
  'abort.out_of_order', // a stage message arrived in the wrong state
  'abort.unsafe_config', // the round's fixed-point scale could let a full cohort's sum wrap
  'abort.below_floor', // the round's settings (γ, cohort, scale, clipping, noise) are weaker than this device accepts
  'abort.missing_reveal', // a listed device's graph randomness is missing from the seed message
  'abort.bad_reveal', // a reveal does not open its device's commitment
  'abort.model_spent', // this device already contributed to this model for this purpose
] as const;

export type AbortCode = (typeof ABORT_CODES)[number];

/** A device's decision to abort, with the reason; thrown by the device's protocol steps. */
export class DeviceAbort extends Error {
  override name = 'DeviceAbort';
  constructor(
    readonly code: AbortCode,
    message: string,
  ) {
    super(message);
  }
}

/** Throw a DeviceAbort unless `condition` holds. */
export function abortUnless(condition: boolean, code: AbortCode, message: () => string): asserts condition {
  if (!condition) throw new DeviceAbort(code, message());
}
