// The round events the crash suites kill on: the coordinator's log lines (round.started, round.stage, round.committed,
// round.completed), each stage named as its own point.
/** Where a kill is triggered: the round's own log events, in the order a round passes them. */
export const KILL_POINTS = ['round.started', 'shares', 'masked', 'confirm', 'unmask', 'round.committed', 'round.completed'] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

/** Where a deletion can be killed: its own log events, in order (recorded, device excluded, the transaction begins, done). */
export const DELETION_KILL_POINTS = ['deletion.recorded', 'deletion.excluded', 'deletion.committing', 'deletion.completed'] as const;
export type DeletionKillPoint = (typeof DELETION_KILL_POINTS)[number];

/** The round or deletion event a log line is, named as a kill point ('advertise' is the stage round.started opens). */
export function roundEvent(line: { msg: string; stage?: unknown }): string | undefined {
  if (line.msg === 'round.stage') return line.stage === 'advertise' ? 'round.started' : String(line.stage);
  return typeof line.msg === 'string' && (line.msg.startsWith('round.') || line.msg.startsWith('deletion.')) ? line.msg : undefined;
}
