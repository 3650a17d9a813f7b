// The coordinator over device channels without a network: who each round start invited, with the stage deadline
// driven by vitest's fake timers. For tests of what happens before any device answers (sampling, skipped rounds);
// rounds that must run use real devices over WebSockets (test/integration).
import { vi } from 'vitest';
import _sodium from 'libsodium-wrappers';
import type { Sodium } from '../../../shared/secagg/sodium';
import { END_OF_ROUND_DEFAULTS } from '../../../models/federated/end-of-round';
import { MemoryStore } from '../../../server/store/memory-store';
import type { Store } from '../../../server/store/store';
import { createCoordinator, type Coordinator, type RoundSummary, type TrainingSettings } from '../../../server/rounds/coordinator';
import { ensureInitialModel } from '../../../server/training/initial-model';

/** Defaults of the harness: small model, complete graph, the smallest floor the coordinator accepts. */
export const HARNESS_SETTINGS: TrainingSettings = { samplingRate: 0.3, graph: 'complete', clipNorm: 1, localEpochs: 1, endOfRound: END_OF_ROUND_DEFAULTS, stageTimeoutMs: 1_000, minCohort: 3, safety: { corruptFraction: 0, expectedDropout: 0 } };

/** One round start as the devices saw it. */
export interface Attempt {
  summary: RoundSummary;
  /** Devices that received an invitation, sorted. */
  invited: string[];
}

export interface ChannelFleet {
  sodium: Sodium;
  store: Store;
  coordinator: Coordinator;
  /** The connected devices (all allow training), sorted. */
  ids: string[];
  /** Run one round on shard 0 to its end: a round that invited devices ends when its first deadline passes unanswered. */
  attempt(): Promise<Attempt>;
}

/**
 * A coordinator over `devices` connected channels on a fresh one-shard MemoryStore. Call with vi.useFakeTimers() on:
 * the harness moves the clock by exactly one stage deadline, and only once the invitations are out.
 */
export async function channelFleet(o: { devices: number; samplingKey: Uint8Array; settings?: Partial<TrainingSettings>; store?: Store }): Promise<ChannelFleet> {
  await _sodium.ready;
  const sodium: Sodium = _sodium;
  const store = o.store ?? new MemoryStore();
  await ensureInitialModel(store, { items: 12, dim: 2, shards: 1, now: () => 0 });
  const settings = { ...HARNESS_SETTINGS, ...o.settings };
  let stageOpened: (() => void) | undefined;
  let clock = 1;
  const coordinator = createCoordinator({
    store,
    sodium,
    samplingKey: o.samplingKey,
    settings,
    now: () => clock++,
    log: (event) => {
      // Logged as a stage opens, just before its deadline is armed in the same synchronous step.
      if (event === 'round.stage') stageOpened?.();
    },
  });
  let invited: string[] = [];
  const ids = Array.from({ length: o.devices }, () => sodium.to_base64(sodium.randombytes_buf(32), sodium.base64_variants.URLSAFE_NO_PADDING)).sort();
  for (const deviceId of ids) {
    coordinator.connected(
      {
        deviceId,
        send: (message) => {
          if (message.type === 'invite') invited.push(deviceId);
        },
        close: () => {},
      },
      { training: true },
    );
  }
  return {
    sodium,
    store,
    coordinator,
    ids,
    async attempt() {
      invited = [];
      const opened = new Promise<'stage'>((resolve) => (stageOpened = () => resolve('stage')));
      const run = coordinator.runRound(0);
      if ((await Promise.race([run.then(() => 'ended' as const), opened])) === 'stage') vi.advanceTimersByTime(settings.stageTimeoutMs); // nobody answers the invitation
      const summary = await run;
      stageOpened = undefined;
      return { summary, invited: [...invited].sort() };
    },
  };
}
