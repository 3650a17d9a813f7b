// The demo fleet as a child process of the launcher: device code, started by its path (the launcher imports
// nothing from client/), so it never runs on the server's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './build';

/** The fleet program. */
export const FLEET_MAIN = join(ROOT, 'client', 'fleet', 'main.ts');

/** A running fleet process. */
export interface FleetProcess {
  child: ChildProcess;
  /** Stop it (SIGTERM) and resolve when it has exited. */
  stop(): Promise<void>;
}

/** Spawn the fleet against `serverUrl`; its lines go to `out` and `err`. */
export function startFleetProcess(o: { serverUrl: string; devices: number; stateDir: string; out: (line: string) => void; err: (line: string) => void }): FleetProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', FLEET_MAIN, '--server', o.serverUrl, '--devices', String(o.devices), '--state-dir', o.stateDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const lines = (sink: (line: string) => void) => {
    let buffered = '';
    return (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) if (line.trim()) sink(line);
    };
  };
  child.stdout!.on('data', lines(o.out));
  child.stderr!.on('data', lines(o.err));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
