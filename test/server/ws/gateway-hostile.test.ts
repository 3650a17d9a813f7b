// Hostile input over real WebSockets: every bad message is refused with its code, and everyone else carries on.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeMaskedFrame } from '../../../shared/protocol/binary-frame';
import { toBase64Url } from '../../../shared/protocol/encoding';
import { REFUSALS } from '../../../shared/protocol/errors';
import { createServer, type RunningServer } from '../../../server/server';
import { MemoryStore } from '../../../server/store/memory-store';
import { maskedFrameBytes, textMessageBytes } from '../../../server/ws/limits';
import { authMessage, capturedLogger, connectDevice, HostDouble, newDevice, refuseWith, SESSION, sodium, TestClient, type TestDevice } from '../helpers';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 }); // waits are on events: a hang is a bug, fail fast

const VECTOR_LENGTH = 2048; // masked frames (8 708 bytes) are the largest message: text has a tighter bound
const MAX_COHORT = 4;
const MAX_VIOLATIONS = 3;
const ID = 'A'.repeat(43);

let running: RunningServer;
const store = new MemoryStore();
const host = new HostDouble();
const { logger, lines } = capturedLogger();
let witness: { client: TestClient; device: TestDevice };
let witnessRound = 1000;

beforeAll(async () => {
  running = await createServer({ store, host, port: 0, sodium, logger, limits: { vectorLength: VECTOR_LENGTH, maxCohort: MAX_COHORT, maxViolations: MAX_VIOLATIONS } });
  const device = newDevice();
  witness = { client: (await connectDevice(running.wsUrl, device)).client, device };
});
afterAll(async () => {
  await witness.client.close();
  await running.close();
});

/** The witness, an honest device on its own connection, still gets its messages through. */
async function witnessStillWorks(): Promise<void> {
  const round = ++witnessRound;
  witness.client.send({ type: 'leave', sessionId: SESSION, round });
  await host.waitFor('receive', (c) => c.deviceId === witness.device.deviceId && c.message.type === 'leave' && c.message.round === round);
}

/** `client` is open and its device can still talk to the host. */
async function stillOpen(client: TestClient, device: TestDevice): Promise<void> {
  client.send({ type: 'leave', sessionId: SESSION, round: 77 });
  await host.waitFor('receive', (c) => c.deviceId === device.deviceId && c.message.type === 'leave' && c.message.round === 77);
}

async function challenged(): Promise<{ client: TestClient; challenge: { nonce: string; serverKey: string } }> {
  const client = await TestClient.open(running.wsUrl);
  return { client, challenge: (await client.next()) as unknown as { nonce: string; serverKey: string } };
}

describe('authentication failures close the connection with the table code', () => {
  it('a signature by another key: auth.bad_signature', async () => {
    const { client, challenge } = await challenged();
    const forged = { ...authMessage(newDevice(), challenge), deviceId: newDevice().deviceId };
    client.send(forged);
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.bad_signature', path: ['signature'] });
    expect(await client.closed).toEqual({ code: REFUSALS['auth.bad_signature'].ws, reason: 'auth.bad_signature' });
    await witnessStillWorks();
  });

  it('an auth message replayed on another connection fails: its nonce was that connection\'s', async () => {
    const device = newDevice();
    const first = await challenged();
    const captured = authMessage(device, first.challenge);
    first.client.send(captured);
    expect((await first.client.next()).type).toBe('welcome');
    const second = await challenged();
    second.client.send(captured);
    expect(await second.client.next()).toMatchObject({ type: 'refused', code: 'auth.bad_signature' });
    expect((await second.client.closed).code).toBe(1008);
    await stillOpen(first.client, device);
    await first.client.close();
  });

  it('a second auth on an authenticated connection: auth.replayed, and the connection stays', async () => {
    const device = newDevice();
    const { client, challenge } = await challenged();
    client.send(authMessage(device, challenge));
    expect((await client.next()).type).toBe('welcome');
    client.send(authMessage(device, challenge));
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.replayed' });
    await stillOpen(client, device);
    await client.close();
  });

  it('register:false for an unknown key: auth.unknown_device, and nothing is registered', async () => {
    const device = newDevice();
    const { client, challenge } = await challenged();
    client.send(authMessage(device, challenge, false));
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.unknown_device' });
    expect((await client.closed).code).toBe(REFUSALS['auth.unknown_device'].ws);
    expect(await store.getDevice(device.deviceId)).toBeUndefined();
    await witnessStillWorks();
  });

  it('a signature over a different server key (a relayed challenge) fails', async () => {
    const device = newDevice();
    const { client, challenge } = await challenged();
    client.send(authMessage(device, { ...challenge, serverKey: toBase64Url(new Uint8Array(32).fill(1)) }));
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.bad_signature' });
    await client.closed;
  });

  it('a non-canonical spelling of a device id is refused, so one key cannot pose as several devices', async () => {
    const device = newDevice();
    await (await connectDevice(running.wsUrl, device)).client.close();
    const last = device.deviceId.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const alias = device.deviceId.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]; // flips a padding bit only
    const { client, challenge } = await challenged();
    client.send(authMessage({ ...device, deviceId: alias }, challenge));
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'message.invalid', path: ['deviceId'] });
    expect(host.calls.filter((c) => c.kind === 'connected' && c.deviceId === alias)).toEqual([]);
    await client.close();
  });
});

describe('before authentication', () => {
  it('a round message is refused with auth.required; the connection may still authenticate', async () => {
    const device = newDevice();
    const { client, challenge } = await challenged();
    client.send({ type: 'consent', training: true });
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.required' });
    client.send({ type: 'leave', sessionId: SESSION, round: 1 });
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.required' });
    client.send(authMessage(device, challenge));
    expect(await client.next()).toMatchObject({ type: 'welcome', deviceId: device.deviceId });
    expect(host.calls.some((c) => c.kind === 'consent' && c.deviceId === device.deviceId)).toBe(false);
    await client.close();
  });

  it('a binary frame is refused with auth.required without being decoded', async () => {
    const { client } = await challenged();
    client.sendBinary(encodeMaskedFrame({ type: 'masked', sessionId: SESSION, round: 1, length: 2 }, new Uint32Array(2)));
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'auth.required' });
    await client.close();
    await witnessStillWorks();
  });
});

/** A binary frame with a raw header text and `words` zero words. */
function frameWithHeader(header: string, words: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(4 + json.length + 4 * words);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  return out;
}

const leave = (extra: string) => `{"type":"leave","sessionId":"${SESSION}","round":1${extra}}`;
const key43 = 'A'.repeat(43);
const TEXT_CASES: { label: string; text: string; code: string; path: (string | number)[] | undefined }[] = (
  [
  ['garbage', 'hello there', 'message.malformed', undefined],
  ['empty text', '', 'message.malformed', undefined],
  ['a JSON array', '[1,2,3]', 'message.malformed', undefined],
  ['JSON null', 'null', 'message.malformed', undefined],
  ['an unknown type', '{"type":"admin","grant":true}', 'message.malformed', ['type']],
  ['no type', '{"training":true}', 'message.malformed', ['type']],
  ['an unknown field', '{"type":"consent","training":true,"extra":1}', 'message.invalid', []],
  ['a __proto__ key', '{"type":"consent","training":true,"__proto__":{"isAdmin":true}}', 'message.invalid', []],
  ['constructor.prototype', '{"type":"consent","training":true,"constructor":{"prototype":{"x":1}}}', 'message.invalid', []],
  ['a nested __proto__ key', `{"type":"shares","sessionId":"${SESSION}","round":1,"shares":[{"to":"${ID}","ciphertext":"AAAA","__proto__":{}}]}`, 'message.invalid', ['shares', 0]],
  ['a 31-byte key field', `{"type":"advertise","sessionId":"${SESSION}","round":1,"encKey":"${'A'.repeat(42)}","maskKey":"${key43}","seedCommitment":"${key43}","signature":"${'A'.repeat(86)}"}`, 'message.invalid', ['encKey']],
  ['a 33-byte key field', `{"type":"advertise","sessionId":"${SESSION}","round":1,"encKey":"${key43}","maskKey":"${'A'.repeat(44)}","seedCommitment":"${key43}","signature":"${'A'.repeat(86)}"}`, 'message.invalid', ['maskKey']],
  ['a short signature', `{"type":"confirm","sessionId":"${SESSION}","round":1,"signature":"${'A'.repeat(85)}"}`, 'message.invalid', ['signature']],
  ['round "NaN"', `{"type":"leave","sessionId":"${SESSION}","round":"NaN"}`, 'message.invalid', ['round']],
  ['round NaN (not JSON)', `{"type":"leave","sessionId":"${SESSION}","round":NaN}`, 'message.malformed', undefined],
  ['round 1e400 (Infinity)', `{"type":"leave","sessionId":"${SESSION}","round":1e400}`, 'message.invalid', ['round']],
  ['round -0', `{"type":"leave","sessionId":"${SESSION}","round":-0}`, 'message.invalid', ['round']],
  ['round 1.5', `{"type":"leave","sessionId":"${SESSION}","round":1.5}`, 'message.invalid', ['round']],
  ['a negative round', `{"type":"leave","sessionId":"${SESSION}","round":-3}`, 'message.invalid', ['round']],
  ['a bad session id', '{"type":"leave","sessionId":"short","round":1}', 'message.invalid', ['sessionId']],
  ['training "true"', '{"type":"consent","training":"true"}', 'message.invalid', ['training']],
  ['deeply nested JSON in a field', `{"type":"consent","training":${'['.repeat(1500)}${']'.repeat(1500)}}`, 'message.invalid', ['training']],
  ['deeply nested JSON at the top', `${'['.repeat(2000)}${']'.repeat(2000)}`, 'message.malformed', undefined],
  ['a trailing field after a valid message', leave(',"x":1'), 'message.invalid', []],
  ] as const
).map(([label, text, code, path]) => ({ label, text, code, path: path as (string | number)[] | undefined }));

describe('bad messages on an authenticated connection are refused, and the connection goes on', () => {
  it.each(TEXT_CASES)('$label → $code', async ({ text, code, path }) => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    client.send(text);
    const refused = await client.next();
    expect(refused).toMatchObject({ type: 'refused', code });
    expect(refused.path).toEqual(path);
    expect(typeof refused.message).toBe('string');
    await stillOpen(client, device);
    await client.close();
  });

  const good = encodeMaskedFrame({ type: 'masked', sessionId: SESSION, round: 1, length: 8 }, new Uint32Array(8));
  it.each([
    { label: 'shorter than its length prefix', bytes: new Uint8Array([1, 2]), code: 'message.malformed' },
    { label: 'a header that is not JSON', bytes: Uint8Array.from([4, 0, 0, 0, 0x7b, 0x7b, 0x7b, 0x7b]), code: 'message.malformed' },
    { label: 'a header length past the end', bytes: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), code: 'message.malformed' },
    { label: 'a header with an unknown field', bytes: frameWithHeader('{"type":"masked","sessionId":"' + SESSION + '","round":1,"length":1,"x":1}', 1), code: 'message.invalid' },
    { label: 'a vector one word short', bytes: good.subarray(0, good.length - 4), code: 'vector.bad_length' },
    { label: 'a vector one word long', bytes: Uint8Array.from([...good, 0, 0, 0, 0]), code: 'vector.bad_length' },
  ])('a binary frame with $label → $code, and a good frame still goes through', async ({ bytes, code }) => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    client.sendBinary(bytes);
    expect(await client.next()).toMatchObject({ type: 'refused', code });
    client.sendBinary(good);
    await host.waitFor('receive', (c) => c.deviceId === device.deviceId && c.message.type === 'masked');
    await client.close();
  });

  it('a text message above the text limit (but under maxPayload) is refused as message.too_large', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    const size = textMessageBytes(MAX_COHORT) + 100;
    expect(size).toBeLessThan(running.maxPayload);
    client.send(`{"type":"consent","training":true,"pad":"${'x'.repeat(size)}"}`);
    expect(await client.next()).toMatchObject({ type: 'refused', code: 'message.too_large' });
    await stillOpen(client, device);
    await client.close();
  });

  it('a frame above maxPayload is cut off by ws with 1009 (message.too_large\'s close code)', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    expect(running.maxPayload).toBe(maskedFrameBytes(VECTOR_LENGTH));
    client.sendBinary(new Uint8Array(running.maxPayload + 1));
    expect((await client.closed).code).toBe(REFUSALS['message.too_large'].ws);
    await witnessStillWorks();
  });

  it('invalid UTF-8 in a text frame closes with 1007 (ws default)', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    client.sendRawText(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect((await client.closed).code).toBe(1007);
    await witnessStillWorks();
  });

  it(`more than ${MAX_VIOLATIONS} refusals close the connection with the last refusal's code`, async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    for (let n = 0; n <= MAX_VIOLATIONS; n++) {
      client.send('not json');
      expect(await client.next()).toMatchObject({ type: 'refused', code: 'message.malformed' });
    }
    expect(await client.closed).toEqual({ code: REFUSALS['message.malformed'].ws, reason: 'message.malformed' });
    await witnessStillWorks();
  });
});

describe('the coordinator refusing or failing', () => {
  it('a ProtocolError from host.receive becomes a refused message and does not count as a violation', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    host.onReceive = (id, m) => {
      if (id === device.deviceId && m.type === 'leave' && m.round === 5) refuseWith('stage.late')();
    };
    try {
      for (let n = 0; n < MAX_VIOLATIONS + 3; n++) {
        client.send({ type: 'leave', sessionId: SESSION, round: 5 });
        expect(await client.next()).toEqual({ type: 'refused', code: 'stage.late', message: 'refused by the test host: stage.late' });
      }
      await stillOpen(client, device);
    } finally {
      host.onReceive = () => {};
    }
    await client.close();
  });

  it('any other error from the host is answered with server.error, without internals, and logged', async () => {
    const device = newDevice();
    const { client } = await connectDevice(running.wsUrl, device);
    host.onReceive = (id) => {
      if (id === device.deviceId) throw new TypeError('secret internal detail at /srv/coordinator.ts:42');
    };
    try {
      client.send({ type: 'leave', sessionId: SESSION, round: 6 });
      const refused = await client.next();
      expect(refused).toEqual({ type: 'refused', code: 'server.error', message: REFUSALS['server.error'].text });
    } finally {
      host.onReceive = () => {};
    }
    await stillOpen(client, device);
    expect(lines.some((l) => l.includes('secret internal detail'))).toBe(true);
    await client.close();
  });
});

describe('logs', () => {
  it('never contain a device id in full', () => {
    const ids = [witness.device.deviceId, ...host.calls.map((c) => c.deviceId)];
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(10);
    for (const id of new Set(ids)) expect(all).not.toContain(id);
  });
});
