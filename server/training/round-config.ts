// A round's configuration from the deployment's settings and the sampled cohort: one function for the
// coordinator and the benchmarks, so both announce the same threshold, scale, clipping and noise.
import { roundNoise, type PrivacySettings, type RoundNoise } from '../../shared/dp/mechanism';
import { secureSettingsFor, type SafetySettings } from '../../shared/secagg/round-settings';
import type { RoundConfig } from '../../shared/protocol/messages';
import { LOCAL_LEARNING_RATE } from '../../models/federated/end-of-round';
import { clipFlagIndex, updateLength, type UpdateLayout } from '../../models/federated/update-vector';

/** What a round's configuration depends on besides the cohort size. */
export interface RoundConfigSettings {
  graph: 'complete' | 'sparse';
  clipNorm: number;
  localEpochs: number;
  stageTimeoutMs: number;
  /** The corrupt fraction γ the threshold and quorum assume, and the dropout they must survive. */
  safety: SafetySettings;
  /** Differential privacy; absent or mode 'off' for none. */
  privacy?: PrivacySettings | undefined;
}

/** The privacy settings when noise is on, else undefined. */
export function activePrivacy(privacy: PrivacySettings | undefined): PrivacySettings | undefined {
  return privacy && privacy.mode !== 'off' ? privacy : undefined;
}

/**
 * The configuration devices are invited with, and the noise the sum must carry. Throws (a SecAggError or
 * RangeError) when no safe configuration exists for a cohort of `cohort` devices.
 */
export function roundConfig(cohort: number, layout: UpdateLayout, s: RoundConfigSettings): { config: RoundConfig; noise: RoundNoise } {
  const privacy = activePrivacy(s.privacy);
  const secure = secureSettingsFor(cohort, s.graph, s.clipNorm, privacy, s.safety);
  const vectorLength = updateLength(layout);
  const noise = privacy ? roundNoise(privacy, { clipNorm: s.clipNorm, scale: secure.scale, dimension: vectorLength, threshold: secure.threshold }) : { sumSigma: 0, serverSigma: 0, deviceSigma: 0 };
  const config: RoundConfig = {
    ...secure,
    vectorLength,
    clipFlagIndex: clipFlagIndex(layout),
    clipNorm: s.clipNorm,
    localEpochs: s.localEpochs,
    localLearningRate: LOCAL_LEARNING_RATE,
    deviceNoiseStd: noise.deviceSigma,
    stageTimeoutMs: s.stageTimeoutMs,
  };
  return { config, noise };
}
