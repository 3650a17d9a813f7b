// Structured logs (pino) that hold no device identifier, key, stable per-device tag, item history, model or update.
//
// A connection is named by a per-process counter (`conn`), which means nothing after a restart and cannot be
// joined with anything a device sends. A device-id field that slips into a log call anyway is replaced by a
// fixed word (redaction as a second line of defence, not the first). Callers log sizes and counts, never bytes.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

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
        paths: ['deviceId', '*.deviceId', 'device_id', '*.device_id', 'device', '*.device', 'history', '*.history'],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
