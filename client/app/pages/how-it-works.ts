// How it works: the model card (GET /v1/transparency) in plain words — the model, training, the privacy budget per
// shard as a meter, the rounds over time as a chart, the deletions honoured, and whether demo devices trained it.
import { transparencyResponseSchema, type TransparencyResponse } from '../../../shared/protocol/http';
import { h, replace } from '../dom';
import { language, t } from '../i18n';
import type { Controller } from '../controller';
import { errorText } from '../errors';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, ...children: (Element | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** Devices (and survivors) of each round's version over time, as an SVG chart with a text alternative. */
function roundsChart(card: TransparencyResponse): Element {
  const rounds = card.versions.filter((v) => v.cause === 'round').sort((a, b) => a.createdAt - b.createdAt);
  const width = 320;
  const height = 120;
  const pad = 24;
  if (rounds.length === 0) return h('p', {}, t('how.rounds.summary', { completed: card.rounds.completed, aborted: card.rounds.aborted }));
  const t0 = rounds[0]!.createdAt;
  const t1 = Math.max(rounds[rounds.length - 1]!.createdAt, t0 + 1);
  const maxDevices = Math.max(1, ...rounds.map((r) => r.cohortSize));
  const x = (ms: number) => pad + ((width - 2 * pad) * (ms - t0)) / (t1 - t0);
  const y = (n: number) => height - pad - ((height - 2 * pad) * n) / maxDevices;
  const title = svg('title', {}, t('how.rounds.chart'));
  const desc = svg('desc', {}, t('how.rounds.summary', { completed: card.rounds.completed, aborted: card.rounds.aborted }));
  const bars = rounds.map((r) => svg('g', { 'data-version': r.version }, svg('line', { x1: x(r.createdAt), x2: x(r.createdAt), y1: y(0), y2: y(r.cohortSize), class: 'cohort' }), svg('circle', { cx: x(r.createdAt), cy: y(r.survivors), r: 3, class: 'survivors' })));
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart', 'aria-labelledby': 'rounds-chart-title' },
    Object.assign(title, { id: 'rounds-chart-title' }), desc,
    svg('line', { x1: pad, x2: width - pad, y1: y(0), y2: y(0), class: 'axis' }),
    svg('text', { x: 2, y: y(maxDevices) + 4, class: 'tick' }, String(maxDevices)),
    svg('text', { x: 2, y: y(0), class: 'tick' }, '0'),
    ...bars);
}

function cardView(card: TransparencyResponse): HTMLElement {
  const p = card.privacy;
  const when = (ms: number) => new Date(ms).toLocaleString(language());
  const cause = (v: TransparencyResponse['versions'][number]) => v.cause === 'initial' ? t('how.rounds.cause.initial') : v.cause === 'round' ? t('how.rounds.cause.round', { round: v.round ?? '?', shard: v.shard ?? 0 }) : t('how.rounds.cause.rollback', { shard: v.shard ?? 0 });
  return h(
    'div',
    { class: 'card', 'data-model-version': card.model.version },
    card.demo && h('section', { class: 'demo', 'data-demo-devices': card.demo.devices }, h('h2', {}, t('how.demo')), h('p', {}, t('how.demo.text', { devices: card.demo.devices }))),
    h('h2', {}, t('how.model')),
    h('p', {}, t('how.model.text', { version: card.model.version, items: card.model.items.toLocaleString(language()), dim: card.model.dim })),
    card.model.shards > 1 && h('p', {}, t('how.model.shards', { shards: card.model.shards })),
    h('p', {}, t('how.scores')),
    h('h2', {}, t('how.training')),
    h('p', {}, t('how.training.text', { rate: card.training.samplingRate, clip: card.training.clipNorm, secagg: card.training.secureAggregation, minCohort: card.training.minCohort })),
    h('h2', {}, t('how.privacy')),
    p.mode === 'off' || p.epsilonBudget === null
      ? h('div', {}, h('p', {}, t('how.privacy.none')), h('ul', {}, p.shards.map((s) => h('li', {}, t('how.privacy.noneShard', { shard: s.shard, rounds: s.rounds })))))
      : h('div', {},
          h('p', {}, t('how.privacy.dp', { mode: p.mode, sigma: p.noiseMultiplier ?? '?', delta: p.delta ?? '?' })),
          p.shards.map((s) => {
            const id = `epsilon-${s.shard}`;
            const label = s.epsilon === null ? t('how.privacy.noneShard', { shard: s.shard, rounds: s.rounds }) : t('how.privacy.meterLabel', { shard: s.shard, epsilon: s.epsilon.toFixed(3), budget: p.epsilonBudget!, rounds: s.rounds });
            return h('div', { class: 'meter' }, h('label', { for: id }, label), h('meter', { id, min: 0, max: p.epsilonBudget!, value: String(s.epsilon ?? p.epsilonBudget!), low: p.epsilonBudget! * 0.5, high: p.epsilonBudget! * 0.8, optimum: 0 }));
          }),
          h('p', {}, t('how.privacy.meaning', { budget: p.epsilonBudget! }))),
    h('h2', {}, t('how.rounds')),
    h('p', { 'data-rounds-completed': card.rounds.completed }, t('how.rounds.summary', { completed: card.rounds.completed, aborted: card.rounds.aborted })),
    roundsChart(card),
    h('table', { class: 'versions' },
      h('caption', {}, t('how.rounds.table')),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('how.rounds.col.version')), h('th', { scope: 'col' }, t('how.rounds.col.cause')), h('th', { scope: 'col' }, t('how.rounds.col.devices')), h('th', { scope: 'col' }, t('how.rounds.col.time')))),
      h('tbody', {}, card.versions.map((v) => h('tr', { 'data-version': v.version, 'data-cause': v.cause }, h('td', {}, v.version), h('td', {}, cause(v)), h('td', {}, v.cause === 'initial' ? '—' : `${v.cohortSize} (${v.survivors})`), h('td', {}, when(v.createdAt)))))),
    h('h2', {}, t('how.deletions')),
    h('p', { 'data-deletions-honoured': card.deletions.honoured }, t('how.deletions.text', { honoured: card.deletions.honoured, pending: card.deletions.pending })),
    h('p', { class: 'help' }, t('how.receiptKey', { key: card.receiptKey.id, fingerprint: card.receiptKey.fingerprint })),
  );
}

/** The last card shown: a re-render shows it at once while the fresh one loads. */
let lastCard: TransparencyResponse | undefined;

/** The How it works page (the card is fetched each time the page is shown). */
export function howItWorksPage(c: Controller): HTMLElement {
  const body = h('div', {}, lastCard ? cardView(lastCard) : h('p', { role: 'status' }, t('status.loading')));
  c.api.json('/v1/transparency', transparencyResponseSchema, { cache: 'no-store' }).then(
    (card) => {
      lastCard = card;
      replace(body, cardView(card));
    },
    (err: unknown) => replace(body, h('p', { role: 'alert' }, t('how.unavailable', { reason: errorText(err) })), lastCard ? cardView(lastCard) : null),
  );
  return h('section', {}, h('h1', {}, t('how.heading')), body);
}
