// Sending a JSON answer typed by its shared schema. Each edge parses what it receives (the server its requests,
// the app and devices its answers, the tests every answer), so the server does not re-parse its own output:
// the schema's inferred type checks the shape at compile time.
import type { Response } from 'express';
import type { z } from 'zod';

/** Send `body`, whose type is the schema's, with the given Cache-Control. */
export function sendJson<S extends z.ZodType>(res: Response, _schema: S, body: z.infer<S>, cacheControl: string): void {
  res.set('Cache-Control', cacheControl).json(body);
}
