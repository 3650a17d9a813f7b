// The server shows one device other settings or another model than the rest (threat model 4, 29; Pasquini et al.
// 2022). The honest state machine would simply leave that device out (its advertisement does not verify over the
// round's settings), so the relay puts it back into every key list, as a server that wants the round to go on would.
import type { Sodium } from '../../shared/secagg/sodium';
import { generateSigningKeyPair } from '../../shared/secagg/sign';
import { toBase64Url } from '../../shared/protocol/encoding';
import type { RoundMessage } from '../../server/rounds/host';
import type { ServerMessage } from '../../shared/protocol/messages';
import { serverConfig, type Redirect } from './arena';
import { arenaCodes } from './outcome';
import { cohortRound, describeSetup, judge, refOf, VECTOR_LENGTH, type Play } from './play';

type Invite = Extract<ServerMessage, { type: 'invite' }>;

/** What the victim's invitation says instead of the truth. */
export type Shown = 'threshold-below-floor' | 'corrupt-fraction' | 'cohort' | 'purpose' | 'model';

function rewrite(sodium: Sodium, to: string, m: Invite, shown: Shown): Invite {
  switch (shown) {
    case 'threshold-below-floor':
      return { ...m, config: { ...m.config, threshold: m.config.threshold - 1 } };
    case 'corrupt-fraction': {
      // A γ (and the threshold it gives) the victim's floors accept, but not the one the others were shown. A lying
      // server need not keep the round live, so it plans for no dropout (at 11 devices, γ = 0.2 and dropout 0.1 are not).
      const stricter = serverConfig(m.cohort.length, { vectorLength: VECTOR_LENGTH, safety: { corruptFraction: 0.2, expectedDropout: 0 } });
      return { ...m, config: { ...m.config, corruptFraction: 0.2, threshold: stricter.threshold } };
    }
    case 'cohort': {
      // One member (not the victim) swapped for a device that was never invited.
      const stranger = toBase64Url(generateSigningKeyPair(sodium).publicKey);
      const swapped = m.cohort.findLast((id) => id !== to);
      return { ...m, cohort: [...m.cohort.filter((id) => id !== swapped), stranger].sort() };
    }
    case 'purpose':
      return { ...m, purpose: m.purpose === 'training' ? 'evaluation' : 'training' };
    case 'model':
      return { ...m, modelHash: sodium.crypto_generichash(32, 'another model for one device', null) };
  }
}

/** The victim alone is shown `shown`; its advertisement is then put into the key list everyone receives. */
export async function inconsistentView(sodium: Sodium, o: { cohort: number; shown: Shown }): Promise<Play> {
  const { pop, arena, config, ids } = cohortRound(sodium, { honest: o.cohort, sybils: 0 });
  const victim = pop.honest[0]!;
  const ref = refOf(arena);
  let victimKeysSent = false;
  await arena.run({
    toDevice: (to, m) => {
      if (m.type === 'invite' && to === victim.id) return [rewrite(sodium, to, m, o.shown)];
      if (m.type !== 'keys') return [m];
      const ad = pop.view.sent.find((s) => s.from === victim.id && s.message.type === 'advertise' && s.message.sessionId === ref.sessionId)?.message as Extract<RoundMessage, { type: 'advertise' }> | undefined;
      if (!ad || m.devices.some((d) => d.deviceId === victim.id)) return [m];
      const keys = { ...m, devices: [...m.devices, { deviceId: victim.id, encKey: ad.encKey, maskKey: ad.maskKey, seedCommitment: ad.seedCommitment, graphCommitment: ad.graphCommitment, signature: ad.signature }] };
      const out: (ServerMessage | Redirect)[] = [keys];
      if (!victimKeysSent) out.push({ to: victim.id, message: keys }); // the state machine left it out of the list and the message
      victimKeysSent = true;
      return out;
    },
  });
  const facts = judge(pop, arena, victim, { excluded: false });
  return { facts, detail: `the victim shown ${o.shown === 'model' ? 'another model hash' : `another ${o.shown === 'threshold-below-floor' ? `threshold (${config.threshold - 1}, below its floor)` : o.shown === 'corrupt-fraction' ? 'γ (0.2) and threshold' : o.shown}`} than the others; ${arenaCodes(arena)}`, setup: describeSetup(pop, config, ids) };
}
