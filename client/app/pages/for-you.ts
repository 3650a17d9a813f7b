// For you: recommendations from the downloaded model and this device's history, each with a "Why?" that shows the
// exact shares (they add up to the score), "Not interested", the Variety control, and a not personalised feed.
import { assistedFeed } from '../../core/assisted';
import { deviceFeed, popularFeed, blockedRows, type Feed, type FeedItem } from '../../core/feed';
import { historyOf } from '../../core/history';
import type { EventType } from '../../core/events';
import { h, replace, toggle } from '../dom';
import { t, type MessageKey } from '../i18n';
import type { Controller } from '../controller';
import { itemLink } from './shop';
import { errorText } from '../errors';

/** How many history items the one-line reason names. */
const NAMED_REASONS = 2;
/** Variety levels the control steps through. */
const VARIETY_STEP = 0.25;

/** The strongest thing the person did with each item (rating > purchase > view), for the reason's verb. */
function verbs(c: Controller): Map<number, EventType> {
  const rank: Record<EventType, number> = { rating: 3, purchase: 2, view: 1, search: 0 };
  const out = new Map<number, EventType>();
  for (const e of c.state.events) {
    if (e.item === undefined) continue;
    const had = out.get(e.item);
    if (!had || rank[e.type] > rank[had]) out.set(e.item, e.type);
  }
  return out;
}

/** The one-line reason: the largest positive shares named, or popularity when no share is positive. */
function reasonLine(r: FeedItem, verbOf: Map<number, EventType>): string {
  const named = r.shares.filter((s) => s.share > 0).slice(0, NAMED_REASONS);
  if (named.length === 0) return t('forYou.popularityOnly');
  const parts = named.map((s) => t('forYou.reasonItem', { verb: t(`forYou.verb.${verbOf.get(s.item.id) ?? 'view'}` as MessageKey), title: s.item.title }));
  return t('forYou.because', { reasons: parts.join(t('forYou.and')) });
}

const fmt = (x: number) => (Math.abs(x) < 1e-4 && x !== 0 ? x.toExponential(2) : x.toFixed(4));

/** The exact breakdown: one line per share, the bias, and the score they add up to (unrounded values in data-value). */
function breakdown(r: FeedItem): HTMLElement {
  return h(
    'table',
    { class: 'breakdown', 'data-score': String(r.score) },
    h('caption', {}, t('forYou.breakdown')),
    h('tbody', {},
      r.shares.map((s) => h('tr', { class: 'share', 'data-value': String(s.share), 'data-item': s.item.id }, h('th', { scope: 'row' }, t('forYou.breakdown.item', { title: s.item.title })), h('td', {}, fmt(s.share)))),
      h('tr', { class: 'bias', 'data-value': String(r.bias) }, h('th', { scope: 'row' }, t('forYou.breakdown.bias')), h('td', {}, fmt(r.bias))),
      h('tr', { class: 'total', 'data-value': String(r.score) }, h('th', { scope: 'row' }, t('forYou.breakdown.total')), h('td', {}, fmt(r.score))),
    ),
    h('tfoot', {}, h('tr', {}, h('td', { colspan: 2 }, t('forYou.breakdown.note')))),
  );
}

/** Items whose "Why?" is open (kept across re-renders, so a new model version does not close it). */
const openWhy = new Set<number>();

function personalItem(c: Controller, r: FeedItem, verbOf: Map<number, EventType>): HTMLElement {
  const isOpen = openWhy.has(r.item.id);
  const why = h('div', { class: 'why', hidden: !isOpen, id: `why-${r.item.id}` }, isOpen && breakdown(r));
  const whyButton = h('button', { type: 'button', 'aria-expanded': String(isOpen), 'aria-controls': `why-${r.item.id}` }, isOpen ? t('forYou.hideWhy') : t('forYou.why'));
  whyButton.addEventListener('click', () => {
    const open = why.hidden;
    if (open) openWhy.add(r.item.id);
    else openWhy.delete(r.item.id);
    why.hidden = !open;
    whyButton.setAttribute('aria-expanded', String(open));
    whyButton.textContent = open ? t('forYou.hideWhy') : t('forYou.why');
    if (open && !why.firstChild) why.append(breakdown(r));
  });
  const variety = r.forVariety ? (r.adds.length ? t('forYou.variety.reason', { categories: r.adds.join(', ') }) : t('forYou.variety.reasonPlain')) : undefined;
  return h(
    'li',
    { class: 'rec', 'data-item': r.item.id, 'data-score': String(r.score), 'data-variety': r.forVariety ? 'true' : 'false' },
    h('div', { class: 'rec-head' }, itemLink(r.item), h('span', { class: 'cats' }, r.item.categories.join(' · '))),
    h('p', { class: 'reason' }, reasonLine(r, verbOf)),
    variety && h('p', { class: 'reason variety' }, variety),
    h('div', { class: 'actions' }, whyButton, h('button', { type: 'button', onclick: () => void c.notInterested(r.item.id), 'aria-label': `${t('forYou.notInterested')}: ${r.item.title}` }, t('forYou.notInterested'))),
    why,
  );
}

/** Render a feed into `list`. */
function renderFeed(c: Controller, feed: Feed, into: HTMLElement): void {
  if (feed.kind === 'popular') {
    replace(into, h('p', { class: 'label', 'data-feed': 'popular' }, t(`forYou.popular.${feed.reason}` as MessageKey)), h('ol', { class: 'items', 'data-feed': 'popular' }, feed.items.map((p) => h('li', { 'data-item': p.item.id }, itemLink(p.item), h('span', { class: 'cats' }, p.item.categories.join(' · '))))));
    return;
  }
  const verbOf = verbs(c);
  const label = feed.source === 'device' ? t('forYou.source.device', { version: c.state.model?.version ?? '?' }) : t('forYou.source.server');
  replace(into, h('p', { class: 'label', 'data-feed': 'personal' }, label), feed.items.length ? h('ol', { class: 'items', 'data-feed': 'personal' }, feed.items.map((r) => personalItem(c, r, verbOf))) : h('p', {}, t('forYou.empty')));
}

let assisted: { key: string; feed: Promise<Feed> } | undefined;

/** The For you page. */
export function forYouPage(c: Controller): HTMLElement {
  const { state } = c;
  const list = h('div', { class: 'feed', 'aria-live': 'polite' });
  const variety = h('input', { type: 'range', id: 'variety', min: 0, max: 1, step: VARIETY_STEP, value: String(state.variety), 'aria-describedby': 'variety-help', 'aria-valuetext': `${Math.round(state.variety * 100)}%` });
  variety.addEventListener('change', () => void c.setSetting('variety', Number(variety.value)));
  const controls = h(
    'div',
    { class: 'controls' },
    toggle({ id: 'not-personalised', label: t('forYou.notPersonalised'), checked: state.feedMode === 'popular', onchange: (on) => void c.setSetting('feedMode', on ? 'popular' : 'personal') }),
    h('div', { class: 'range' }, h('label', { for: 'variety' }, t('forYou.variety')), variety, h('p', { class: 'help', id: 'variety-help' }, t('forYou.varietyHelp'))),
  );
  const page = h('section', {}, h('h1', {}, t('forYou.heading')), controls, list);
  const { catalogue, model, permissions } = state;
  if (!catalogue) {
    replace(list, h('p', { role: 'status' }, t('status.loading')));
    return page;
  }
  const history = historyOf(state.events, permissions, state.notInterested);
  const serverAllowed = permissions.uses.serverAssisted && state.online && history.items.length > 0;
  const viaServer = () => {
    replace(list, h('p', { role: 'status' }, t('status.loading')));
    // One request per distinct question: a re-render (a status change, say) does not send the history again.
    const key = JSON.stringify([history, permissions.excludedCategories, state.variety]);
    if (assisted?.key !== key) assisted = { key, feed: assistedFeed({ api: c.api, store: c.store, catalogue, history, permissions, variety: state.variety, now: Date.now() }) };
    assisted.feed.then(
      (feed) => renderFeed(c, feed, list),
      (err: unknown) => replace(list, h('p', { role: 'alert' }, errorText(err))),
    );
  };
  if (state.feedMode === 'popular' && model) renderFeed(c, popularFeed(model, catalogue, blockedRows(catalogue, permissions, state.notInterested), 'chosen'), list);
  else if (!permissions.uses.personalise) {
    if (serverAllowed) viaServer();
    else if (model) renderFeed(c, popularFeed(model, catalogue, blockedRows(catalogue, permissions, state.notInterested), 'not-allowed'), list);
    else replace(list, h('p', {}, t('forYou.noModel')));
  } else if (model) {
    performance.mark('confidant:recommend:start');
    const feed = deviceFeed({ model, catalogue, history, permissions, notInterested: state.notInterested, variety: state.variety });
    performance.measure('confidant:recommend', 'confidant:recommend:start');
    renderFeed(c, feed, list);
  } else if (serverAllowed) viaServer();
  else replace(list, h('p', {}, t('forYou.noModel')));
  return page;
}
