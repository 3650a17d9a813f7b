// Shop: browse by category, search, and the item page (rate, add to cart, similar items). Every visit, rating,
// purchase and search is an event kept only on this device, unless its type or category is switched off.
import { searchCatalogue } from '../../core/catalogue';
import { similarItems, similarityIndex, type SimilarityIndex } from '../../../shared/recommend/similar';
import type { CatalogueItem } from '../../../shared/protocol/http';
import type { LoadedModel } from '../../core/model';
import { categoriesAllowed } from '../../core/permissions';
import { h } from '../dom';
import { t } from '../i18n';
import type { Controller } from '../controller';

const PAGE = 50;
/** What the shopper is browsing (kept while they move between pages). */
const browsing = { query: '', category: '', shown: PAGE };

/** A link to an item's page. */
export function itemLink(item: CatalogueItem): HTMLElement {
  return h('a', { href: `/item/${item.id}`, 'data-item': item.id }, item.title);
}

/** The Shop page. */
export function shopPage(c: Controller): HTMLElement {
  const { catalogue } = c.state;
  if (!catalogue) return h('section', {}, h('h1', {}, t('shop.heading')), h('p', { role: 'status' }, t('status.loading')));
  const results = searchCatalogue(catalogue, browsing.query, browsing.category || undefined, Number.MAX_SAFE_INTEGER);
  const list = h('ul', { class: 'items', 'aria-label': t('shop.results', { count: results.length }) }, results.slice(0, browsing.shown).map((item) => h('li', {}, itemLink(item), h('span', { class: 'cats' }, item.categories.join(' · ')))));
  const search = h('input', { type: 'search', id: 'shop-search', value: browsing.query, maxlength: 200, autocomplete: 'off' });
  const category = h('select', { id: 'shop-category' }, h('option', { value: '' }, t('shop.allCategories')), catalogue.categories.map((cat) => h('option', { value: cat, selected: cat === browsing.category }, cat)));
  category.addEventListener('change', () => {
    browsing.category = category.value;
    browsing.shown = PAGE;
    c.render();
  });
  const form = h(
    'form',
    {
      role: 'search',
      class: 'filters',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        browsing.query = search.value.trim();
        browsing.shown = PAGE;
        if (browsing.query) void c.record({ type: 'search', query: browsing.query, categories: browsing.category ? [browsing.category] : [], time: Date.now() });
        c.render();
      },
    },
    h('label', { for: 'shop-category' }, t('shop.category')),
    category,
    h('label', { for: 'shop-search' }, t('shop.search')),
    search,
    h('button', { type: 'submit' }, t('shop.searchButton')),
  );
  return h(
    'section',
    {},
    h('h1', {}, t('shop.heading')),
    form,
    h('p', { role: 'status' }, results.length ? t('shop.results', { count: results.length }) : t('shop.noResults')),
    list,
    results.length > browsing.shown &&
      h('button', {
        type: 'button',
        onclick: () => {
          browsing.shown += PAGE;
          c.render();
        },
      }, t('shop.more')),
  );
}

let similarCache: { model: LoadedModel; index: SimilarityIndex } | undefined;

/** The item page; records the visit once per opening. */
export function itemPage(c: Controller, id: number, firstRender: boolean): HTMLElement {
  const item = c.state.catalogue?.byId(id);
  if (!c.state.catalogue) return h('section', {}, h('p', { role: 'status' }, t('status.loading')));
  if (!item) return h('section', {}, h('p', {}, t('item.notFound')), h('a', { href: '/shop' }, t('item.back')));
  const { permissions } = c.state;
  if (firstRender) void c.record({ type: 'view', item: item.id, categories: [...item.categories], time: Date.now() });
  const keptOut = item.categories.find((cat) => permissions.excludedCategories.includes(cat));
  const latest = c.state.events.filter((e) => e.type === 'rating' && e.item === id).sort((a, b) => b.time - a.time)[0];
  const stars = h('select', { id: 'rate-stars' }, [5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5, 1, 0.5].map((s) => h('option', { value: s, selected: s === (latest?.stars ?? 5) }, `${s} ★`)));
  const note = h('p', { role: 'status', class: 'note' }, c.state.flash ?? '');
  const say = (text: string) => {
    c.state.flash = text;
    c.render();
  };
  const rate = h('button', {
    type: 'button',
    onclick: async () => {
      const value = Number(stars.value);
      const ok = await c.record({ type: 'rating', item: item.id, categories: [...item.categories], stars: value, time: Date.now() });
      say(ok ? t('item.rated', { stars: value }) : keptOut ? t('item.keptOut', { category: keptOut }) : t('item.typeOff', { type: t('perm.type.rating') }));
    },
  }, t('item.rateButton'));
  const cart = h('button', {
    type: 'button',
    onclick: async () => {
      const ok = await c.record({ type: 'purchase', item: item.id, categories: [...item.categories], time: Date.now() });
      say(ok ? t('item.added') : keptOut ? t('item.keptOut', { category: keptOut }) : t('item.typeOff', { type: t('perm.type.purchase') }));
    },
  }, t('item.addToCart'));
  // Similar items from the downloaded model, on the device: asking the server would tell it what you look at.
  let similar: CatalogueItem[] = [];
  const { model, catalogue } = c.state;
  const row = catalogue.rowOf(id);
  if (model && row !== undefined && row < model.tables.shards[0]!.items) {
    if (similarCache?.model !== model) similarCache = { model, index: similarityIndex(model.tables) };
    similar = similarItems(model.tables, similarCache.index, row, 6, (r) => !categoriesAllowed(permissions, catalogue.items[r]!.categories)).map((n) => catalogue.items[n.item]!);
  }
  return h(
    'section',
    { class: 'item' },
    h('h1', {}, item.title),
    h('p', {}, t('item.categories', { list: item.categories.join(', ') })),
    keptOut && h('p', { class: 'note' }, t('item.keptOut', { category: keptOut })),
    h('div', { class: 'actions' }, h('label', { for: 'rate-stars' }, t('item.rate')), stars, rate, cart),
    note,
    similar.length > 0 && h('h2', {}, t('item.similar')),
    similar.length > 0 && h('ul', { class: 'items' }, similar.map((s) => h('li', {}, itemLink(s)))),
    h('p', {}, h('a', { href: '/shop' }, t('item.back'))),
  );
}
