// HTTP errors as RFC 9457 problem details, from one table and one mapping function.
//
// Codes shared with the WebSocket protocol (message.*, server.error) come from the REFUSALS table so
// each keeps one status everywhere; the few that exist only over HTTP are listed here.
import type { Response } from 'express';
import { REFUSALS, type RefusalCode } from '../../shared/protocol/errors';

/** Problems that only HTTP has (a route, a query string, the model not being there yet). */
export const HTTP_PROBLEMS = {
  'route.not_found': { http: 404, text: 'no such resource' },
  'route.method_not_allowed': { http: 405, text: 'the resource does not support that method' },
  'query.invalid': { http: 400, text: 'a query parameter is missing, malformed or out of range' },
  'model.unavailable': { http: 503, text: 'no model has been published yet' },
  'item.not_found': { http: 404, text: 'the catalogue has no such item' },
} as const;

export type ProblemCode = keyof typeof HTTP_PROBLEMS | RefusalCode;

/** An RFC 9457 problem document, plus our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
}

function entry(code: ProblemCode): { http: number; text: string } {
  return code in HTTP_PROBLEMS ? HTTP_PROBLEMS[code as keyof typeof HTTP_PROBLEMS] : REFUSALS[code as RefusalCode];
}

/** An error a route throws to answer with a problem; `detail` must be safe to show to anyone. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** The problem document for a code. */
export function problem(code: ProblemCode, detail?: string): Problem {
  const { http, text } = entry(code);
  return { type: `urn:confidant:problem:${code}`, title: text, status: http, detail: detail ?? text, code };
}

/** body-parser's error types, mapped to our codes (everything else it raises is a malformed request). */
const BODY_ERRORS: Record<string, ProblemCode> = {
  'entity.too.large': 'message.too_large',
  'entity.parse.failed': 'message.malformed',
};

/**
 * The one mapping from anything thrown in a route to a problem. `internal` is true when the error
 * is ours (a bug or an outage): the caller logs it, and the client sees only the generic text.
 */
export function toProblem(err: unknown): { problem: Problem; headers: Record<string, string>; internal: boolean } {
  if (err instanceof HttpProblem) return { problem: problem(err.code, err.detail), headers: err.headers, internal: false };
  const e = err as { type?: unknown; status?: unknown; expose?: unknown } | null;
  if (e && typeof e.type === 'string' && e.type in BODY_ERRORS) return { problem: problem(BODY_ERRORS[e.type]!), headers: {}, internal: false };
  // http-errors from express and body-parser (bad encodings, aborted bodies, undecodable paths): a client error.
  if (e && e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { problem: problem('message.malformed'), headers: {}, internal: false };
  }
  return { problem: problem('server.error'), headers: {}, internal: true };
}

/** Send a problem document. */
export function sendProblem(res: Response, p: Problem, headers: Record<string, string> = {}): void {
  res.status(p.status).set(headers).set('Cache-Control', 'no-store').type('application/problem+json').send(JSON.stringify(p));
}
