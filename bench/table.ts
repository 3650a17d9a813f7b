// Plain-text results tables for the terminal.
import type { ModelResults } from './results';

/** Format rows as an aligned text table. */
export function formatTable(columns: string[], rows: (string | number | undefined)[][]): string {
  const text = rows.map((r) => r.map((c) => (c === undefined ? '–' : typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(4)) : c)));
  const widths = columns.map((c, j) => Math.max(c.length, ...text.map((r) => (r[j] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

/** Print a model's metrics beside its baselines. */
export function printMetricsTable(results: ModelResults): void {
  const keys = Object.keys(results.metrics);
  const rows = [
    [results.experiment, ...keys.map((k) => (results.metrics as Record<string, number>)[k])],
    ...Object.entries(results.baselines).map(([name, m]) => [name, ...keys.map((k) => (m as Record<string, number | undefined>)[k])]),
  ];
  process.stdout.write(`\n${formatTable(['model', ...keys], rows)}\n`);
}
