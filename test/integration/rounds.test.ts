// Integration over real WebSockets on loopback: a server with its SQLite store and a cohort of device clients run
// several secure rounds; devices drop out in each phase; hostile messages are refused while the round completes.
import { NO_SYBILS } from '../conformance/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import _sodium from 'libsodium-wrappers';
import { initBackend } from '../../models/backend';
import { createServer, type RunningServer } from '../../server/server';
import { SqliteStore } from '../../server/store/sqlite-store';
import { initialiseWith } from '../../server/training/initial-model';
import { END_OF_ROUND_DEFAULTS } from '../../models/federated/end-of-round';
import { createCoordinator, type Coordinator } from '../../server/rounds/coordinator';
import { startDevice as startDevice_, type Device } from './fleet';
import type { SentLogEntry } from '../../client/rounds/participant';
import type { Sodium } from '../../shared/secagg/sodium';
import type { ServerMessage } from '../../shared/protocol/messages';
import { initialTable } from '../../models/mf/model';
import { buildHistories } from '../../models/mf/histories';
import { generateSynthetic } from '../../bench/datasets';
import { createRng } from '../../shared/math/random';
import { capturedLogger } from '../server/helpers';

const DEVICES = 24;
let sodium: Sodium;
let server: RunningServer;
let store: SqliteStore;
let coordinator: Coordinator;

const sentLogs: SentLogEntry[] = [];
const logWaiters: (() => void)[] = [];
const { logger, lines } = capturedLogger();
const deviceIds = new Set<string>();

/** Resolve once `count` sent-log entries satisfy `match` (woken by the devices' own log events, never by a timer). */
function sentLogsMatching(match: (e: SentLogEntry) => boolean, count: number): Promise<SentLogEntry[]> {
  return new Promise((resolve) => {
    const check = () => {
      const found = sentLogs.filter(match);
      if (found.length >= count) resolve(found);
      else logWaiters.push(check);
    };
    check();
  });
}

/** Device k of the fleet, with the k-th synthetic user's history. */
function startDevice(k: number, hs: ReturnType<typeof buildHistories>['byUser'], dropAt?: ServerMessage['type']): Promise<Device> {
  return startDevice_({
    server,
    sodium,
    history: hs[k % hs.length]!,
    ...(dropAt && { dropAt }),
    participant: {
      onLog: (e) => {
        sentLogs.push(structuredClone(e));
        logWaiters.splice(0).forEach((w) => w());
      },
    },
  }).then((d) => {
    deviceIds.add(d.id);
    return d;
  });
}

let histories: ReturnType<typeof buildHistories>['byUser'];
const waiters: (() => void)[] = [];

/** Resolve once the coordinator sees `n` eligible devices (woken by its consent events, never by a timer). */
function eligible(n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (coordinator.eligibleDevices() === n) resolve();
      else waiters.push(check);
    };
    check();
  });
}

beforeAll(async () => {
  await initBackend();
  await _sodium.ready;
  sodium = _sodium;
  const dir = await mkdtemp(path.join(tmpdir(), 'confidant-int-'));
  store = await SqliteStore.open(path.join(dir, 'state.db'));
  const data = generateSynthetic({ users: DEVICES, items: 40, categories: 4, dim: 4, meanInteractions: 10, seed: 2 }).data;
  histories = buildHistories(data).byUser;
  const rng = createRng(3);
  await initialiseWith(store, [{ params: { kind: 'implicit', lambda: 5, alpha: 5, valueScale: 5 }, table: initialTable(40, 4, 0.1, rng.normal) }], Date.now());
  coordinator = createCoordinator({
    store,
    sodium,
    samplingKey: new Uint8Array(32).fill(7),
    settings: { samplingRate: 1, graph: 'complete', clipNorm: 100, localEpochs: 1, endOfRound: END_OF_ROUND_DEFAULTS, stageTimeoutMs: 5_000, minCohort: 3, safety: NO_SYBILS },
    log: (event, fields) => {
      logger.info(fields, event);
      waiters.splice(0).forEach((w) => w());
    },
  });
  server = await createServer({ store, host: coordinator, port: 0, sodium, logger });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

describe('rounds over WebSockets', () => {
  let devices: Device[] = [];

  it('a cohort of devices completes several rounds; each stores a new model version', async () => {
    devices = await Promise.all(Array.from({ length: DEVICES }, (_, k) => startDevice(k, histories)));
    await eligible(DEVICES);
    expect(coordinator.connectedDevices()).toBe(DEVICES);
    for (let r = 0; r < 2; r++) {
      const summary = await coordinator.runRound();
      expect(summary).toMatchObject({ status: 'completed', contributors: DEVICES });
    }
    const latest = await store.latestModel();
    expect(latest?.version).toBe(3);
    // The clipped count comes through the secure sum; it must equal what the devices themselves logged.
    const round3 = await sentLogsMatching((e) => e.outcome?.modelVersion === 3, DEVICES);
    const clippedByDevices = round3.filter((e) => e.clipped).length;
    expect(latest?.provenance).toMatchObject({ cohortSize: DEVICES, survivors: DEVICES, clipNorm: 100, valuesClipped: clippedByDevices });
    expect(latest!.provenance.bytesIn).toBeGreaterThan(0);
  });

  it('completes when devices drop out in every phase', async () => {
    for (const d of devices) d.connection.close();
    await Promise.all(devices.map((d) => d.connection.closed));
    const stages: ServerMessage['type'][] = ['invite', 'keys', 'deliver', 'survivors', 'unmask-request'];
    devices = await Promise.all(Array.from({ length: DEVICES }, (_, k) => startDevice(k, histories, k < stages.length ? stages[k] : undefined)));
    await eligible(DEVICES);
    const summary = await coordinator.runRound();
    // Dropping at invite, keys or deliver loses the input; at survivors or unmask-request it still counts.
    expect(summary).toMatchObject({ status: 'completed', contributors: DEVICES - 3 });
  });

  it('aborts cleanly when the cohort falls below the threshold, and the next round works', async () => {
    for (const d of devices) d.connection.close();
    await Promise.all(devices.map((d) => d.connection.closed));
    const n = 8;
    devices = await Promise.all(Array.from({ length: n }, (_, k) => startDevice(k, histories, k < 5 ? 'deliver' : undefined)));
    await eligible(n);
    const before = (await store.latestModel())!.version;
    const summary = await coordinator.runRound();
    expect(summary.status).toBe('aborted');
    expect((await store.latestModel())!.version).toBe(before);
    const rounds = await store.listRounds(10);
    expect(rounds[0]).toMatchObject({ status: 'aborted' });
    for (const d of devices) d.connection.close();
    await Promise.all(devices.map((d) => d.connection.closed));
    devices = await Promise.all(Array.from({ length: 6 }, (_, k) => startDevice(k, histories)));
    await eligible(6);
    expect(await coordinator.runRound()).toMatchObject({ status: 'completed', contributors: 6 });
  });
});

describe('what the server says about devices', () => {
  it('no device identifier, key or per-device tag appears in any log line or public route', async () => {
    expect(deviceIds.size).toBeGreaterThan(DEVICES);
    const bodies = await Promise.all(['/v1/rounds?limit=100', '/v1/model/info', '/v1/metrics', '/v1/ready'].map(async (p) => (await fetch(`${server.url}${p}`)).text()));
    const text = [...lines, ...bodies].join('\n');
    expect(lines.some((l) => l.includes('round.completed'))).toBe(true);
    expect(lines.some((l) => l.includes('device authenticated'))).toBe(true);
    for (const id of deviceIds) {
      const key = Buffer.from(id, 'base64url');
      for (const form of [id, key.toString('hex'), key.toString('base64'), key.toString('base64').replace(/=+$/, ''), id.slice(0, 12)]) expect(text).not.toContain(form);
    }
    // A connection is named by a per-process counter only: no field that could follow a device across restarts.
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(entry)).not.toContain('device');
      expect(Object.keys(entry)).not.toContain('deviceId');
    }
  });
});
