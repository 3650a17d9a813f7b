// Operator metrics in the Prometheus text format (prom-client): rounds, cohort sizes, survivors, refusals by code,
// rate-limited requests and request latency. Counts and durations only: no device, key, item or history.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

const SIZE_BUCKETS = [3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

/** The server's metrics. */
export interface Metrics {
  readonly registry: Registry;
  readonly rounds: Counter<'status'>;
  readonly cohortSize: Histogram<string>;
  readonly survivors: Histogram<string>;
  readonly refusals: Counter<'code' | 'transport'>;
  readonly rateLimited: Counter<string>;
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  /** Feed a coordinator event (server/rounds/coordinator.ts) into the round metrics. */
  roundEvent(event: string, fields: Record<string, unknown>): void;
}

/** Create a registry with the process's default metrics and ours. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'confidant_' });
  const rounds = new Counter({ name: 'confidant_rounds_total', help: 'Rounds that ended, by status (completed, aborted).', labelNames: ['status'] as const, registers: [registry] });
  const cohortSize = new Histogram({ name: 'confidant_round_cohort_size', help: 'Devices sampled into a round.', buckets: SIZE_BUCKETS, registers: [registry] });
  const survivors = new Histogram({ name: 'confidant_round_survivors', help: 'Devices whose update counted in a completed round.', buckets: SIZE_BUCKETS, registers: [registry] });
  const refusals = new Counter({ name: 'confidant_refusals_total', help: 'Messages and requests refused, by refusal code and transport.', labelNames: ['code', 'transport'] as const, registers: [registry] });
  const rateLimited = new Counter({ name: 'confidant_http_rate_limited_total', help: 'HTTP requests refused by the per-address rate limit.', registers: [registry] });
  const requestSeconds = new Histogram({
    name: 'confidant_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern (never the path itself), method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    registry,
    rounds,
    cohortSize,
    survivors,
    refusals,
    rateLimited,
    requestSeconds,
    roundEvent(event, fields) {
      if (event === 'round.started' && typeof fields.cohort === 'number') cohortSize.observe(fields.cohort);
      else if (event === 'round.completed') {
        rounds.inc({ status: 'completed' });
        if (typeof fields.contributors === 'number') survivors.observe(fields.contributors);
      } else if (event === 'round.aborted') rounds.inc({ status: 'aborted' });
    },
  };
}
