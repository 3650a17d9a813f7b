// The device's HTTP client: JSON answers parsed with the protocol's schemas, problem details turned into errors,
// a 429 waited out as its Retry-After says, and a server that cannot be reached reported as offline.
import type { z } from 'zod';

/** The server could not be reached (down, or no network): the device works offline from what it has. */
export class OfflineError extends Error {
  override name = 'OfflineError';
}

/** The server answered with an error (problem details: a stable code and a detail safe to show). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** The server answered, but not with what the protocol promises. */
export class ProtocolMismatchError extends Error {
  override name = 'ProtocolMismatchError';
}

/** Options of the client. */
export interface ApiOptions {
  /** Base URL (e.g. http://127.0.0.1:8080); '' for the page's own origin. */
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** Wait for `ms` (a rate-limited request is retried after it). */
  wait?: (ms: number) => Promise<void>;
  /** How many times a rate-limited request is retried. */
  maxRetries?: number;
}

/** The client's calls. */
export interface Api {
  readonly baseUrl: string;
  /** A raw response (retrying 429), or OfflineError. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** GET (or the given method) a JSON answer parsed with `schema`. */
  json<T>(path: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T>;
}

/** Read an error response's problem details (or its status) into an ApiError. */
export async function errorOf(response: Response): Promise<ApiError> {
  let code = `http.${response.status}`;
  let detail = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { code?: unknown; detail?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not problem+json: keep the status
  }
  return new ApiError(response.status, code, detail);
}

const defaultWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Create the client. */
export function createApi(o: ApiOptions): Api {
  const wait = o.wait ?? defaultWait;
  const maxRetries = o.maxRetries ?? 5;
  const request = async (path: string, init?: RequestInit): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await o.fetch(`${o.baseUrl}${path}`, init);
      } catch (err) {
        throw new OfflineError(`cannot reach the server (${(err as Error).message})`);
      }
      if (response.status !== 429 || attempt >= maxRetries) return response;
      // The server's rate limit names how long to wait; a missing or odd value waits a second.
      const seconds = Number(response.headers.get('Retry-After'));
      await response.body?.cancel();
      await wait(1000 * (Number.isFinite(seconds) && seconds > 0 && seconds <= 60 ? seconds : 1));
    }
  };
  return {
    baseUrl: o.baseUrl,
    request,
    async json(path, schema, init) {
      const response = await request(path, init);
      if (!response.ok) throw await errorOf(response);
      const parsed = schema.safeParse(await response.json());
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ProtocolMismatchError(`${path}: the answer is not what the protocol says (${issue.path.join('.') || 'body'}: ${issue.message})`);
      }
      return parsed.data;
    },
  };
}
