// The crash suites' killer, a process of its own so that nothing delays it: `node kill-on.mjs <point> <entry> [args]`
// runs the server, echoes its stdout line by line, and sends SIGKILL the moment the server logs the round event
// <point>. It adds two lines of its own: crash.sigkill (sent) and crash.exit (the server's end). Closing its stdin
// kills the server too, so a failed test leaves no server behind.
import { spawn } from 'node:child_process';
import { roundEvent } from './round-events';

const [point, entry, ...args] = process.argv.slice(2);
if (!point || !entry) {
  process.stderr.write('usage: node kill-on.mjs <point> <entry> [args...]\n');
  process.exit(2);
}
const emit = (line: object): boolean => process.stdout.write(`${JSON.stringify(line)}\n`);
const server = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
let killed = false;
let pending = '';
server.stdout.on('data', (d: Buffer) => {
  pending += d.toString();
  let end: number;
  while ((end = pending.indexOf('\n')) >= 0) {
    const text = pending.slice(0, end);
    pending = pending.slice(end + 1);
    if (!killed) {
      let event: string | undefined;
      try {
        event = roundEvent(JSON.parse(text) as { msg: string });
      } catch {
        event = undefined;
      }
      if (event === point) {
        server.kill('SIGKILL');
        killed = true;
        process.stdout.write(`${text}\n`);
        emit({ msg: 'crash.sigkill', point });
        continue;
      }
    }
    process.stdout.write(`${text}\n`);
  }
});
server.on('close', (code, signal) => {
  if (pending) process.stdout.write(`${pending}\n`);
  emit({ msg: 'crash.exit', code, signal });
  process.exit(0); // stdout to a pipe is written synchronously on Linux: nothing is cut

});
process.stdin.on('close', () => server.kill('SIGKILL'));
process.stdin.resume();
