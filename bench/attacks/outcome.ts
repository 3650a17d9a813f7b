// How an attack ended, decided from what was observed — the leak check's verdict first — and said in words.
import type { LeakResult } from './leak-check';
import type { Arena } from './arena';

/** The four ways an attack can end (issue 17). */
export const OUTCOMES = ['refused', 'dropped-member', 'aborted-before-shares', 'leaked'] as const;
export type AttackOutcome = (typeof OUTCOMES)[number];

/** One row of the results: an attack as played, how it ended, what the server learned, and the evidence. */
export interface AttackRow {
  attack: string;
  /** Which play of the attack (an attack may have several rows). */
  variant: string;
  outcome: AttackOutcome;
  /** What the server learned, in words. */
  learned: string;
  /** Abort and refusal codes seen, with counts, and what the adversary tried. */
  detail: string;
  /** The same attack against the protocol before the rewrite (d005f38), reasoned from that commit's code. */
  oldCode: { leaks: boolean; short: string; why: string };
  /** Cohort, Sybils, threshold t, quorum q, graph and floors the play ran with. */
  setup: string;
}

/** What an attack's decisive round left behind. */
export interface PlayFacts {
  leak: LeakResult;
  victim: string;
  /** The round completed: the server unmasked a sum. */
  completed: boolean;
  contributors: number;
  /** The misbehaving member was dropped, named or set aside (and the others went on). */
  excluded: boolean;
  /** An honest device sent a share bundle (stage shares) in the round. */
  honestSharesLeft: boolean;
  /** An honest device refused the invitation itself, or the server's own code refused the settings. */
  refusedAtInvite: boolean;
}

/**
 * The outcome: `leaked` exactly when the leak check rebuilt the victim's input; otherwise how the round ended —
 * completed without the bad member, ended before any honest share left a device, or refused by devices (or the
 * server) part-way.
 */
export function classify(f: PlayFacts): AttackOutcome {
  if (f.leak.leaked) return 'leaked';
  if (f.completed && f.excluded) return 'dropped-member';
  if (!f.honestSharesLeft) return f.refusedAtInvite ? 'refused' : 'aborted-before-shares';
  return 'refused';
}

/** What the server learned, from the leak check's account and the round's end. */
export function learnedText(f: PlayFacts, victimName = 'the victim'): string {
  if (f.leak.leaked) return `${victimName}'s input, exactly (via ${f.leak.via})`;
  const parts: string[] = [];
  const sums = f.leak.sums;
  if (sums.length === 1) parts.push(`the sum of ${sums[0]} devices`);
  if (sums.length > 1) parts.push(`${sums.length} sums (of ${sums.join(', ')} devices), ${f.leak.sumsWithVictim} with ${victimName}`);
  const r = f.leak.rounds;
  if (r.length === 0) parts.push(`no masked input of ${victimName}`);
  const shares = (n: number) => `${n} share${n === 1 ? '' : 's'}`;
  for (const x of r) {
    const self = `self seed (${shares(x.selfSeed.shares)})`;
    const key = `mask key (${shares(x.maskKey.shares)})`;
    const secrets = x.selfSeed.rebuilt && x.maskKey.rebuilt ? `both its ${self} and its ${key} (yet no input that matches)` : x.selfSeed.rebuilt ? `its ${self} but not its ${key}` : x.maskKey.rebuilt ? `its ${key} but not its ${self}` : `neither its ${self} nor its ${key}`;
    parts.push(`of ${victimName}: ${secrets}, ${x.partnerSeedsKnown} of its ${x.partners} pairwise seeds`);
  }
  return `${parts.join('; ')}: nothing about ${victimName} alone`;
}

/** "code ×n" for each distinct code, in first-seen order. */
export function countCodes(codes: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${c} ×${n}`).join(', ') || 'none';
}

/** Abort codes of honest devices and the server's refusals and end, in one line. */
export function arenaCodes(a: Arena): string {
  const end = a.server.outcome;
  const server = end === undefined ? 'server: still open' : end.status === 'completed' ? `server: completed with ${end.contributors.length}` : `server: aborted (${end.reason})`;
  return `device aborts: ${countCodes(a.aborts.map((x) => `${x.code} at ${x.at}`))}; server refusals: ${countCodes(a.refusals.map((x) => x.code))}; ${server}`;
}

/** The facts of a round from its arena (the round the attack played in) and the leak check. */
export function factsOf(a: Arena, leak: LeakResult, victim: string, o: { excluded: boolean; serverRefusedSettings?: boolean }): PlayFacts {
  const end = a.server.outcome;
  return {
    leak,
    victim,
    completed: end?.status === 'completed',
    contributors: end?.status === 'completed' ? end.contributors.length : 0,
    excluded: o.excluded,
    honestSharesLeft: a.honestSharesLeft(),
    refusedAtInvite: a.aborts.some((x) => x.at === 'invite') || (o.serverRefusedSettings ?? false),
  };
}
