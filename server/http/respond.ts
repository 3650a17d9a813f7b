// Sending a JSON answer only after its shared schema accepts it: a body the app would refuse is our bug, and is
// answered as one (a 500), not sent.
import type { Response } from 'express';
import type { z } from 'zod';

/** Validate `body` with `schema` and send it with the given Cache-Control; throws when the body does not conform. */
export function sendValidated<T>(res: Response, schema: z.ZodType<T>, body: T, cacheControl: string): void {
  const checked = schema.safeParse(body);
  if (!checked.success) throw new Error(`response does not match its schema: ${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}`);
  res.set('Cache-Control', cacheControl).json(checked.data);
}
