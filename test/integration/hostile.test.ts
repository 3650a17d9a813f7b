// Hostile input during a live round over real WebSockets: each kind of bad message is refused with its code,
// and the round still completes for every honest device (threat model, "Network input" and cases 1–12).
import { NO_SYBILS, TEST_FLOORS } from '../conformance/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import _sodium from 'libsodium-wrappers';
import { initBackend } from '../../models/backend';
import { createServer, type RunningServer } from '../../server/server';
import { SqliteStore } from '../../server/store/sqlite-store';
import { initialiseWith } from '../../server/training/initial-model';
import { END_OF_ROUND_DEFAULTS } from '../../models/federated/end-of-round';
import { createCoordinator, type Coordinator } from '../../server/rounds/coordinator';
import { memorySpentModels } from '../../client/rounds/spent-models';
import { createParticipant, type Participant } from '../../client/rounds/participant';
import { connectDevice, type DeviceConnection, type SocketLike } from '../../client/rounds/connection';
import { createUpdateComputer } from '../../client/rounds/model-update';
import { generateSigningKeyPair, sign, type SigningKeyPair } from '../../shared/secagg/sign';
import { advertisementPayload, settingsDigest } from '../../shared/secagg/transcript';
import type { Sodium } from '../../shared/secagg/sodium';
import { authPayload } from '../../shared/protocol/auth';
import { encodeMaskedFrame } from '../../shared/protocol/binary-frame';
import { PROTOCOL_VERSION, type ServerMessage } from '../../shared/protocol/messages';
import { initialTable } from '../../models/mf/model';
import { buildHistories } from '../../models/mf/histories';
import { generateSynthetic } from '../../bench/datasets';
import { createRng } from '../../shared/math/random';

let sodium: Sodium;
let server: RunningServer;
let store: SqliteStore;
let coordinator: Coordinator;
const b64 = (x: Uint8Array) => sodium.to_base64(x, sodium.base64_variants.URLSAFE_NO_PADDING);
const fromB64 = (x: string) => sodium.from_base64(x, sodium.base64_variants.URLSAFE_NO_PADDING);
const waiters: (() => void)[] = [];

/** A raw socket that records what the server says, with a way to await the next refusal or the close. */
class RawClient {
  readonly ws: WebSocket;
  readonly inbox: Record<string, unknown>[] = [];
  closed: { code: number; reason: string } | undefined;
  private wake: (() => void)[] = [];
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) this.inbox.push(JSON.parse(data.toString()) as Record<string, unknown>);
      this.wake.splice(0).forEach((w) => w());
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake.splice(0).forEach((w) => w());
    });
  }
  /** Wait until a message matching `pred` arrives (or the socket closes); returns it, or undefined on close. */
  next(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const at = this.inbox.findIndex(pred);
        if (at >= 0) resolve(this.inbox.splice(at, 1)[0]);
        else if (this.closed) resolve(undefined);
        else this.wake.push(check);
      };
      check();
    });
  }
  async challenge(): Promise<{ nonce: Uint8Array; serverKey: Uint8Array }> {
    const c = await this.next((m) => m.type === 'challenge');
    const v = sodium.base64_variants.URLSAFE_NO_PADDING;
    return { nonce: sodium.from_base64(c!.nonce as string, v), serverKey: sodium.from_base64(c!.serverKey as string, v) };
  }
  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }
  refusal(): Promise<Record<string, unknown> | undefined> {
    return this.next((m) => m.type === 'refused');
  }
}

async function authenticated(identity: SigningKeyPair): Promise<RawClient> {
  const c = new RawClient(server.wsUrl);
  const { nonce, serverKey } = await c.challenge();
  const deviceId = b64(identity.publicKey);
  c.send(JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, deviceId, register: true, signature: b64(sign(sodium, identity.privateKey, authPayload(serverKey, nonce, deviceId))) }));
  await c.next((m) => m.type === 'welcome');
  return c;
}

beforeAll(async () => {
  await initBackend();
  await _sodium.ready;
  sodium = _sodium;
  const dir = await mkdtemp(path.join(tmpdir(), 'confidant-hostile-'));
  store = await SqliteStore.open(path.join(dir, 'state.db'));
  await initialiseWith(store, [{ params: { kind: 'implicit', lambda: 5, alpha: 5, valueScale: 5 }, table: initialTable(30, 3, 0.1, createRng(1).normal) }], Date.now());
  coordinator = createCoordinator({
    store,
    sodium,
    samplingKey: new Uint8Array(32).fill(7),
    settings: { samplingRate: 1, graph: 'complete', clipNorm: 100, localEpochs: 1, endOfRound: END_OF_ROUND_DEFAULTS, stageTimeoutMs: 10_000, minCohort: 3, safety: NO_SYBILS },
    log: () => waiters.splice(0).forEach((w) => w()),
  });
  // Refusals must not close the hostile connections before every case has run.
  server = await createServer({ store, host: coordinator, port: 0, sodium, limits: { maxViolations: 1000, rateBurst: 1000, ratePerSecond: 1000 } });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
});

type Case = { name: string; data: string | Uint8Array; code: string };

describe('hostile input over real WebSockets', () => {
  it('refuses every kind of bad message with its code while a round completes for the honest devices', async () => {
    const histories = buildHistories(generateSynthetic({ users: 8, items: 30, categories: 3, dim: 3, meanInteractions: 8, seed: 4 }).data).byUser;
    const seen: { name: string; got: unknown; want: string }[] = [];
    const refusedBy = async (name: string, client: RawClient, data: string | Uint8Array, want: string) => {
      client.send(data);
      const r = await client.refusal();
      seen.push({ name, got: r?.code ?? `closed ${client.closed?.code}`, want });
    };

    // Strangers that never authenticate.
    const strangerCases: Case[] = [
      { name: 'garbage text', data: 'hello', code: 'message.malformed' },
      { name: 'a JSON array', data: '[1,2,3]', code: 'message.malformed' },
      { name: 'a round message before auth', data: JSON.stringify({ type: 'consent', training: true }), code: 'auth.required' },
      { name: 'a binary frame before auth', data: new Uint8Array([1, 2, 3, 4]), code: 'auth.required' },
      { name: 'auth of an unknown device without register', data: '', code: 'auth.unknown_device' },
      { name: 'auth with a forged signature', data: '', code: 'auth.bad_signature' },
      { name: 'auth with a non-canonical device id', data: '', code: 'message.invalid' },
      { name: 'auth replayed from another connection', data: '', code: 'auth.bad_signature' },
      // The identity point as an Ed25519 key (small order): (R = identity, S = 0) satisfies [S]B = R + [h]A for it, so
      // the key must be refused as such (libsodium's verify rejects small-order keys), or anyone could "sign" as it.
      { name: 'auth with a small-order Ed25519 key and a signature that satisfies the equation for it', data: '', code: 'auth.bad_signature' },
    ];
    const victim = generateSigningKeyPair(sodium);
    let replayed = '';
    for (const c of strangerCases) {
      const client = new RawClient(server.wsUrl);
      const { nonce, serverKey } = await client.challenge();
      let data = c.data;
      const id = b64(victim.publicKey);
      if (c.name.startsWith('auth of an unknown')) data = JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, deviceId: id, register: false, signature: b64(sign(sodium, victim.privateKey, authPayload(serverKey, nonce, id))) });
      if (c.name.startsWith('auth with a forged')) data = JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, deviceId: id, register: true, signature: b64(sign(sodium, generateSigningKeyPair(sodium).privateKey, authPayload(serverKey, nonce, id))) });
      if (c.name.startsWith('auth with a non-canonical')) data = JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, deviceId: `${id.slice(0, 42)}B`, register: true, signature: b64(new Uint8Array(64)) });
      if (c.name.startsWith('auth replayed')) data = replayed;
      if (c.name.startsWith('auth with a small-order')) {
        const identityPoint = new Uint8Array(32);
        identityPoint[0] = 1;
        const signature = new Uint8Array(64);
        signature[0] = 1; // R = the identity point's encoding, S = 0
        data = JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, deviceId: b64(identityPoint), register: true, signature: b64(signature) });
      }
      if (!replayed) replayed = JSON.stringify({ type: 'auth', v: PROTOCOL_VERSION, deviceId: id, register: true, signature: b64(sign(sodium, victim.privateKey, authPayload(serverKey, nonce, id))) });
      await refusedBy(`stranger: ${c.name}`, client, data, c.code);
      client.ws.close();
    }

    // An enrolled device whose owner does not allow training: it is never in a cohort.
    const outsider = await authenticated(generateSigningKeyPair(sodium));
    const outsiderCases: Case[] = [
      { name: 'unknown message type', data: JSON.stringify({ type: 'steal', what: 'everything' }), code: 'message.malformed' },
      { name: 'unknown field', data: JSON.stringify({ type: 'consent', training: false, admin: true }), code: 'message.invalid' },
      { name: '__proto__ key', data: '{"type":"consent","training":false,"__proto__":{"admin":true}}', code: 'message.invalid' },
      { name: 'constructor.prototype key', data: '{"type":"consent","training":false,"constructor":{"prototype":{"admin":true}}}', code: 'message.invalid' },
      { name: 'deeply nested JSON', data: `{"type":"consent","training":${'['.repeat(5000)}${']'.repeat(5000)}}`, code: 'message.invalid' },
      { name: 'consent that is not a boolean', data: JSON.stringify({ type: 'consent', training: 'yes' }), code: 'message.invalid' },
      { name: 'NaN round written as a string', data: JSON.stringify({ type: 'leave', sessionId: 'A'.repeat(22), round: 'NaN' }), code: 'message.invalid' },
      { name: 'negative round', data: JSON.stringify({ type: 'leave', sessionId: 'A'.repeat(22), round: -1 }), code: 'message.invalid' },
      { name: 'fractional round', data: JSON.stringify({ type: 'leave', sessionId: 'A'.repeat(22), round: 1.5 }), code: 'message.invalid' },
      { name: 'round beyond the safe integers', data: '{"type":"leave","sessionId":"AAAAAAAAAAAAAAAAAAAAAA","round":1e400}', code: 'message.invalid' },
      { name: 'a key of the wrong length', data: JSON.stringify({ type: 'advertise', sessionId: 'A'.repeat(22), round: 1, encKey: b64(new Uint8Array(31)), maskKey: b64(new Uint8Array(32)), seedCommitment: b64(new Uint8Array(32)), signature: b64(new Uint8Array(64)) }), code: 'message.invalid' },
      { name: 'a round message with no round open', data: JSON.stringify({ type: 'leave', sessionId: 'A'.repeat(22), round: 1 }), code: 'round.unknown' },
      { name: 'a binary frame with a bad header length', data: new Uint8Array([255, 255, 255, 255, 0]), code: 'message.malformed' },
      { name: 'a binary frame whose header is not JSON', data: Uint8Array.from([3, 0, 0, 0, 120, 121, 122]), code: 'message.malformed' },
      { name: 'a masked vector shorter than its header says', data: (() => { const f = encodeMaskedFrame({ type: 'masked', sessionId: 'A'.repeat(22), round: 1, length: 4 }, new Uint32Array(4)); return f.subarray(0, f.length - 4); })(), code: 'vector.bad_length' },
    ];
    for (const c of outsiderCases) await refusedBy(`outsider: ${c.name}`, outsider, c.data, c.code);

    // Honest devices, one of which (the member) also sends hostile messages inside the live round.
    const honest: DeviceConnection[] = [];
    const memberRefusals: string[] = [];
    let advertisement: Record<string, unknown> | undefined;
    const memberCases = (ref: { sessionId: string; round: number }): Case[] => [
      { name: 'advertise again after its stage closed', data: JSON.stringify(advertisement), code: 'stage.duplicate' },
      { name: 'confirm during the shares stage', data: JSON.stringify({ type: 'confirm', ...ref, signature: b64(new Uint8Array(64)) }), code: 'stage.out_of_order' },
      { name: 'unmask during the shares stage', data: JSON.stringify({ type: 'unmask', ...ref, selfSeedShares: [], maskKeyShares: [] }), code: 'stage.out_of_order' },
      { name: 'masked vector during the shares stage', data: encodeMaskedFrame({ type: 'masked', ...ref, length: 4 }, new Uint32Array(4)), code: 'stage.out_of_order' },
      { name: 'shares replayed into another round number', data: JSON.stringify({ type: 'shares', sessionId: ref.sessionId, round: ref.round + 7, shares: [] }), code: 'round.unknown' },
      { name: 'shares for another session', data: JSON.stringify({ type: 'shares', sessionId: 'B'.repeat(22), round: ref.round, shares: [] }), code: 'round.unknown' },
      { name: 'shares for no neighbours', data: JSON.stringify({ type: 'shares', ...ref, shares: [] }), code: 'share.not_neighbour' },
    ];
    let expectedMember: Case[] = [];
    const outsiderInRound: Promise<void>[] = [];
    const start = async (k: number, member: boolean) => {
      const identity = generateSigningKeyPair(sodium);
      const base = createParticipant({ sodium, identity, spent: memorySpentModels(), floors: TEST_FLOORS, computeUpdate: createUpdateComputer({ baseUrl: server.url, fetch, history: () => histories[k]! }) });
      const participant: Participant = member
        ? {
            deviceId: base.deviceId,
            get lastAbort() {
              return base.lastAbort;
            },
            async handle(m) {
              const out = await base.handle(m);
              if (m.type === 'invite' && out[0]?.kind === 'json') advertisement = out[0].message as unknown as Record<string, unknown>;
              if (m.type !== 'seed') return out; // the seed message opens the shares stage
              const ref = { sessionId: m.sessionId, round: m.round };
              expectedMember = memberCases(ref);
              outsiderInRound.push(
                refusedBy('outsider in round: advertises', outsider, JSON.stringify({ ...advertisement, type: 'advertise' }), 'round.not_member'),
                refusedBy('outsider in round: sends shares', outsider, JSON.stringify({ type: 'shares', ...ref, shares: [] }), 'round.not_member'),
              );
              // Hostile first, then the honest reply: the round must still take the honest one.
              const hostile = expectedMember.map((c) => (typeof c.data === 'string' ? { kind: 'json' as const, message: JSON.parse(c.data) } : { kind: 'binary' as const, bytes: c.data }));
              return [...hostile, ...out];
            },
          }
        : base;
      honest.push(
        await connectDevice({
          url: server.wsUrl,
          createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
          sodium,
          identity,
          register: true,
          training: true,
          participant,
          onMessage: (m: ServerMessage) => m.type === 'refused' && memberRefusals.push(m.code),
        }),
      );
    };
    for (let k = 0; k < 6; k++) await start(k, k === 5);
    await new Promise<void>((resolve) => {
      const check = () => (coordinator.eligibleDevices() === 6 ? resolve() : waiters.push(check));
      check();
    });
    const result = await coordinator.runRound();
    await Promise.all(outsiderInRound);
    expect(result).toMatchObject({ status: 'completed', contributors: 6 });
    for (const c of honest) c.close();
    await Promise.all(honest.map((c) => c.closed));

    expect(memberRefusals).toEqual(expectedMember.map((c) => c.code));
    expect(seen.filter((s) => s.got !== s.want)).toEqual([]);
    const kinds = seen.length + expectedMember.length;
    expect(kinds).toBeGreaterThanOrEqual(30);
  });

  it('drops a member whose advertised key is of small order (refused with key.invalid), and completes the round for the others', async () => {
    const histories = buildHistories(generateSynthetic({ users: 5, items: 30, categories: 3, dim: 3, meanInteractions: 8, seed: 9 }).data).byUser;
    const devices: DeviceConnection[] = [];
    const badRefusals: string[] = [];
    for (let k = 0; k < 5; k++) {
      const identity = generateSigningKeyPair(sodium);
      const base = createParticipant({ sodium, identity, spent: memorySpentModels(), floors: TEST_FLOORS, computeUpdate: createUpdateComputer({ baseUrl: server.url, fetch, history: () => histories[k]! }) });
      // Device 0 advertises, validly signed over the round's settings, an encryption key of small order (u = 1).
      const participant: Participant =
        k === 0
          ? {
              deviceId: base.deviceId,
              get lastAbort() {
                return base.lastAbort;
              },
              async handle(m) {
                const out = await base.handle(m);
                if (m.type !== 'invite' || out[0]?.kind !== 'json' || out[0].message.type !== 'advertise') return out;
                const ad = out[0].message;
                const lowOrder = new Uint8Array(32);
                lowOrder[0] = 1;
                const binding = { sessionId: m.sessionId, round: m.round, modelHash: m.modelHash };
                const settings = settingsDigest(sodium, binding, { shard: m.shard, modelVersion: m.modelVersion, purpose: m.purpose, config: m.config, cohort: m.cohort });
                const fields = { deviceId: base.deviceId, encKey: lowOrder, maskKey: fromB64(ad.maskKey), seedCommitment: fromB64(ad.seedCommitment), graphCommitment: fromB64(ad.graphCommitment) };
                const signature = sign(sodium, identity.privateKey, advertisementPayload(binding, settings, fields));
                return [{ kind: 'json', message: { ...ad, encKey: b64(lowOrder), signature: b64(signature) } }];
              },
            }
          : base;
      devices.push(
        await connectDevice({
          url: server.wsUrl,
          createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
          sodium,
          identity,
          register: true,
          training: true,
          participant,
          ...(k === 0 && { onMessage: (m: ServerMessage) => m.type === 'refused' && badRefusals.push(m.code) }),
        }),
      );
    }
    await new Promise<void>((resolve) => {
      const check = () => (coordinator.eligibleDevices() === 5 ? resolve() : waiters.push(check));
      check();
    });
    const result = await coordinator.runRound();
    expect(result).toMatchObject({ status: 'completed', contributors: 4 });
    expect(badRefusals[0]).toBe('key.invalid');
    for (const c of devices) c.close();
    await Promise.all(devices.map((c) => c.closed));
  });

  it('closes a connection whose frame exceeds the payload limit, and keeps serving others', async () => {
    const client = new RawClient(server.wsUrl);
    await client.challenge();
    client.send('x'.repeat(server.maxPayload + 1));
    await client.next(() => false);
    expect(client.closed?.code).toBe(1009);
    const ok = await fetch(`${server.url}/v1/health`);
    expect(ok.status).toBe(200);
  });
});
