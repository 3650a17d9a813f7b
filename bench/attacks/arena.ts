// Where an attack is played: the real server round (server/rounds/secure-round.ts), a real participant
// (client/rounds/participant.ts) for every honest device, Sybils made of the pure device steps, and the wire between
// them — every message parsed at both edges with the protocol's schemas, as in bench/simulation/in-memory-round.ts.
//
// The adversary is the server. It runs the honest state machine and relays its messages through a Relay that may
// rewrite, duplicate or withhold what each device receives, or keep a device's answer from the state machine; where
// the honest machine cannot express a lie (two survivor lists at once), the attack injects messages it crafts from
// the machine's transcript. Everything honest devices send, and everything they are sent, goes into the adversary's
// view, which the leak check (leak-check.ts) reads.
import { createSecureRound, MemberDropped, type SecureRound, type SecureRoundOptions } from '../../server/rounds/secure-round';
import type { RoundMessage } from '../../server/rounds/host';
import { createParticipant, DEFAULT_FLOORS, type DeviceFloors, type Outbound, type Participant } from '../../client/rounds/participant';
import { memorySpentModels } from '../../client/rounds/spent-models';
import type { AbortCode } from '../../shared/secagg/abort';
import { generateSigningKeyPair, type SigningKeyPair } from '../../shared/secagg/sign';
import type { Sodium } from '../../shared/secagg/sodium';
import type { SafetySettings } from '../../shared/secagg/round-settings';
import { decodeMaskedFrame } from '../../shared/protocol/binary-frame';
import { toBase64Url } from '../../shared/protocol/encoding';
import { ProtocolError, type RefusalCode } from '../../shared/protocol/errors';
import type { RoundConfig, RoundPurpose, ServerMessage, ServerMessageType } from '../../shared/protocol/messages';
import { parseClientMessage, parseServerMessage } from '../../shared/protocol/parse';
import { roundConfig } from '../../server/training/round-config';
import { SAFETY_DEFAULTS } from '../../server/training/defaults';
import { createSybil, honestReply, type Sybil } from './sybil';

const LIMITS = { maxTextBytes: 64 * 1024 * 1024 };

/** JSON text of a message, byte fields as base64url: what travels on the wire. */
export function wireText(message: object): string {
  return JSON.stringify(message, (_key, value: unknown) => (value instanceof Uint8Array ? toBase64Url(value) : value));
}

/** An honest device: a real participant with the default floors (unless an attack states otherwise) and its true input. */
export interface HonestDevice {
  id: string;
  identity: SigningKeyPair;
  /** The fixed-point input it contributes; only the bench knows it, to judge a reconstruction. */
  input: Uint32Array;
  participant: Participant;
}

/** What the adversary holds: what honest devices sent and were sent, the sums it unmasked, and its Sybils. */
export interface AdversaryView {
  readonly sent: { from: string; message: RoundMessage }[];
  readonly received: { to: string; message: ServerMessage }[];
  readonly sums: { sessionId: string; round: number; contributors: string[]; sum: Uint32Array }[];
  readonly sybils: readonly Sybil[];
}

/** The devices of an attack: honest ones and Sybils, sorted by id within each group. */
export interface Population {
  sodium: Sodium;
  honest: HonestDevice[];
  sybils: Sybil[];
  view: AdversaryView;
  /** Device floors of the honest devices (DEFAULT_FLOORS unless the attack states otherwise). */
  floors: DeviceFloors;
}

function identities(sodium: Sodium, n: number): { id: string; identity: SigningKeyPair }[] {
  return Array.from({ length: n }, () => {
    const identity = generateSigningKeyPair(sodium);
    return { id: toBase64Url(identity.publicKey), identity };
  }).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** A real participant whose update is `input` (a copy per round: the participant may add noise to what it is given). */
function participantFor(sodium: Sodium, identity: SigningKeyPair, input: Uint32Array, floors: DeviceFloors): Participant {
  return createParticipant({ sodium, identity, floors, spent: memorySpentModels(), computeUpdate: () => Promise.reject(new Error('fixed-point inputs only')), computeFixedPointInput: async () => Uint32Array.from(input) });
}

const randomInput = (sodium: Sodium, length: number) => new Uint32Array(sodium.randombytes_buf(4 * length).buffer.slice(0));

/** `honest` real participants and `sybils` Sybils, each with a random 32-bit input of `vectorLength` words. */
export function createPopulation(sodium: Sodium, o: { honest: number; sybils: number; vectorLength: number; floors?: Partial<DeviceFloors> }): Population {
  const floors: DeviceFloors = { ...DEFAULT_FLOORS, ...o.floors };
  const honest = identities(sodium, o.honest).map(({ id, identity }) => {
    const input = randomInput(sodium, o.vectorLength);
    return { id, identity, input, participant: participantFor(sodium, identity, input, floors) };
  });
  const sybils = identities(sodium, o.sybils).map(({ id, identity }) => createSybil(identity, id, randomInput(sodium, o.vectorLength)));
  return { sodium, honest, sybils, floors, view: { sent: [], received: [], sums: [], sybils } };
}

/**
 * Give every honest device a new participant with an empty record of spent models, as after a reinstall: the same
 * identity and input, no memory of what it contributed (the controls of replay-cohort use it).
 */
export function forgetSpentModels(pop: Population): void {
  for (const d of pop.honest) d.participant = participantFor(pop.sodium, d.identity, d.input, pop.floors);
}

/** The round configuration the server's own code gives a cohort (server/training/round-config.ts), for a short random vector. */
export function serverConfig(n: number, o: { graph?: 'complete' | 'sparse'; safety?: SafetySettings; vectorLength: number }): RoundConfig {
  const planned = roundConfig(n, { items: 1, dim: 1 }, { graph: o.graph ?? 'complete', clipNorm: 1, localEpochs: 1, stageTimeoutMs: 60_000, safety: o.safety ?? SAFETY_DEFAULTS }).config;
  return { ...planned, vectorLength: o.vectorLength, clipFlagIndex: -1 };
}

/** Options of one round: a fresh random session id unless given, the model hash of "model" unless given. */
export function roundOptions(sodium: Sodium, o: { cohort: readonly string[]; config: RoundConfig; modelHash?: Uint8Array; purpose?: RoundPurpose; round?: number; sessionId?: string }): SecureRoundOptions {
  const sessionId = o.sessionId ?? toBase64Url(sodium.randombytes_buf(16));
  return {
    sodium,
    binding: { sessionId, round: o.round ?? 1, modelHash: o.modelHash ?? sodium.crypto_generichash(32, 'model', null) },
    shard: 0,
    modelVersion: 0,
    purpose: o.purpose ?? 'training',
    config: o.config,
    cohort: [...o.cohort].sort(),
  };
}

/** A message the relay sends to another device than the one the server addressed. */
export interface Redirect {
  to: string;
  message: ServerMessage;
}

/** The adversary's levers on the wire. */
export interface Relay {
  /** What `to` receives in place of the server's `message` (default: the message itself); [] withholds it, a Redirect sends a copy elsewhere. */
  toDevice?(to: string, message: ServerMessage): (ServerMessage | Redirect)[];
  /** Whether a device's answer reaches the server's state machine (default: yes). It is in the view either way. */
  toServer?(from: string, message: RoundMessage): boolean;
  /** How a Sybil answers (default: honestReply, the pure steps). */
  sybil?(sybil: Sybil, message: ServerMessage): Outbound[];
  /** Who hears a batch of server messages first (default: the Sybils, so they can answer before anyone). */
  sybilsHearFirst?: boolean;
}

/** One round under attack. */
export interface Arena {
  readonly options: SecureRoundOptions;
  readonly server: SecureRound;
  /** Abort codes honest devices gave, with the server message that made them abort. */
  readonly aborts: { device: string; code: AbortCode; at: ServerMessageType }[];
  /** The server state machine's refusals of device messages. */
  readonly refusals: { device: string; code: RefusalCode }[];
  /** Run the round from the invitations until nothing moves any more. */
  run(relay?: Relay): Promise<void>;
  /** Hand a crafted message to a device: its answers are recorded in the view and returned, and reach no state machine. */
  inject(to: string, message: ServerMessage, relay?: Relay): Promise<RoundMessage[]>;
  /** Whether any honest device sent share bundles (stage shares) in this round. */
  honestSharesLeft(): boolean;
}

function parseReply(reply: Outbound): { message: RoundMessage; bytes: number } {
  if (reply.kind === 'binary') {
    const { header, vector } = decodeMaskedFrame(reply.bytes);
    return { message: { type: 'masked', header, vector }, bytes: reply.bytes.length };
  }
  const text = JSON.stringify(reply.message);
  return { message: parseClientMessage(text, LIMITS) as RoundMessage, bytes: text.length };
}

/** Open a round over `options.cohort` (ids from `pop`); run() starts it. */
export function openArena(pop: Population, options: SecureRoundOptions): Arena {
  const { sodium, view } = pop;
  const honest = new Map(pop.honest.map((d) => [d.id, d]));
  const sybils = new Map(pop.sybils.map((s) => [s.id, s]));
  const server = createSecureRound(options);
  const aborts: Arena['aborts'] = [];
  const refusals: Arena['refusals'] = [];

  const deliver = async (to: string, message: ServerMessage, relay: Relay): Promise<{ message: RoundMessage; bytes: number }[]> => {
    const parsed = parseServerMessage(wireText(message), LIMITS); // a crafted message meets the schema too
    let replies: Outbound[] = [];
    const h = honest.get(to);
    const s = sybils.get(to);
    if (h) {
      view.received.push({ to, message: parsed });
      const before = h.participant.lastAbort;
      replies = await h.participant.handle(parsed);
      const after = h.participant.lastAbort;
      if (after && after !== before) aborts.push({ device: to, code: after.code, at: parsed.type });
    } else if (s) {
      replies = relay.sybil ? relay.sybil(s, parsed) : honestReply(sodium, s, parsed);
    }
    const out = replies.map(parseReply);
    if (h) for (const r of out) view.sent.push({ from: to, message: r.message });
    return out;
  };

  return {
    options,
    server,
    aborts,
    refusals,
    async run(relay = {}) {
      let queue = server.start();
      let announced = false;
      for (let guard = 0; guard < 100 && queue.length > 0; guard++) {
        const next: typeof queue = [];
        // The adversary orders delivery: by default its Sybils hear (and answer) first.
        const [first, last] = relay.sybilsHearFirst === false ? [false, true] : [true, false];
        const ordered = [...queue.filter((o) => sybils.has(o.to) === first), ...queue.filter((o) => sybils.has(o.to) === last)];
        for (const { to: addressee, message } of ordered) {
          const parsed = parseServerMessage(JSON.stringify(message), LIMITS);
          for (const item of relay.toDevice ? relay.toDevice(addressee, parsed) : [parsed]) {
            const [to, m] = 'to' in item ? [item.to, item.message] : [addressee, item];
            for (const reply of await deliver(to, m, relay)) {
              if (server.stage === 'done') continue;
              if (relay.toServer && !relay.toServer(to, reply.message)) continue;
              try {
                next.push(...server.receive(to, reply.message, reply.bytes));
              } catch (err) {
                if (!(err instanceof ProtocolError)) throw err;
                if (err instanceof MemberDropped) next.push(...err.outgoing);
                refusals.push({ device: to, code: err.code });
              }
            }
          }
        }
        if (next.length === 0 && server.stage !== 'done') next.push(...server.expire()); // the stage's deadline passes
        const outcome = server.outcome;
        if (next.length === 0 && outcome?.status === 'completed' && !announced) {
          announced = true;
          view.sums.push({ sessionId: options.binding.sessionId, round: options.binding.round, contributors: [...outcome.contributors], sum: outcome.sum });
          next.push(...server.announce({ status: 'completed', modelVersion: options.modelVersion + 1 }));
        }
        queue = next;
      }
    },
    async inject(to, message, relay = {}) {
      return (await deliver(to, message, relay)).map((r) => r.message);
    },
    honestSharesLeft() {
      const { sessionId, round } = options.binding;
      return view.sent.some((s) => s.message.type === 'shares' && s.message.sessionId === sessionId && s.message.round === round);
    },
  };
}
