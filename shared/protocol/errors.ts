// Refusal codes of the protocol, each mapped once to a WebSocket close code and an HTTP status.

/** Every reason a message, list or request can be refused. Stable strings: clients and tests match on them. */
export const REFUSALS = {
  'message.malformed': { ws: 1007, http: 400, text: 'the message is not valid JSON of a known type' },
  'message.too_large': { ws: 1009, http: 413, text: 'the message exceeds the size limit' },
  'message.invalid': { ws: 1007, http: 400, text: 'a field of the message is missing, of the wrong type or out of range' },
  'auth.required': { ws: 1008, http: 401, text: 'the connection is not authenticated' },
  'auth.bad_signature': { ws: 1008, http: 401, text: 'the signature does not verify' },
  'auth.unknown_device': { ws: 1008, http: 404, text: 'no device is registered with that key' },
  'auth.replayed': { ws: 1008, http: 409, text: 'the challenge or nonce was already used or has expired' },
  'auth.token_required': { ws: 1008, http: 401, text: 'this server registers a device only with an enrollment token' },
  'auth.token_invalid': { ws: 1008, http: 403, text: 'the enrollment token is malformed, unknown or revoked' },
  'auth.token_used': { ws: 1008, http: 409, text: 'the enrollment token was already used' },
  'auth.registration_rate_limited': { ws: 1013, http: 429, text: 'too many registrations from this address; try again later' },
  'device.already_registered': { ws: 1008, http: 409, text: 'the device is already registered' },
  'stage.out_of_order': { ws: 1008, http: 409, text: 'the message does not belong to the current stage of the round' },
  'stage.duplicate': { ws: 1008, http: 409, text: 'the device already sent this stage' },
  'stage.late': { ws: 1008, http: 409, text: 'the stage deadline has passed' },
  'round.unknown': { ws: 1008, http: 404, text: 'the session id or round does not match an open round' },
  'round.not_member': { ws: 1008, http: 403, text: 'the device is not in this round\'s cohort' },
  'round.aborted': { ws: 1000, http: 409, text: 'the round was aborted' },
  'round.too_few_devices': { ws: 1000, http: 409, text: 'fewer devices than the threshold remain' },
  'key.invalid': { ws: 1008, http: 400, text: 'an advertised key is not canonical, of small order, or reused: the device is dropped from the round' },
  'reveal.mismatch': { ws: 1008, http: 400, text: 'the revealed graph randomness does not open the device\'s commitment' },
  'share.bad_length': { ws: 1007, http: 400, text: 'a share or ciphertext has the wrong length' },
  'share.not_neighbour': { ws: 1008, http: 400, text: 'a share is addressed to a device that is not a neighbour' },
  'vector.bad_length': { ws: 1007, http: 400, text: 'the masked vector has the wrong length' },
  'rate.limited': { ws: 1008, http: 429, text: 'too many requests' },
  // Resource limits (1013: try again later). Each refusal is counted in GET /v1/metrics.
  'limit.connections': { ws: 1013, http: 503, text: 'the server has as many connections as it accepts' },
  'limit.connections_per_address': { ws: 1013, http: 429, text: 'too many open connections from this address' },
  'limit.concurrent_rounds': { ws: 1013, http: 503, text: 'as many rounds are running as the server allows' },
  'limit.round_memory': { ws: 1013, http: 503, text: "the round's memory budget is spent" },
  'server.error': { ws: 1011, http: 500, text: 'internal error' },
} as const;

export type RefusalCode = keyof typeof REFUSALS;

/** A refusal as data: the stable code, a human message saying what was wrong, and where. */
export interface Refusal {
  code: RefusalCode;
  message: string;
  path?: (string | number)[];
}

/** An error carrying a refusal, thrown by protocol handlers and mapped at the transport edge. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly path?: (string | number)[],
  ) {
    super(message);
  }

  /** The refusal as a plain object for the wire. */
  toRefusal(): Refusal {
    return this.path ? { code: this.code, message: this.message, path: this.path } : { code: this.code, message: this.message };
  }
}
