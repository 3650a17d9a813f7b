// report.html of the explanations experiment: the faithfulness figures, the deletion table and the DEL curves.
import type { ExplanationsResults } from '../experiments/explanations';
import { writeFileAtomic } from '../results';
import { renderReport } from '../report/html';
import { lineChartSvg } from '../report/plot';

/** Write the self-contained report page. */
export async function writeExplanationsReport(file: string, r: ExplanationsResults): Promise<void> {
  const ks = Object.keys(r.rows[0]?.del ?? {});
  const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : String(x));
  const svg = await lineChartSvg(
    r.rows.map((row) => ({ name: row.explainer, points: ks.map((k) => ({ x: Number(k), y: row.del[k]! })) })),
    { title: 'Deletion curves: rank fall after removing the top-k history items', xTitle: 'k (history items removed)', yTitle: 'mean rank fall' },
  );
  const html = renderReport({
    title: 'Confidant benchmark: explanations',
    facts: [
      ['dataset', `${r.dataset.name}: ${r.dataset.users} users, ${r.dataset.items} items, ${r.dataset.interactions} interactions`],
      ['model', r.model],
      ['protocol', r.protocol],
      ['measured', `${r.users} users, ${r.pairs} (user, item) pairs`],
      ['backend', r.backend],
      ['timings (s)', Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')],
      ['config', JSON.stringify(r.config)],
    ],
    tables: [
      {
        caption: 'Faithfulness of the shares',
        columns: ['figure', 'value'],
        rows: [
          ['max |bias + Σ shares − score|', r.maxShareGap.toExponential(3)],
          ['the same, in float32 ulps of the score', `${fmt(r.maxShareGapFloat32Ulps)} (${r.shareGapWithinFloat32 ? 'within' : 'NOT within'} ${String(r.config.shareGapToleranceUlps)})`],
          ['counterfactual: mean |change − share| (largest share removed)', r.counterfactualMeanAbsGap],
          ['counterfactual: Spearman ρ(share, change)', r.counterfactualRankCorrelation],
          ['counterfactual: mean share / mean change', `${fmt(r.counterfactualMeanShare)} / ${fmt(r.counterfactualMeanChange)}`],
        ],
      },
      {
        caption: 'DEL@k: mean rank fall of the recommended item when the explainer\'s top-k history items are removed (± standard error)',
        columns: ['explainer', ...ks.map((k) => `DEL@${k}`)],
        rows: r.rows.map((row) => [row.explainer, ...ks.map((k) => `${fmt(row.del[k]!)} ± ${fmt(row.delStdErr[k]!)}`)]),
      },
      {
        caption: 'Paired difference DEL@k(shares) − DEL@k(baseline) over the same (user, item) pairs (± standard error; positive: shares win)',
        columns: ['baseline', ...ks.map((k) => `DEL@${k}`)],
        rows: r.rows.filter((row) => row.sharesMinus).map((row) => [row.explainer, ...ks.map((k) => `${fmt(row.sharesMinus![k]!)} ± ${fmt(row.sharesMinusStdErr![k]!)}`)]),
      },
      {
        caption: `First removal (k = 1): score drop of the item, and mean drop of the other top-${r.pairs > 0 ? String(r.config.topK) : ''} items (its rivals); shares and cosine name the same item in ${(100 * r.firstItemAgreementSharesCosine).toFixed(1)}% of pairs`,
        columns: ['explainer', 'item score drop', 'rival score drop', 'difference'],
        rows: r.rows.map((row) => {
          const f = r.firstRemoval[row.explainer];
          return [row.explainer, f.itemScoreDrop, f.rivalScoreDrop, f.itemScoreDrop - f.rivalScoreDrop];
        }),
      },
    ],
    figures: [{ caption: 'Higher is more faithful: the named items really held the recommendation up', svg }],
    notes: [
      'Shares: the history items with the largest exact parts of the served score. Random: seeded random history items. Cosine: the history items whose item vectors are most similar to the recommended one (shard vectors concatenated).',
      'Counterfactual: the share is the exact part of the score as it is; removing the item also changes the ridge system (VᵀV + Σ (c − 1) x xᵀ + λI), so the change differs from the share by that curvature term.',
      'New ranks are among every item outside the original history, as recommend ranks them; the removed items stay out of the candidates.',
    ],
  });
  await writeFileAtomic(file, html);
}
