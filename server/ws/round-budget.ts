// Round budgets: a cap on rounds running at once, and on the bytes each round buffers (masked vectors and share
// ciphertexts), so the memory rounds can take is bounded by the operator's choice: maxConcurrentRounds × maxRoundBytes.
//
// The round code calls it: open() when a round starts, reserve() before it keeps a device's bytes, close() when the
// round ends. A refusal is a ProtocolError with a `limit.*` code.
import { ProtocolError } from '../../shared/protocol/errors';

/** The two caps (GatewayLimits carries them, from --max-concurrent-rounds and --round-memory-mib). */
export interface RoundBudgetLimits {
  maxConcurrentRounds: number;
  maxRoundBytes: number;
}

/** One round's share of the budget. */
export interface RoundAccount {
  /** Bytes this round holds now. */
  readonly bytes: number;
  /**
   * Account `bytes` more (4 per word of a masked vector; the length of each share ciphertext). Past the round's budget
   * it throws ProtocolError 'limit.round_memory' and accounts nothing: throw it on from RoundHost.receive, and the
   * gateway sends it to the device and counts it in the metrics.
   */
  reserve(bytes: number): void;
  /** Give back `bytes` freed before the round ends (a dropped member's buffer). */
  release(bytes: number): void;
  /** The round ended: its bytes and its slot are free. Idempotent. */
  close(): void;
}

/** The server's rounds and what they hold. */
export interface RoundBudget {
  /**
   * Open a round's account. At the cap it throws ProtocolError 'limit.concurrent_rounds', already counted through
   * `onRefusal` (there is no device to tell: the caller skips the round and says why).
   */
  open(): RoundAccount;
  /** Rounds open now. */
  readonly active: number;
  /** Bytes held by every open round. */
  readonly bytes: number;
}

function checkBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bytes must be a non-negative integer, got ${bytes}`);
}

/** A budget for `limits`; `onRefusal` counts the refusals no device hears of (metrics). */
export function createRoundBudget(limits: RoundBudgetLimits, onRefusal: (code: 'limit.concurrent_rounds') => void = () => {}): RoundBudget {
  const { maxConcurrentRounds, maxRoundBytes } = limits;
  if (!Number.isSafeInteger(maxConcurrentRounds) || maxConcurrentRounds < 1) throw new RangeError(`maxConcurrentRounds must be a positive integer, got ${maxConcurrentRounds}`);
  if (!Number.isSafeInteger(maxRoundBytes) || maxRoundBytes < 1) throw new RangeError(`maxRoundBytes must be a positive integer, got ${maxRoundBytes}`);
  let active = 0;
  let total = 0;
  return {
    open() {
      if (active >= maxConcurrentRounds) {
        onRefusal('limit.concurrent_rounds');
        throw new ProtocolError('limit.concurrent_rounds', `${active} rounds are running, the most this server runs at once`);
      }
      active++;
      let held = 0;
      let open = true;
      const account: RoundAccount = {
        get bytes() {
          return held;
        },
        reserve(bytes) {
          checkBytes(bytes);
          if (!open) throw new Error('reserve() on a round that was closed');
          if (held + bytes > maxRoundBytes) {
            throw new ProtocolError('limit.round_memory', `the round holds ${held} bytes; ${bytes} more would pass its budget of ${maxRoundBytes}`);
          }
          held += bytes;
          total += bytes;
        },
        release(bytes) {
          checkBytes(bytes);
          if (!open) return; // close() gave everything back already
          if (bytes > held) throw new RangeError(`release of ${bytes} bytes, but the round holds ${held}`);
          held -= bytes;
          total -= bytes;
        },
        close() {
          if (!open) return;
          open = false;
          total -= held;
          held = 0;
          active--;
        },
      };
      return account;
    },
    get active() {
      return active;
    },
    get bytes() {
      return total;
    },
  };
}
