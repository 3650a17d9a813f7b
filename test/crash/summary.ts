// The crash suites' report: kills per point, where they landed, restart cost, and what was acknowledged and lost.
import type { Life } from './rig';
import { KILL_POINTS } from './round-events';

/** Counts of a campaign, and the text printed at its end. */
export interface Summary {
  killsPerPoint: Record<string, number>;
  text: string;
}

/** Summarise `lives` of a campaign named `title`, with the acknowledged rounds checked and those lost. */
export function summarise(title: string, lives: readonly Life[], acknowledged: number, lost: number): Summary {
  const killsPerPoint: Record<string, number> = Object.fromEntries(KILL_POINTS.map((p) => [p, 0]));
  const landings = new Map<string, Map<string, number>>();
  for (const life of lives) {
    killsPerPoint[life.point] = (killsPerPoint[life.point] ?? 0) + 1;
    const row = landings.get(life.point) ?? new Map<string, number>();
    row.set(life.landed, (row.get(life.landed) ?? 0) + 1);
    landings.set(life.point, row);
  }
  const starts = lives.map((l) => l.startMs).sort((a, b) => a - b);
  const median = starts[Math.floor(starts.length / 2)] ?? 0;
  const lines = [
    `${title}: ${lives.length} SIGKILLs`,
    ...KILL_POINTS.map((p) => `  ${p.padEnd(16)} ${String(killsPerPoint[p]).padStart(3)} kills, landed: ${[...(landings.get(p) ?? [])].map(([at, n]) => `${at} ×${n}`).join(', ')}`),
    `  restart to listening: median ${median.toFixed(0)} ms`,
    `  acknowledged rounds checked: ${acknowledged}, lost: ${lost}`,
  ];
  return { killsPerPoint, text: lines.join('\n') };
}
