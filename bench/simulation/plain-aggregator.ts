// The plain aggregator: the server sees every input and adds them (the baseline and the oracle for secure sums).
import type { AggregationInput, AggregationResult, Aggregator } from './aggregator';
import { dropMissesInput } from '../../shared/secagg/stages';

/** Inputs of devices that drop before sending their vector do not count; fewer than t contributors abort. */
export function createPlainAggregator(): Aggregator {
  return {
    name: 'plain',
    async aggregate(round: AggregationInput): Promise<AggregationResult> {
      const contributors = [...round.inputs.keys()].filter((id) => {
        const drop = round.drops?.get(id);
        return drop === undefined || !dropMissesInput(drop);
      }).sort();
      if (contributors.length < round.threshold) return { status: 'aborted', reason: `${contributors.length} devices sent inputs, fewer than the threshold ${round.threshold}` };
      const length = round.inputs.values().next().value?.length ?? 0;
      const sum = new Uint32Array(length);
      for (const id of contributors) {
        const x = round.inputs.get(id)!;
        for (let n = 0; n < length; n++) sum[n] = (sum[n]! + x[n]!) >>> 0;
      }
      return { status: 'completed', sum, contributors };
    },
  };
}
