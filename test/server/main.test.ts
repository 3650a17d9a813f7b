// `npm start` end to end: a bad flag is one line and exit 1; a good start serves, creates its data dir and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import _sodium from 'libsodium-wrappers';
import { initBackend } from '../../models/backend';
import { memorySpentModels } from '../../client/rounds/spent-models';
import { TEST_FLOORS } from '../conformance/harness';
import { createParticipant } from '../../client/rounds/participant';
import { connectDevice, type SocketLike } from '../../client/rounds/connection';
import { createUpdateComputer } from '../../client/rounds/model-update';
import { generateSigningKeyPair } from '../../shared/secagg/sign';
import type { UserHistory } from '../../shared/data/interactions';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'confidant-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], { cwd: root, env: { ...process.env, PORT: '', CONFIDANT_DATA_DIR: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** Resolve with the server's URL once it logs that it listens. */
function listening(p: ReturnType<typeof run>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    p.child.stdout.on('data', () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(p.out());
      if (m) resolve(m[1]!);
    });
    void p.exited.then((code) => reject(new Error(`exited ${code}: ${p.err()}`)));
  });
}

/** Resolve once the server's stdout has a line matching `pattern`. */
function logged(p: ReturnType<typeof run>, pattern: RegExp): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      if (p.out().split('\n').some((l) => pattern.test(l))) resolve();
    };
    p.child.stdout.on('data', check);
    check();
    void p.exited.then((code) => reject(new Error(`exited ${code} before ${pattern}: ${p.err()}`)));
  });
}

describe('server/main.ts', () => {
  it('--help prints the usage, with every option and its variable, and exits 0', async () => {
    const p = run(['--help']);
    expect(await p.exited).toBe(0);
    expect(p.out()).toMatch(/^usage: npm start -- \[options\]/);
    for (const flag of ['--port N', '--rate-limit N', '--trust-proxy HOPS', '--averaging X', '--dp MODE']) expect(p.out()).toContain(flag);
    expect(p.out()).toContain('CONFIDANT_RATE_LIMIT');
    expect(p.err()).toBe('');
  });

  it('a bad port is one clear line on stderr and exit code 1', async () => {
    const p = run(['--port', 'http']);
    expect(await p.exited).toBe(1);
    expect(p.err().trim().split('\n')).toEqual(['confidant: --port must be an integer in 0..65535, got "http"']);
  });

  it('starts on port 0 with a fresh data dir, serves /v1/health, and exits 0 on SIGTERM', async () => {
    const dataDir = join(dir, 'fresh', 'nested');
    const p = run(['--port', '0', '--data-dir', dataDir, '--log-level', 'info']);
    const url = await listening(p);
    try {
      expect(await (await fetch(`${url}/v1/health`)).json()).toEqual({ status: 'ok' });
      expect(existsSync(join(dataDir, 'confidant.sqlite'))).toBe(true);
      // A fresh store gets version 1 over the vendored catalogue (9,742 movies), ready to train.
      const info = (await (await fetch(`${url}/v1/model/info`)).json()) as { version: number; items: number; provenance: { round: number | null } };
      expect(info).toMatchObject({ version: 1, items: 9742, shards: 4, provenance: { round: null } });
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('a catalogue that cannot be read is one clear line and exit code 1', async () => {
    const bad = join(dir, 'bad-movies.csv');
    writeFileSync(bad, 'movieId,title,genres\n1,"Unclosed,Comedy\n');
    const p = run(['--port', '0', '--data-dir', join(dir, 'bad'), '--catalogue', bad]);
    expect(await p.exited).toBe(1);
    expect(p.err().trim().split('\n')).toEqual([`confidant: catalogue: ${bad} line 2: expected a closing quote, got an unterminated quoted field`]);
    const missing = run(['--port', '0', '--data-dir', join(dir, 'bad'), '--catalogue', join(dir, 'nope.csv')]);
    expect(await missing.exited).toBe(1);
    expect(missing.err()).toContain('no such file or directory');
  });

  it('a round memory budget below one masked vector of the model is one clear line naming the flag, and exit code 1', async () => {
    // The vendored catalogue's update vector is 9,742 × 32 + 3 × 9,742 + 32² + 2 words, about 1.3 MiB.
    const p = run(['--port', '0', '--data-dir', join(dir, 'small-budget'), '--round-memory-mib', '1']);
    expect(await p.exited).toBe(1);
    expect(p.err().trim().split('\n')).toEqual(['confidant: --round-memory-mib 1 is less than one masked vector of this model (341996 words, 1.30 MiB): no round could complete']);
  });

  it('runs secure rounds on its own: devices connect, and a new model version appears with its provenance', async () => {
    await initBackend();
    await _sodium.ready;
    const items = 30;
    const catalogue = join(dir, 'movies.csv');
    writeFileSync(catalogue, ['movieId,title,genres', ...Array.from({ length: items }, (_, i) => `${i + 1},Movie ${i + 1} (2000),Drama|Comedy`)].join('\n') + '\n');
    const p = run(['--port', '0', '--data-dir', join(dir, 'rounds'), '--catalogue', catalogue, '--round-interval', '1', '--graph', 'complete', '--min-cohort', '3', '--corrupt-fraction', '0', '--expected-dropout', '0', '--stage-timeout', '10', '--shards', '1']);
    const url = await listening(p);
    const connections = [];
    try {
      for (let k = 0; k < 4; k++) {
        const identity = generateSigningKeyPair(_sodium);
        const history: UserHistory = { items: Int32Array.of(k, k + 5, k + 10), values: Float32Array.of(5, 4, 3), timestamps: new Float64Array(3) };
        const computeUpdate = createUpdateComputer({ baseUrl: url, fetch, history: () => history });
        connections.push(
          await connectDevice({
            url: url.replace('http', 'ws') + '/v1/ws',
            createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
            sodium: _sodium,
            identity,
            register: true,
            training: true,
            participant: createParticipant({ sodium: _sodium, identity, computeUpdate, spent: memorySpentModels(), floors: TEST_FLOORS }),
          }),
        );
      }
      // The server's own event says when: the round is committed before it is announced.
      await logged(p, /"msg":"round.completed"/);
      const info = (await (await fetch(`${url}/v1/model/info`)).json()) as { version: number; provenance: { round: number | null; cohortSize: number; survivors: number } };
      // A round may start while the fourth device is still connecting: 3 or 4 devices, all of whom finished.
      expect(info.version).toBeGreaterThanOrEqual(2);
      expect(info.provenance.cohortSize).toBeGreaterThanOrEqual(3);
      expect(info.provenance.survivors).toBe(info.provenance.cohortSize);
      expect(info.provenance.round).toBeGreaterThanOrEqual(1);
    } finally {
      for (const c of connections) c.close();
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });
});
