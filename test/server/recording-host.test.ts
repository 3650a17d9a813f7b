// The placeholder host records what it is handed as tags, types and sizes: never ids or vectors.
import { describe, expect, it } from 'vitest';
import { deviceTag } from '../../server/log/logger';
import { RecordingHost } from '../../server/recording-host';
import { newDevice, SESSION } from './helpers';

describe('RecordingHost', () => {
  it('records connections, consent and messages by device tag, and forgets channels on disconnect', () => {
    const host = new RecordingHost();
    const { deviceId } = newDevice();
    const channel = { deviceId, send: () => {}, close: () => {} };
    host.connected(channel, { training: false });
    host.consentChanged(deviceId, { training: true });
    host.receive(deviceId, { type: 'masked', header: { type: 'masked', sessionId: SESSION, round: 1, length: 3 }, vector: new Uint32Array(3) });
    expect(host.channels.get(deviceId)).toBe(channel);
    host.disconnected(deviceId);
    const tag = deviceTag(deviceId);
    expect(host.events).toEqual([
      { kind: 'connected', device: tag, training: false },
      { kind: 'consent', device: tag, training: true },
      { kind: 'message', device: tag, type: 'masked', words: 3 },
      { kind: 'disconnected', device: tag },
    ]);
    expect(host.channels.size).toBe(0);
    expect(JSON.stringify(host.events)).not.toContain(deviceId);
  });

  it('keeps a bounded number of events', () => {
    const host = new RecordingHost();
    const { deviceId } = newDevice();
    for (let n = 0; n < 1_500; n++) host.consentChanged(deviceId, { training: n % 2 === 0 });
    expect(host.events).toHaveLength(1_000);
  });
});
