// How a round's secure-aggregation settings follow from its cohort: graph degree, threshold, fixed-point scale.
import { fixedPointScale } from './fixed-point';
import { minimumThreshold } from './graph';
import { maxScaleForNoise, noiseHeadroomDevices, type PrivacySettings } from '../dp/mechanism';

/** The sparse graph's degree for a cohort: about 2·log2(n) neighbours, even (Bell et al. 2020 use O(log n)). */
export function sparseDegree(n: number): number {
  const k = 2 * Math.ceil(Math.log2(Math.max(2, n)));
  return Math.min(k, n - 1 - ((n - 1) % 2));
}

/** Settings of the protocol part of a round. */
export interface SecureSettings {
  threshold: number;
  graph: { kind: 'complete' } | { kind: 'sparse'; degree: number };
  scale: number;
}

/**
 * The smallest safe threshold for the graph, and the largest scale at which the cohort's sum cannot wrap —
 * with DP noise on, the sum of n clipped updates plus the noise's 12σ tail (shared/dp/mechanism.ts).
 */
export function secureSettingsFor(n: number, graph: 'complete' | 'sparse', clipNorm: number, privacy?: PrivacySettings): SecureSettings {
  const g = graph === 'complete' ? ({ kind: 'complete' } as const) : ({ kind: 'sparse', degree: sparseDegree(n) } as const);
  const threshold = minimumThreshold(g.kind === 'complete' ? { kind: 'complete', n } : { kind: 'sparse', n, degree: g.degree });
  const headroom = privacy ? noiseHeadroomDevices(privacy, n, threshold) : 0;
  const noWrap = fixedPointScale({ clipNorm, cohortSize: n + headroom, modulusBits: 32 });
  const scale = privacy ? Math.max(1, Math.min(noWrap, maxScaleForNoise(privacy, { clipNorm, threshold }))) : noWrap;
  return { threshold, graph: g, scale };
}
