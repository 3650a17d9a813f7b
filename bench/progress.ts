// Progress for long benchmark steps: a bar with ETA on a terminal, plain log lines otherwise (CI, pipes).
import cliProgress from 'cli-progress';

/** A task's progress reporter. */
export interface Progress {
  /** Advance to `done` of `total` units, with an optional short status. */
  update(done: number, status?: string): void;
  /** Finish the task (prints a final line when not a TTY). */
  stop(): void;
}

/** Start reporting progress of `total` units for a task labelled `label`. */
export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {status}`, stream, hideCursor: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return { update: (done, status = '') => bar.update(done, { status }), stop: () => bar.stop() };
  }
  // Not a terminal: one line per ~10% (and the last), so logs stay readable.
  const started = Date.now();
  let lastDecile = -1;
  const line = (done: number, status: string) => {
    const elapsed = (Date.now() - started) / 1000;
    const eta = done > 0 ? (elapsed * (total - done)) / done : Number.NaN;
    stream.write(`${label}: ${done}/${total} (${Math.round((100 * done) / total)}%) elapsed ${elapsed.toFixed(1)}s${Number.isFinite(eta) ? ` eta ${eta.toFixed(1)}s` : ''}${status ? ` | ${status}` : ''}\n`);
  };
  let last = { done: 0, status: '' };
  return {
    update: (done, status = '') => {
      last = { done, status };
      const decile = Math.floor((10 * done) / Math.max(1, total));
      if (decile !== lastDecile) {
        lastDecile = decile;
        line(done, status);
      }
    },
    stop: () => {
      if (lastDecile < 10) line(last.done, last.status);
    },
  };
}
