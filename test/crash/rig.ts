// One crash campaign's machinery: start the server on a data directory under the killer (kill-on.ts), connect the
// devices, let the killer SIGKILL it the moment a chosen round event is logged, and keep the ledger of acknowledged
// rounds across lives.
import { roundEvent, type KillPoint } from './round-events';
import type { AcknowledgedRound } from './store-check';
import type { Fleet } from './devices';
import { startServer } from './server-process';

/** One life of the server, from start to SIGKILL. */
export interface Life {
  point: KillPoint;
  /** The last round event the server logged before it died: where the kill landed. */
  landed: string;
  /** Milliseconds from spawn to the `listening` line. */
  startMs: number;
  /** Distinct model versions acknowledged to devices in this life. */
  acknowledged: number;
}

/** Rounds that may abort in one life before the campaign gives up (rounds that can never finish). */
const MAX_ABORTS_PER_LIFE = 3;
/** Rounds the server may skip in one life (its debug line 'round skipped') before the campaign gives up (rounds that never start). */
const MAX_SKIPS_PER_LIFE = 10;

/**
 * The server's flags in a campaign: port 0, a round a second on the complete graph with 3 or more devices, one shard
 * (so a handful of devices make a cohort), and debug logs, which say why a round is skipped (a run of them fails the life).
 */
export function serverArgs(dataDir: string, catalogue: string): string[] {
  return ['--port', '0', '--data-dir', dataDir, '--catalogue', catalogue, '--round-interval', '1', '--graph', 'complete', '--min-cohort', '3', '--corrupt-fraction', '0', '--expected-dropout', '0', '--stage-timeout', '10', '--shards', '1', '--log-level', 'debug'];
}

/** A campaign against the server at `entry` (a bundled main.ts or harness-main.ts), killed by `killer` (bundled kill-on.ts). */
export function createRig(o: { entry: string; killer: string; args: string[]; env?: Record<string, string>; fleet: Fleet }) {
  const ledger: AcknowledgedRound[] = [];
  let acksSeen = 0;
  return {
    /** Every acknowledged round not forgotten, with what its round.committed line said. */
    get acknowledged(): readonly AcknowledgedRound[] {
      return ledger;
    },
    /** Drop rounds the teeth test has counted as lost (their version numbers will be used again). */
    forget(rounds: readonly AcknowledgedRound[]): void {
      for (const r of rounds) {
        const at = ledger.indexOf(r);
        if (at >= 0) ledger.splice(at, 1);
      }
    },

    /**
     * Start the server, run `afterListen` (before any device connects, so no round can start), connect the devices,
     * and SIGKILL the server when it logs `point`. Resolves once it is dead and every device socket has closed.
     */
    async life(point: KillPoint, afterListen: (url: string) => Promise<void>): Promise<Life> {
      const committed = new Map<number, { roundId: number; sha12: string }>();
      let killed = false;
      let exit: { signal: unknown } | undefined;
      let landed = '(none)';
      let aborts = 0;
      let skips = 0;
      let fail: (err: Error) => void = () => {};
      const failed = new Promise<never>((_, reject) => (fail = reject));
      failed.catch(() => {}); // raced below; a failure after the kill is not one
      let onKilled: () => void = () => {};
      const sigkill = new Promise<void>((resolve) => (onKilled = resolve));
      const spawnedAt = performance.now();
      const server = startServer({
        entry: o.killer,
        args: [point, o.entry, ...o.args],
        ...(o.env && { env: o.env }),
        onLine(line) {
          if (line.msg === 'crash.sigkill') {
            killed = true;
            onKilled();
          }
          if (line.msg === 'crash.exit') exit = { signal: line.signal };
          const event = roundEvent(line);
          if (event && !exit) landed = event;
          if (line.msg === 'round.committed') committed.set(Number(line.modelVersion), { roundId: Number(line.roundId), sha12: String(line.sha256) });
          if (!killed && line.msg === 'round.aborted' && ++aborts >= MAX_ABORTS_PER_LIFE) fail(new Error(`${aborts} rounds aborted while waiting for ${point}; the last: ${String(line.reason)}`));
          if (!killed && line.msg === 'round skipped' && ++skips >= MAX_SKIPS_PER_LIFE) fail(new Error(`${skips} rounds skipped while waiting for ${point}; the last: ${String(line.reason)}`));
          if (!killed && line.level === 50) fail(new Error(`the server logged an error while waiting for ${point}: ${JSON.stringify(line)}`));
        },
      });
      void server.closed.then(() => {
        if (!killed) fail(new Error(`the server ended (${JSON.stringify(exit)}) before ${point}: ${server.stderr().trim()}`));
      });
      try {
        const url = await Promise.race([server.url, failed]);
        const startMs = performance.now() - spawnedAt;
        await Promise.race([afterListen(url), failed]);
        const connecting = o.fleet.connect(url, (err) => {
          if (!killed) fail(new Error(`a device failed before ${point}: ${err.message}`));
        });
        await Promise.race([sigkill, failed]);
        await server.closed;
        if (exit?.signal !== 'SIGKILL') throw new Error(`the server was to die of SIGKILL at ${point}; it ended with ${JSON.stringify(exit)}`);
        await connecting;
        await o.fleet.closed();
        if (server.strayLines().length > 0) throw new Error(`the server printed lines that are not JSON: ${server.strayLines().slice(0, 3).join(' | ')}`);
        // Every acknowledgement of this life, joined with this life's round.committed line for its version.
        const versions = new Set(o.fleet.acknowledgements.slice(acksSeen).map((a) => a.modelVersion));
        acksSeen = o.fleet.acknowledgements.length;
        for (const modelVersion of versions) ledger.push({ modelVersion, ...committed.get(modelVersion) });
        return { point, landed, startMs, acknowledged: versions.size };
      } finally {
        server.child.stdin?.end(); // the killer kills the server when its stdin closes (a test that failed midway)
      }
    },

    /** Start the server once more without a kill, run `check` on it, and stop it with SIGTERM (it must exit 0). */
    async serve(check: (url: string) => Promise<void>): Promise<void> {
      const server = startServer({ entry: o.entry, args: o.args, ...(o.env && { env: o.env }), onLine: () => {} });
      try {
        await check(await server.url);
      } finally {
        server.child.kill('SIGTERM');
      }
      const { code } = await server.closed;
      if (code !== 0) throw new Error(`the server exited ${code} on SIGTERM: ${server.stderr().trim()}`);
    },
  };
}
