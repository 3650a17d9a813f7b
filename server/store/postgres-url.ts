// PostgreSQL URLs as the operator sees them: which are accepted, the URL without its password for messages and
// logs, and a connection failure's cause in one line. No driver here: the configuration imports it.
/** Schemes the server accepts for --database. */
export const DATABASE_SCHEMES = ['postgres:', 'postgresql:'] as const;

/** Whether `raw` is a postgres:// or postgresql:// URL. */
export function isDatabaseUrl(raw: string): boolean {
  try {
    return (DATABASE_SCHEMES as readonly string[]).includes(new URL(raw).protocol);
  } catch {
    return false;
  }
}

/** The URL without its password (in the user part or as a `password` parameter), for messages and logs. */
export function redactDatabaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(an unparseable database URL)';
  }
  url.password = '';
  if (url.searchParams.has('password')) url.searchParams.delete('password');
  return url.toString();
}

/**
 * A connection failure's cause in one line. Node reports a refused connection to a name with several addresses
 * (localhost: ::1 and 127.0.0.1) as an AggregateError with an empty message; its parts say what happened.
 */
export function describeConnectionError(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: unknown[] };
  let text = typeof e?.message === 'string' ? e.message : String(err);
  if (text === '' && Array.isArray(e.errors) && e.errors.length > 0) text = e.errors.map((x) => (x as Error).message).join('; ');
  if (text === '' && typeof e?.code === 'string') text = e.code;
  return text.replace(/\s*\n\s*/g, '; ') || 'unknown error';
}
