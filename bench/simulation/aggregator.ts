// The contract every aggregator meets: fixed-point inputs of a cohort in, their exact sum mod 2^32 out.

import type { SecureStage } from '../../shared/secagg/stages';

/** When a device stops responding: the first stage of secure aggregation (shared/secagg/stages.ts) it misses. */
export type DropStage = SecureStage;

/** One round's inputs, as a test or a simulation states them. */
export interface AggregationInput {
  /** Fixed-point inputs by device id (all the same length). */
  inputs: Map<string, Uint32Array>;
  /** Devices that drop out, and the first stage they miss. */
  drops?: Map<string, DropStage>;
  /** Minimum number of devices that must survive. */
  threshold: number;
}

/** The outcome: the sum over the devices whose input counted, or an abort with its reason. */
export type AggregationResult = { status: 'completed'; sum: Uint32Array; contributors: string[] } | { status: 'aborted'; reason: string };

/** An aggregator: plain sum (no privacy) or secure aggregation (the server sees only the sum). */
export interface Aggregator {
  name: string;
  aggregate(round: AggregationInput): Promise<AggregationResult>;
}
