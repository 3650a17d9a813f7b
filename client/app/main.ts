// The app's entry: open the device store (a storage failure is a page in words, never a blank one), start the
// controller, and route between the five pages with the history API.
import './styles.css';
import { createApi } from '../core/api';
import { openIdbStore } from '../store/idb-store';
import { StorageError } from '../store/store';
import { createController, type Controller } from './controller';
import { workerModelSource } from './model-worker';
import { errorText } from './errors';
import { h, replace } from './dom';
import { LANGUAGES, isLanguage, language as currentLanguage, pickLanguage, setLanguage, t, type MessageKey } from './i18n';
import { forYouPage } from './pages/for-you';
import { howItWorksPage } from './pages/how-it-works';
import { myDataPage } from './pages/my-data';
import { permissionsPage } from './pages/permissions';
import { itemPage, shopPage } from './pages/shop';

const root = document.getElementById('app')!;
/** How often the app asks whether a newer model version exists. */
const MODEL_CHECK_MS = 60_000;
const PAGES: { path: string; key: MessageKey }[] = [
  { path: '/shop', key: 'nav.shop' },
  { path: '/for-you', key: 'nav.forYou' },
  { path: '/permissions', key: 'nav.permissions' },
  { path: '/my-data', key: 'nav.myData' },
  { path: '/how-it-works', key: 'nav.howItWorks' },
];

function storageProblem(err: StorageError): void {
  const text = err.reason === 'full' ? t('storage.full') : err.reason === 'blocked' ? t('storage.blocked') : t('storage.unavailable');
  replace(root, h('main', { class: 'problem' }, h('h1', {}, t('storage.title')), h('p', { role: 'alert' }, text)));
}

/** The status line: offline, a refused model, training. */
function banner(c: Controller): HTMLElement | null {
  const s = c.state;
  const lines: string[] = [];
  if (!s.online) lines.push(s.model ? t('status.offline', { version: s.model.version }) : t('status.offlineNoModel'));
  if (s.modelRefused && s.model) lines.push(t('status.modelRefused', { version: s.model.version }));
  if (s.training.state === 'connected') lines.push(t('status.training'));
  if (s.training.state === 'error') lines.push(t('status.trainingError'));
  return lines.length ? h('div', { class: 'banner', role: 'status', 'data-online': String(s.online), 'data-training': s.training.state }, lines.map((l) => h('p', {}, l))) : null;
}

async function boot(): Promise<void> {
  let store;
  try {
    store = await openIdbStore();
  } catch (err) {
    if (err instanceof StorageError) return storageProblem(err);
    throw err;
  }
  setLanguage(pickLanguage(await store.setting('language').catch(() => undefined), navigator.languages));
  const c = await createController({ store, api: createApi({ baseUrl: '', fetch: (i, init) => fetch(i, init) }), origin: location.origin, models: workerModelSource(location.origin) });
  const main = h('main', { id: 'main', tabindex: -1 });
  let path = location.pathname;
  let fresh = true; // the item page records a visit on the first render after navigation only
  let renderedPath = '';

  const page = (): HTMLElement => {
    const item = /^\/item\/([0-9]{1,16})$/.exec(path);
    if (item) return itemPage(c, Number(item[1]), fresh);
    switch (path) {
      case '/for-you':
        return forYouPage(c);
      case '/permissions':
        return permissionsPage(c);
      case '/my-data':
        return myDataPage(c);
      case '/how-it-works':
        return howItWorksPage(c);
      default:
        return shopPage(c);
    }
  };

  const render = () => {
    document.documentElement.lang = currentLanguage();
    document.title = t('app.title');
    const language = h('select', { id: 'language', 'aria-label': t('lang.label') }, Object.entries(LANGUAGES).map(([code, l]) => h('option', { value: code, selected: code === currentLanguage(), lang: code }, l.name)));
    language.addEventListener('change', () => {
      if (!isLanguage(language.value)) return;
      setLanguage(language.value);
      void c.setSetting('language', language.value);
    });
    const active = PAGES.find((p) => path === p.path || (p.path === '/shop' && (path === '/' || path.startsWith('/item/'))));
    const nav = h('nav', { 'aria-label': t('nav.label') }, h('ul', {}, PAGES.map((p) => h('li', {}, h('a', { href: p.path, ...(p === active && { 'aria-current': 'page' }) }, t(p.key))))));
    // A re-render of the same page (a new model version, a training status) keeps what the person was typing or
    // choosing, and where the focus was; a new page starts afresh.
    const kept = new Map<string, string>();
    if (path === renderedPath) {
      for (const el of main.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[id], select[id]')) {
        if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'range')) continue; // these show stored state
        kept.set(el.id, el.value);
      }
    }
    const focused = path === renderedPath && document.activeElement instanceof HTMLElement ? document.activeElement.id : '';
    replace(main, page());
    for (const [id, value] of kept) {
      const el = main.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(id)}`);
      if (el) el.value = value;
    }
    renderedPath = path;
    fresh = false;
    replace(root, h('header', {}, h('p', { class: 'brand' }, t('app.title'), h('span', { class: 'tagline' }, t('app.tagline'))), nav, h('div', { class: 'lang' }, language)), banner(c), main);
    if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
  };

  const go = (to: string, push: boolean) => {
    if (push) history.pushState(null, '', to);
    path = new URL(to, location.origin).pathname;
    fresh = true;
    c.state.flash = undefined;
    void c.reload(); // re-reads the store and renders
    void c.refreshModel(); // a new version since the last page? (one small request when there is none)
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  };
  document.addEventListener('click', (ev) => {
    const a = (ev.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
    const url = new URL(a.href, location.origin);
    if (url.origin !== location.origin || url.pathname.startsWith('/v1/')) return;
    ev.preventDefault();
    go(url.pathname, true);
  });
  window.addEventListener('popstate', () => go(location.pathname, false));
  c.subscribe(render);
  render();
  // Rounds make new versions: look for one now and then (the device keeps working from the last good one).
  setInterval(() => void c.refreshModel(), MODEL_CHECK_MS);
}

// The service worker keeps the app's files for offline use (built as /sw.js; absent in the dev server).
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
    // no offline copy of the app: it still works online, and offline while it stays open
  });
}

boot().catch((err: unknown) => {
  if (err instanceof StorageError) return storageProblem(err);
  replace(root, h('main', { class: 'problem' }, h('p', { role: 'alert' }, errorText(err))));
});
