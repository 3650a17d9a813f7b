// report.html of a single-model experiment: the metrics table beside the baselines, and the training curve.
import type { ModelResults } from '../results';
import { writeFileAtomic } from '../results';
import { lineChartSvg, type Series } from './plot';
import { renderReport } from './html';

/** Write the report page for centralized (and federated) results. */
export async function writeModelReport(file: string, results: ModelResults, extraSeries: Series[] = []): Promise<void> {
  const keys = Object.keys(results.metrics);
  const baselineNames = Object.keys(results.baselines);
  const rows = [
    [results.experiment, ...keys.map((k) => (results.metrics as Record<string, number>)[k])],
    ...baselineNames.map((b) => [b, ...keys.map((k) => (results.baselines[b] as Record<string, number | undefined>)[k])]),
  ];
  const curveKeys = results.curve.length > 0 ? Object.keys(results.curve[0]!).filter((k) => k !== 'epoch' && k !== 'loss') : [];
  const figures: { caption: string; svg: string }[] = [];
  for (const key of curveKeys) {
    const series: Series[] = [{ name: results.experiment, points: results.curve.map((r) => ({ x: r.epoch, y: r[key]! })) }, ...extraSeries.filter((s) => s.name.endsWith(key))];
    const rules = baselineNames
      .map((b) => ({ name: b, y: (results.baselines[b] as Record<string, number | undefined>)[key] ?? Number.NaN }))
      .filter((r) => Number.isFinite(r.y));
    figures.push({ caption: `${key} after each epoch (dashed: baselines)`, svg: await lineChartSvg(series, { title: `${key} during training`, xTitle: 'epoch', yTitle: key, rules }) });
  }
  if (results.curve.some((r) => r.loss !== undefined)) {
    figures.push({
      caption: 'Training loss (weighted squared error + regularisation)',
      svg: await lineChartSvg([{ name: 'loss', points: results.curve.map((r) => ({ x: r.epoch, y: r.loss! })) }], { title: 'Training loss', xTitle: 'epoch', yTitle: 'loss' }),
    });
  }
  const html = renderReport({
    title: `Confidant benchmark: ${results.experiment} (${results.protocol})`,
    facts: [
      ['dataset', `${results.dataset.name}: ${results.dataset.users} users, ${results.dataset.items} items, ${results.dataset.interactions} interactions`],
      ['protocol', results.protocol],
      ['backend', results.backend],
      ['timings (s)', Object.entries(results.timings).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')],
      ['config', JSON.stringify(results.config)],
    ],
    tables: [{ caption: 'Metrics', columns: ['model', ...keys], rows }],
    figures,
  });
  await writeFileAtomic(file, html);
}
