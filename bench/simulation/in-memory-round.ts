// Runs one secure round with the real server state machine and real device participants in one process.
// Every message still goes through the wire schemas (JSON text or binary frame) so the simulation
// exercises the same parsing as the network; only sockets and timers are replaced.
import { createSecureRound, MemberDropped, type RoundOutcome, type SecureRound, type SecureRoundOptions } from '../../server/rounds/secure-round';
import type { RoundMessage } from '../../server/rounds/host';
import type { Participant } from '../../client/rounds/participant';
import type { DropStage } from './aggregator';
import { parseClientMessage, parseServerMessage } from '../../shared/protocol/parse';
import { decodeMaskedFrame } from '../../shared/protocol/binary-frame';
import { ProtocolError } from '../../shared/protocol/errors';
import type { ServerWireMessage } from '../../shared/protocol/messages';
import { STAGE_ORDER, stageOpenedBy } from '../../shared/secagg/stages';

const LIMITS = { maxTextBytes: 64 * 1024 * 1024 };

/** Per-device and server costs of one simulated round. */
export interface SimulatedRoundStats {
  /** Seconds each device spent in its participant (protocol + update computation), by device. */
  deviceSeconds: Map<string, number>;
  serverSeconds: number;
  bytesUp: Map<string, number>;
  bytesDown: Map<string, number>;
  refusals: ProtocolError[];
}

/** Run a round to its end; devices in `drops` stop answering from the given stage on. */
export async function runInMemoryRound(
  options: SecureRoundOptions,
  participants: ReadonlyMap<string, Participant>,
  drops: ReadonlyMap<string, DropStage> = new Map(),
): Promise<{ outcome: RoundOutcome; stats: SimulatedRoundStats; announce: (result: Parameters<SecureRound['announce']>[0]) => Promise<void> }> {
  const stats: SimulatedRoundStats = { deviceSeconds: new Map(), serverSeconds: 0, bytesUp: new Map(), bytesDown: new Map(), refusals: [] };
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  /** Final messages (results) to every device still present; their replies, if any, go nowhere. */
  const deliver = async (out: readonly { to: string; message: ServerWireMessage }[]) => {
    for (const { to, message } of out) {
      const p = participants.get(to);
      if (p && !drops.has(to)) await p.handle(parseServerMessage(JSON.stringify(message), LIMITS));
    }
  };
  let t = performance.now();
  const round = createSecureRound(options);
  const done = () => round.stage === 'done'; // read through a function: the stage changes inside receive()
  let queue = round.start();
  stats.serverSeconds += (performance.now() - t) / 1000;
  while (!done()) {
    const next: typeof queue = [];
    for (const { to, message } of queue) {
      const stage = stageOpenedBy(message.type);
      const dropAt = drops.get(to);
      if (stage && dropAt && STAGE_ORDER.indexOf(stage) >= STAGE_ORDER.indexOf(dropAt)) continue; // this device is gone
      const participant = participants.get(to);
      if (!participant) continue;
      const text = JSON.stringify(message);
      add(stats.bytesDown, to, text.length);
      t = performance.now();
      const replies = await participant.handle(parseServerMessage(text, LIMITS));
      add(stats.deviceSeconds, to, (performance.now() - t) / 1000);
      for (const reply of replies) {
        t = performance.now();
        let parsed: RoundMessage;
        if (reply.kind === 'binary') {
          add(stats.bytesUp, to, reply.bytes.length);
          const { header, vector } = decodeMaskedFrame(reply.bytes);
          parsed = { type: 'masked', header, vector };
        } else {
          const body = JSON.stringify(reply.message);
          add(stats.bytesUp, to, body.length);
          parsed = parseClientMessage(body, LIMITS) as RoundMessage;
        }
        try {
          next.push(...round.receive(to, parsed, reply.kind === 'binary' ? reply.bytes.length : JSON.stringify(reply.message).length));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          if (err instanceof MemberDropped) next.push(...err.outgoing);
          stats.refusals.push(err);
        }
        stats.serverSeconds += (performance.now() - t) / 1000;
      }
    }
    if (next.length === 0 && !done()) {
      // Nobody else will answer this stage: the deadline passes.
      t = performance.now();
      next.push(...round.expire());
      stats.serverSeconds += (performance.now() - t) / 1000;
    }
    queue = next;
    if (done()) await deliver(queue);
  }
  // The server announces a completed round once its model version is stored: the caller says when, and how it went.
  const announce = async (result: Parameters<SecureRound['announce']>[0]) => deliver(round.announce(result));
  return { outcome: round.outcome!, stats, announce };
}
