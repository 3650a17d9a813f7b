// Parsing at the edges: bytes or text in, a typed message out, or a ProtocolError saying what was wrong.
import type { z } from 'zod';
import { ProtocolError } from './errors';
import { clientMessageSchema, maskedHeaderSchema, serverMessageSchema, type ClientMessage, type MaskedHeader, type ServerMessage } from './messages';

/** Size limits applied before parsing. */
export interface ParseLimits {
  maxTextBytes: number;
}

function parseJson(text: string, limits: ParseLimits): unknown {
  if (text.length > limits.maxTextBytes) throw new ProtocolError('message.too_large', `message of ${text.length} bytes exceeds the limit of ${limits.maxTextBytes}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError('message.malformed', 'message is not valid JSON');
  }
}

function validate<T>(schema: z.ZodType<T>, raw: unknown): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ProtocolError('message.malformed', 'message must be a JSON object');
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const type = typeof (raw as { type?: unknown }).type === 'string' ? `'${String((raw as { type: string }).type).slice(0, 40)}' ` : '';
    const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
    // Malformed: the message's type is missing or unknown. Invalid: a known type with a bad or unknown field.
    const unknownType = (issue.code === 'invalid_union' && issue.path.length === 0) || issue.path[0] === 'type';
    const code = unknownType ? 'message.malformed' : 'message.invalid';
    throw new ProtocolError(code, `${type}message is invalid${where}: ${issue.message}`, issue.path.filter((p): p is string | number => typeof p !== 'symbol'));
  }
  return result.data;
}

/** Parse a device's text message (server side). */
export function parseClientMessage(text: string, limits: ParseLimits): ClientMessage {
  return validate(clientMessageSchema, parseJson(text, limits));
}

/** Parse a server's text message (device side). */
export function parseServerMessage(text: string, limits: ParseLimits): ServerMessage {
  return validate(serverMessageSchema, parseJson(text, limits));
}

/** Validate a masked-vector header (already JSON-decoded). */
export function parseMaskedHeader(raw: unknown): MaskedHeader {
  return validate(maskedHeaderSchema, raw);
}
