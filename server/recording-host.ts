// A RoundHost that runs no rounds: it only records what the gateway hands it (until the coordinator is plugged in).
import { deviceTag, type Logger } from './log/logger';
import type { DeviceChannel, RoundHost, RoundMessage } from './rounds/host';

/** One thing the gateway told the host; device ids as log tags, messages as type and size only. */
export type HostEvent =
  | { kind: 'connected'; device: string; training: boolean }
  | { kind: 'consent'; device: string; training: boolean }
  | { kind: 'message'; device: string; type: RoundMessage['type']; words?: number }
  | { kind: 'disconnected'; device: string };

/** Events kept: a bounded ring, so a long-running server does not grow without end. */
const KEEP = 1_000;

/** The placeholder host of `npm start` (see the file comment). */
export class RecordingHost implements RoundHost {
  readonly events: HostEvent[] = [];
  readonly channels = new Map<string, DeviceChannel>();

  constructor(private readonly logger?: Logger) {}

  private record(event: HostEvent): void {
    this.events.push(event);
    if (this.events.length > KEEP) this.events.shift();
    this.logger?.debug(event, 'host event');
  }

  connected(channel: DeviceChannel, consent: { training: boolean }): void {
    this.channels.set(channel.deviceId, channel);
    this.record({ kind: 'connected', device: deviceTag(channel.deviceId), training: consent.training });
  }

  consentChanged(deviceId: string, consent: { training: boolean }): void {
    this.record({ kind: 'consent', device: deviceTag(deviceId), training: consent.training });
  }

  receive(deviceId: string, message: RoundMessage): void {
    this.record({ kind: 'message', device: deviceTag(deviceId), type: message.type, ...(message.type === 'masked' ? { words: message.vector.length } : {}) });
  }

  disconnected(deviceId: string): void {
    this.channels.delete(deviceId);
    this.record({ kind: 'disconnected', device: deviceTag(deviceId) });
  }
}
