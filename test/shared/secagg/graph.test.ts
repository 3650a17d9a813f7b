// Neighbour graphs: complete and seeded Harary, their invariants, and every edge of the threshold rules.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildGraph, checkThreshold, minimumThreshold, neighbourhoodSize } from '../../../shared/secagg/graph';
import type { GraphParams } from '../../../shared/secagg/graph';
import { sodium } from './helpers';

const code = (c: string) => expect.objectContaining({ code: c });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(5, '0')}`);
const seedOf = (label: number) => new Uint8Array(32).fill(label);

function expectSymmetricWithoutSelfLoops(graph: Map<string, string[]>): void {
  // Plain checks gathered into one assertion: an expect() per edge makes the property test slow.
  const problems: string[] = [];
  for (const [device, neighbours] of graph) {
    if (neighbours.includes(device)) problems.push(`${device} neighbours itself`);
    if (new Set(neighbours).size !== neighbours.length) problems.push(`${device} lists a neighbour twice`);
    if (neighbours.join() !== [...neighbours].sort().join()) problems.push(`${device}'s neighbours are not sorted`);
    for (const other of neighbours) if (!graph.get(other)?.includes(device)) problems.push(`${device}→${other} has no way back`);
  }
  expect(problems).toEqual([]);
}

/** True when the graph stays connected (breadth-first search from the first device). */
function isConnected(graph: Map<string, string[]>): boolean {
  const [start] = graph.keys();
  const seen = new Set([start!]);
  const queue = [start!];
  while (queue.length > 0) {
    for (const o of graph.get(queue.pop()!)!) {
      if (!seen.has(o)) {
        seen.add(o);
        queue.push(o);
      }
    }
  }
  return seen.size === graph.size;
}

describe('buildGraph complete', () => {
  it.each([1, 2, 3, 10, 200])('links each of %i devices to all the others', (n) => {
    const devices = ids(n);
    const graph = buildGraph(sodium, { devices, kind: 'complete' });
    expect([...graph.keys()]).toEqual(devices);
    for (const d of devices) expect(graph.get(d)).toEqual(devices.filter((o) => o !== d));
    expectSymmetricWithoutSelfLoops(graph);
  });
});

describe('buildGraph sparse (Harary H(k, n) on a seeded order)', () => {
  const arbGraph = fc.integer({ min: 3, max: 60 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      degree: fc.integer({ min: 1, max: Math.floor((n - 1) / 2) }).map((h) => 2 * h),
      seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    }),
  );

  it('is symmetric, k-regular, without self loops, connected, and has every device as a key', () => {
    fc.assert(
      fc.property(arbGraph, ({ n, degree, seed }) => {
        const devices = ids(n);
        const graph = buildGraph(sodium, { devices, kind: 'sparse', degree, seed });
        expect([...graph.keys()]).toEqual(devices);
        expect([...graph.values()].every((neighbours) => neighbours.length === degree)).toBe(true);
        expectSymmetricWithoutSelfLoops(graph);
        expect(isConnected(graph)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('is a ring of the devices in some order, each joined to the k/2 on either side', () => {
    // Walk the ring: from any device, the ring order is recoverable when k = 2 (a cycle).
    const devices = ids(30);
    const graph = buildGraph(sodium, { devices, kind: 'sparse', degree: 2, seed: seedOf(4) });
    const ring = [devices[0]!];
    let previous = '';
    while (ring.length < devices.length) {
      const here = ring[ring.length - 1]!;
      const next = graph.get(here)!.find((o) => o !== previous && !ring.includes(o))!;
      previous = here;
      ring.push(next);
    }
    expect(graph.get(ring[ring.length - 1]!)).toContain(ring[0]);
    // With k = 4 on the same seed the extra edges join devices two apart on that ring.
    const wider = buildGraph(sodium, { devices, kind: 'sparse', degree: 4, seed: seedOf(4) });
    ring.forEach((d, i) => {
      const expected = [-2, -1, 1, 2].map((o) => ring[(i + o + ring.length) % ring.length]!).sort();
      expect(wider.get(d)).toEqual(expected);
    });
  });

  it('is the same for the same seed and differs for another seed', () => {
    const devices = ids(100);
    const a = buildGraph(sodium, { devices, kind: 'sparse', degree: 6, seed: seedOf(1) });
    const b = buildGraph(sodium, { devices, kind: 'sparse', degree: 6, seed: seedOf(1) });
    const c = buildGraph(sodium, { devices, kind: 'sparse', degree: 6, seed: seedOf(2) });
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it('does not neighbour devices by their sorted position (the order is shuffled)', () => {
    const devices = ids(200);
    const graph = buildGraph(sodium, { devices, kind: 'sparse', degree: 2, seed: seedOf(3) });
    let adjacentInSortedOrder = 0;
    devices.forEach((d, i) => {
      if (i > 0 && graph.get(d)!.includes(devices[i - 1]!)) adjacentInSortedOrder++;
    });
    // A random cycle links about 2 of 199 sorted neighbours; an unshuffled ring would link all 199.
    expect(adjacentInSortedOrder).toBeLessThan(15);
  });

  it('with k = n − 1 is the complete graph', () => {
    const devices = ids(9);
    const sparse = buildGraph(sodium, { devices, kind: 'sparse', degree: 8, seed: seedOf(5) });
    expect([...sparse]).toEqual([...buildGraph(sodium, { devices, kind: 'complete' })]);
  });

  it.each([
    ['odd degree', 10, 3],
    ['degree 0', 10, 0],
    ['degree n', 10, 10],
    ['degree > n − 1', 9, 10],
    ['fractional degree', 10, 2.5],
  ])('refuses %s', (_label, n, degree) => {
    expect(() => buildGraph(sodium, { devices: ids(n), kind: 'sparse', degree, seed: seedOf(1) })).toThrow(code('graph.bad_degree'));
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => buildGraph(sodium, { devices: ids(10), kind: 'sparse', degree: 2, seed: new Uint8Array(16) })).toThrow(code('graph.bad_seed'));
  });
});

describe('buildGraph devices', () => {
  it.each([
    ['empty', []],
    ['unsorted', ['b', 'a', 'c']],
    ['duplicated', ['a', 'b', 'b']],
    ['an empty id', ['', 'a']],
  ])('refuses a device list that is %s', (_label, devices) => {
    expect(() => buildGraph(sodium, { devices, kind: 'complete' })).toThrow(code('graph.bad_devices'));
  });
});

describe('threshold rules', () => {
  // t_min = max(2, ⌊(m + a)/2⌋ + 1), m = neighbours + 1; t_max = neighbours.
  it.each([
    // n, t_min, t_max
    [2, 2, 1],
    [3, 2, 2],
    [4, 3, 3],
    [5, 3, 4],
    [6, 4, 5],
    [7, 4, 6],
    [100, 51, 99],
    [1001, 501, 1000],
  ])('complete graph, n=%i: valid thresholds are [%i, %i]', (n, low, high) => {
    const params: GraphParams = { kind: 'complete', n };
    expect(minimumThreshold(params)).toBe(low);
    expect(neighbourhoodSize(params)).toBe(high);
    for (let t = 0; t <= n + 1; t++) {
      const check = () => checkThreshold({ ...params, threshold: t });
      if (t < low) expect(check).toThrow(code('graph.threshold_too_low'));
      else if (t > high) expect(check).toThrow(code('graph.threshold_too_high'));
      else expect(check).not.toThrow();
    }
  });

  it.each([
    // n, k, t_min, t_max
    [10, 2, 2, 2],
    [10, 4, 3, 4],
    [10, 6, 4, 6],
    [100, 8, 5, 8],
    [1000, 40, 21, 40],
    [9, 8, 5, 8],
  ])('sparse graph, n=%i, k=%i: valid thresholds are [%i, %i]', (n, degree, low, high) => {
    const params: GraphParams = { kind: 'sparse', n, degree };
    expect(minimumThreshold(params)).toBe(low);
    expect(neighbourhoodSize(params)).toBe(high);
    for (let t = 0; t <= degree + 2; t++) {
      const check = () => checkThreshold({ ...params, threshold: t });
      if (t < low) expect(check).toThrow(code('graph.threshold_too_low'));
      else if (t > high) expect(check).toThrow(code('graph.threshold_too_high'));
      else expect(check).not.toThrow();
    }
  });

  it.each([
    // kind, n, k, corrupt, t_min
    ['complete', 10, 0, 0, 6],
    ['complete', 10, 0, 1, 6],
    ['complete', 10, 0, 2, 7],
    ['complete', 10, 0, 3, 7],
    ['sparse', 100, 10, 0, 6],
    ['sparse', 100, 10, 1, 7],
    ['sparse', 100, 10, 2, 7],
    ['sparse', 100, 10, 9, 11],
  ] as const)('%s graph, n=%i, k=%i, %i corrupt devices: t ≥ %i', (kind, n, degree, corruptDevices, low) => {
    const params: GraphParams = kind === 'complete' ? { kind, n, corruptDevices } : { kind, n, degree, corruptDevices };
    expect(minimumThreshold(params)).toBe(low);
    // The rule is tight: at t_min − 1 two groups of t fit among m holders with a answering both.
    const m = neighbourhoodSize(params) + 1;
    expect(2 * low).toBeGreaterThan(m + corruptDevices);
    expect(2 * (low - 1)).toBeLessThanOrEqual(m + corruptDevices);
    expect(() => checkThreshold({ ...params, threshold: low - 1 })).toThrow(code('graph.threshold_too_low'));
  });

  it('says which parameters and which range in its messages', () => {
    expect(() => checkThreshold({ kind: 'sparse', n: 100, degree: 8, threshold: 4 })).toThrow(/threshold=4.*sparse graph, n=100, degree=8.*\[5, 8\]/);
    expect(() => checkThreshold({ kind: 'complete', n: 2, threshold: 2 })).toThrow(/too small/);
  });

  it('refuses malformed parameters', () => {
    expect(() => checkThreshold({ kind: 'complete', n: 10, threshold: 6.5 })).toThrow(code('graph.bad_threshold'));
    expect(() => minimumThreshold({ kind: 'complete', n: 0 })).toThrow(code('graph.bad_devices'));
    expect(() => minimumThreshold({ kind: 'sparse', n: 10, degree: 3 })).toThrow(code('graph.bad_degree'));
    expect(() => minimumThreshold({ kind: 'complete', n: 10, corruptDevices: -1 })).toThrow(code('graph.bad_threshold'));
  });
});
