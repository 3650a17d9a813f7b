// Who shares keys and masks with whom: the complete graph (SecAgg) or a seeded Harary graph (SecAgg+), and their thresholds.
//
// One construction for both settings (Flower runs SecAgg as SecAgg+ on a complete graph). In both,
// a device splits its secrets among its neighbours and keeps one share itself, as Flower
// (`secaggplus_mod.py`, share index of the node itself) and fcp (`secret_sharing_harary_graph.h`,
// "an additional self-edge in each node") do: m = neighbours + 1 shares of each secret.
import { SecAggError } from './errors';
import { expandMask } from './prg';
import type { Sodium } from './sodium';

export const GRAPH_SEED_BYTES = 32;

export type GraphSpec =
  | { devices: readonly string[]; kind: 'complete' }
  | { devices: readonly string[]; kind: 'sparse'; degree: number; seed: Uint8Array };

export type GraphParams =
  | { kind: 'complete'; n: number; corruptDevices?: number }
  | { kind: 'sparse'; n: number; degree: number; corruptDevices?: number };

/**
 * Neighbour lists (sorted, symmetric, no self loops) of the devices, which must be sorted and
 * distinct. 'complete': everyone else. 'sparse': SecAgg+ (Bell et al. 2020) shares among a
 * random sparse neighbourhood; as fcp (`secret_sharing_harary_graph.h`) and Flower
 * (`secaggplus_workflow.py` `_setup`) build it, that is the Harary graph H(k, n) — a ring where each
 * device neighbours the k/2 before and the k/2 after it — laid on a uniformly random order of the
 * devices, here drawn from the 32-byte seed. The random order is what makes it secure: the server
 * must not pick who neighbours whom. k must be even, 2 ≤ k ≤ n − 1 (k = n − 1 is the complete graph).
 */
export function buildGraph(sodium: Sodium, spec: GraphSpec): Map<string, string[]> {
  const devices = checkDevices(spec.devices);
  const n = devices.length;
  const graph = new Map<string, string[]>();
  if (spec.kind === 'complete') {
    for (const d of devices) graph.set(d, devices.filter((o) => o !== d));
    return graph;
  }
  checkDegree(spec.degree, n);
  if (!(spec.seed instanceof Uint8Array) || spec.seed.length !== GRAPH_SEED_BYTES) {
    throw new SecAggError('graph.bad_seed', `seed must be exactly ${GRAPH_SEED_BYTES} bytes`);
  }
  const ring = permute(sodium, devices, spec.seed);
  const half = spec.degree / 2;
  ring.forEach((d, i) => {
    const neighbours: string[] = [];
    for (let offset = 1; offset <= half; offset++) {
      neighbours.push(ring[(i + offset) % n]!, ring[(i - offset + n) % n]!);
    }
    graph.set(d, neighbours.sort(compareIds));
  });
  return new Map(devices.map((d) => [d, graph.get(d)!]));
}

/** How many other devices hold a share of each device's secrets: n − 1 (complete) or k (sparse). */
export function neighbourhoodSize(params: GraphParams): number {
  checkParams(params);
  return params.kind === 'complete' ? params.n - 1 : params.degree;
}

/**
 * The smallest safe Shamir threshold t: t > (m + a)/2 and t ≥ 2, with m = neighbourhood + 1 shares
 * of each secret and a = corruptDevices (default 0) among the holders.
 * Why more than half: a lying server can tell one group of holders that a device survived (asking
 * for shares of its self-mask seed) and another that it dropped (asking for shares of its mask key).
 * Honest holders answer only one of the two per device, so both secrets leak only if two groups of
 * t fit among m holders, a of whom answer both: 2t ≤ m + a. Sources: fcp
 * `fcp/secagg/server/graph_parameter_finder.cc`: for the Harary graph (SEMI_MALICIOUS_SERVER) it
 * takes t = ⌈(a + k − 1.25)/2⌉ + 1, i.e. 2t − k > a with k neighbours besides the device — equal to
 * this rule when k + a is even, one lower when odd (it does not count the device's own share);
 * CheckFullGraphParameters asks t > ⌈(n + a)/2⌉ — one higher than this rule when n + a is odd.
 * Bonawitz et al. 2017, active-adversary variant, for the idea. t ≥ 2: fcp "The threshold should be
 * > 1"; t = 1 hands a secret to any single holder.
 */
export function minimumThreshold(params: GraphParams): number {
  const shares = neighbourhoodSize(params) + 1;
  const corrupt = params.corruptDevices ?? 0;
  return Math.max(2, Math.floor((shares + corrupt) / 2) + 1);
}

/**
 * Throw unless minimumThreshold ≤ t ≤ neighbourhood: 'graph.threshold_too_low' below (privacy
 * against a lying server, see minimumThreshold), 'graph.threshold_too_high' above — at least t
 * *other* devices must hold shares, or one dropout makes a secret unrecoverable (Flower
 * `secaggplus_workflow.py` `_check_init_params`: "`reconstruction_threshold` must be less than
 * `num_shares`", where num_shares counts the device itself).
 */
export function checkThreshold(params: GraphParams & { threshold: number }): void {
  const { threshold } = params;
  if (!Number.isInteger(threshold)) {
    throw new SecAggError('graph.bad_threshold', `threshold must be an integer, got ${threshold}`);
  }
  const low = minimumThreshold(params);
  const high = neighbourhoodSize(params);
  const where = params.kind === 'complete' ? `complete graph, n=${params.n}` : `sparse graph, n=${params.n}, degree=${params.degree}`;
  const range = low <= high ? `[${low}, ${high}]` : `empty ([${low}, ${high}]: the graph is too small for any threshold)`;
  if (threshold < low) {
    throw new SecAggError('graph.threshold_too_low', `threshold=${threshold} is below ${low} (${where}, corruptDevices=${params.corruptDevices ?? 0}); valid: ${range}`);
  }
  if (threshold > high) {
    throw new SecAggError('graph.threshold_too_high', `threshold=${threshold} exceeds the ${high} other holders (${where}); valid: ${range}`);
  }
}

/** Code-unit order, the order `devices` must already be in. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkDevices(devices: readonly string[]): readonly string[] {
  if (!Array.isArray(devices) || devices.length === 0) {
    throw new SecAggError('graph.bad_devices', 'devices must be a non-empty array of ids');
  }
  devices.forEach((d, i) => {
    if (typeof d !== 'string' || d.length === 0) throw new SecAggError('graph.bad_devices', `devices[${i}] must be a non-empty string`);
    if (i > 0 && !(devices[i - 1]! < d)) {
      throw new SecAggError('graph.bad_devices', `devices must be sorted and distinct: devices[${i - 1}]=${devices[i - 1]} is not before devices[${i}]=${d}`);
    }
  });
  return devices;
}

function checkDegree(degree: number, n: number): void {
  if (!Number.isInteger(degree) || degree < 2 || degree % 2 !== 0 || degree > n - 1) {
    throw new SecAggError('graph.bad_degree', `degree must be an even integer in [2, n − 1 = ${n - 1}], got ${degree}`);
  }
}

function checkParams(params: GraphParams): void {
  if (!Number.isSafeInteger(params.n) || params.n < 1) {
    throw new SecAggError('graph.bad_devices', `n must be a positive integer, got ${params.n}`);
  }
  if (params.kind === 'sparse') checkDegree(params.degree, params.n);
  const corrupt = params.corruptDevices ?? 0;
  if (!Number.isSafeInteger(corrupt) || corrupt < 0 || corrupt > params.n) {
    throw new SecAggError('graph.bad_threshold', `corruptDevices must be an integer in [0, n=${params.n}], got ${corrupt}`);
  }
}

/** Fisher–Yates with unbiased draws (rejection sampling) from the seed's ChaCha20 stream. */
function permute(sodium: Sodium, devices: readonly string[], seed: Uint8Array): string[] {
  const out = devices.slice();
  let words = expandMask(sodium, seed, 2 * out.length + 64);
  let at = 0;
  const nextWord = (): number => {
    if (at === words.length) {
      // The stream is prefix-stable: a longer expansion repeats what was read, so skip it.
      words = expandMask(sodium, seed, 2 * words.length);
    }
    return words[at++]!;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const range = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % range); // largest multiple of range ≤ 2^32
    let w = nextWord();
    while (w >= limit) w = nextWord();
    const j = w % range;
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
