// The contract every aggregator meets: fixed-point inputs of a cohort in, their exact sum mod 2^32 out.

/** When a device stops responding, relative to the stages of secure aggregation. */
export type DropStage = 'advertise' | 'shares' | 'masked' | 'confirm' | 'unmask';

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
