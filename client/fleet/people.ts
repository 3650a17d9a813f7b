// The demo fleet's simulated people: one per MovieLens user of the vendored ratings, each with their ratings as
// the rating events of their own device, and a key that the fleet keeps so a restart brings back the same devices.
import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Sodium } from '../../shared/secagg/sodium';
import type { SigningKeyPair } from '../../shared/secagg/sign';
import { toBase64Url, fromBase64Url } from '../../shared/protocol/encoding';
import { identityFromSeed } from '../device/identity';
import { shardOfDevice } from './shard';

/** One user's ratings: catalogue ids, stars and times (ms). */
export interface PersonRatings {
  user: number;
  items: number[];
  stars: number[];
  times: number[];
}

/** Read a MovieLens ratings.csv (userId,movieId,rating,timestamp) into per-user ratings, users in id order. */
export function readRatings(file: string): PersonRatings[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines[0]?.trim() !== 'userId,movieId,rating,timestamp') throw new Error(`${file}: expected the header userId,movieId,rating,timestamp`);
  const byUser = new Map<number, PersonRatings>();
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const f = line.split(',');
    const [user, item, stars, seconds] = f.map(Number) as [number, number, number, number];
    if (f.length !== 4 || !Number.isInteger(user) || !Number.isInteger(item) || !(stars >= 0.5 && stars <= 5) || !Number.isFinite(seconds)) throw new Error(`${file} line ${n + 1}: expected userId,movieId,rating,timestamp, got ${JSON.stringify(line.slice(0, 80))}`);
    let p = byUser.get(user);
    if (!p) byUser.set(user, (p = { user, items: [], stars: [], times: [] }));
    p.items.push(item);
    p.stars.push(stars);
    p.times.push(seconds * 1000);
  }
  return [...byUser.values()].sort((a, b) => a.user - b.user);
}

/** What the fleet keeps between runs: each user's key seed, for one shard count. */
interface FleetState {
  format: 'confidant-demo-fleet';
  version: 1;
  shards: number;
  devices: { user: number; seed: string }[];
}

/**
 * A key for each user, kept in `stateDir`: reused when the state is for the same shard count, else made anew so that
 * user n lands in shard n mod S (a device picks its key; the server's public hash then assigns its shard).
 */
export function fleetIdentities(sodium: Sodium, users: readonly number[], shards: number, stateDir: string): Map<number, SigningKeyPair> {
  const file = join(stateDir, 'fleet.json');
  let state: FleetState | undefined;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as FleetState;
    if (raw.format === 'confidant-demo-fleet' && raw.version === 1 && raw.shards === shards) state = raw;
  } catch {
    // no state yet, or an unreadable one: start afresh
  }
  const seeds = new Map(state?.devices.map((d) => [d.user, d.seed]));
  const out = new Map<number, SigningKeyPair>();
  users.forEach((user, n) => {
    const kept = seeds.get(user);
    if (kept) {
      out.set(user, identityFromSeed(sodium, fromBase64Url(kept)));
      return;
    }
    for (;;) {
      const seed = sodium.randombytes_buf(32);
      const identity = identityFromSeed(sodium, seed);
      if (shardOfDevice(toBase64Url(identity.publicKey), shards) !== n % shards) continue;
      seeds.set(user, toBase64Url(seed));
      out.set(user, identity);
      return;
    }
  });
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const next: FleetState = { format: 'confidant-demo-fleet', version: 1, shards, devices: [...seeds].map(([user, seed]) => ({ user, seed })) };
  writeFileSync(`${file}.tmp`, JSON.stringify(next), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return out;
}
