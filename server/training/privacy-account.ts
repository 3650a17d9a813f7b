// A shard's privacy account as stored (every DP setting charged, never refunded) and as the accountant reads it.
import { compose, createAccountant, epsilon as epsilonOf, wouldExceed, type Account } from '../../shared/dp/accountant';
import type { PrivacySettings } from '../../shared/dp/mechanism';
import type { PrivacyAccount } from '../store/store';

/** An account with nothing charged. */
export const EMPTY_ACCOUNT: PrivacyAccount = Object.freeze({ history: [], unbounded: false }) as PrivacyAccount;

/** The accountant's view of a stored account. */
export function toAccountant(account: PrivacyAccount): Account {
  return account.history.reduce((a, setting) => compose(a, setting), createAccountant());
}

/** The stored account after one more round: with noise, its (q, σ); without, ε becomes unbounded. */
export function charge(account: PrivacyAccount, round: { samplingRate: number; noiseMultiplier: number } | 'no-noise'): PrivacyAccount {
  if (round === 'no-noise') return { history: account.history.map((h) => ({ ...h })), unbounded: true };
  const history = compose(toAccountant(account), { ...round, steps: 1 }).history;
  return { history: history.map((h) => ({ samplingRate: h.samplingRate, noiseMultiplier: h.noiseMultiplier, steps: h.steps })), unbounded: account.unbounded };
}

/** ε of an account at δ: 0 when nothing was charged, null when a round ran without noise (no guarantee). */
export function accountEpsilon(account: PrivacyAccount, delta: number): number | null {
  if (account.unbounded) return null;
  if (account.history.length === 0) return 0;
  return epsilonOf(toAccountant(account), delta).epsilon;
}

/** Why a DP round may not run on this account (a reason for the operator), or undefined when it may. */
export function refusal(account: PrivacyAccount, privacy: PrivacySettings, samplingRate: number, shard: number): string | undefined {
  if (account.unbounded) return `shard ${shard} has run rounds without noise: its ε is unbounded, so differentially private rounds cannot be added to it (start from a fresh data directory)`;
  if (wouldExceed(toAccountant(account), { samplingRate, noiseMultiplier: privacy.noiseMultiplier }, { epsilon: privacy.epsilonBudget, delta: privacy.delta })) {
    const spent = accountEpsilon(account, privacy.delta) ?? 0;
    return `privacy budget of shard ${shard}: ε = ${spent.toFixed(3)} spent of ${privacy.epsilonBudget} at δ = ${privacy.delta}; one more round would exceed it, so training has stopped`;
  }
  return undefined;
}
