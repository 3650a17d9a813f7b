// Structured logs (pino) that never hold a device id in full, nor model or update content.
//
// Device ids are logged as `device`: a short hash, enough to follow one device through the logs but
// not its key. A `deviceId` field that slips into a log call anyway is replaced by the same hash
// (redaction as a second line of defence, not the first). Callers log sizes and counts, never bytes.
import { createHash } from 'node:crypto';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** A 12-hex-character tag for a device id: stable across logs, not the id itself. */
export function deviceTag(deviceId: string): string {
  return createHash('sha256').update('confidant/log-tag/v1\0').update(deviceId).digest('hex').slice(0, 12);
}

/** Options of createLogger. */
export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/** The server's logger (see the file comment). */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'confidant' },
      redact: {
        paths: ['deviceId', '*.deviceId', 'device_id', '*.device_id'],
        censor: (value) => (typeof value === 'string' ? deviceTag(value) : '[redacted]'),
      },
    },
    options.destination,
  );
}
