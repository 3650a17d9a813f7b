// The stages of a secure-aggregation round, written once: what devices send in each stage, the server message
// that opens it, and the one that closes it (which opens the next). The server's round, the device's participant,
// the in-memory simulation and the tests all read this table.
//
// invite → advertise → keys → reveal → seed → shares → deliver → check → masking → masked → survivors → confirm →
// unmask-request → unmask → result
export const SECURE_STAGES = [
  { stage: 'advertise', opens: 'invite', device: 'advertise', closes: 'keys', what: 'devices advertise their keys and commit to graph randomness' },
  { stage: 'reveal', opens: 'keys', device: 'reveal', closes: 'seed', what: 'devices check the key list, then reveal their graph randomness' },
  { stage: 'shares', opens: 'seed', device: 'shares', closes: 'deliver', what: 'devices derive the neighbour graph and deal signed shares to their neighbours' },
  { stage: 'check', opens: 'deliver', device: 'check', closes: 'masking', what: 'devices open the shares dealt to them and name any dealer whose bundle does not open, decode or verify' },
  { stage: 'masked', opens: 'masking', device: 'masked', closes: 'survivors', what: 'devices send their masked inputs, masking with every neighbour except complained-about pairs' },
  { stage: 'confirm', opens: 'survivors', device: 'confirm', closes: 'unmask-request', what: 'survivors sign the survivor and dropped lists' },
  { stage: 'unmask', opens: 'unmask-request', device: 'unmask', closes: 'result', what: 'survivors reveal the shares that remove the masks of the sum' },
] as const;

export type SecureStage = (typeof SECURE_STAGES)[number]['stage'];
/** A server message of the round (those that open or close a stage). */
export type StageServerMessage = (typeof SECURE_STAGES)[number]['opens'] | 'result';
/** A device message of the round (one per stage). */
export type StageDeviceMessage = (typeof SECURE_STAGES)[number]['device'];

/** Stage names in order. */
export const STAGE_ORDER: readonly SecureStage[] = SECURE_STAGES.map((s) => s.stage);

/** The stage a device message belongs to. */
export function stageOfDeviceMessage(type: string): SecureStage | undefined {
  return SECURE_STAGES.find((s) => s.device === type)?.stage;
}

/** The stage a server message opens (undefined for `result`, which ends the round). */
export function stageOpenedBy(type: string): SecureStage | undefined {
  return SECURE_STAGES.find((s) => s.opens === type)?.stage;
}

/** Whether a device that stops answering at `stage` (misses it and every later one) never sent its masked input. */
export function dropMissesInput(stage: SecureStage): boolean {
  return STAGE_ORDER.indexOf(stage) <= STAGE_ORDER.indexOf('masked');
}
