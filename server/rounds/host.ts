// The contract between the WebSocket gateway (transport, authentication) and the round coordinator (protocol).
import type { ClientMessage, MaskedHeader, ServerWireMessage } from '../../shared/protocol/messages';

/** What the coordinator can do to one authenticated device connection. */
export interface DeviceChannel {
  deviceId: string;
  send(message: ServerWireMessage): void;
  /** Close the connection with a refusal (used for protocol violations severe enough to drop the device). */
  close(code: number, reason: string): void;
}

/** A round message after transport parsing: a JSON message or the binary masked vector. */
export type RoundMessage = Exclude<ClientMessage, { type: 'auth' } | { type: 'consent' }> | { type: 'masked'; header: MaskedHeader; vector: Uint32Array };

/**
 * The coordinator's side. The gateway calls these after authentication; `receive` throws a ProtocolError
 * to refuse a message (the gateway answers with a `refused` message and keeps the connection), and must
 * never throw anything else for bad input.
 */
export interface RoundHost {
  connected(channel: DeviceChannel, consent: { training: boolean }): void;
  consentChanged(deviceId: string, consent: { training: boolean }): void;
  receive(deviceId: string, message: RoundMessage): void;
  disconnected(deviceId: string): void;
}
