// My data: the activity kept on this device (delete one, or everything older than N days), what the device sent
// (rounds joined, server-assisted requests; never the raw update), Export my data, and Delete my data with its
// receipt — also from another browser, with the recovery code.
import { historyOf } from '../../core/history';
import { eventAllowed } from '../../core/permissions';
import type { ShopEvent } from '../../core/events';
import { exportDocument } from '../../store/export';
import type { SentRecord } from '../../store/store';
import type { DeletionState } from '../../deletion/flow';
import { h } from '../dom';
import { language, t, type MessageKey } from '../i18n';
import type { Controller } from '../controller';
import { errorText, receiptProblemText } from '../errors';

const DAY_MS = 86_400_000;

function when(ms: number): string {
  return new Date(ms).toLocaleString(language());
}

function describeEvent(c: Controller, e: ShopEvent): string {
  const title = e.item !== undefined ? (c.state.catalogue?.byId(e.item)?.title ?? `#${e.item}`) : '';
  if (e.type === 'search') return t('data.event.search', { query: e.query ?? '' });
  if (e.type === 'rating') return `${t('data.event.rating', { stars: e.stars ?? 0 })}: ${title}`;
  return `${t(`data.event.${e.type}` as MessageKey)}: ${title}`;
}

function describeSent(c: Controller, r: SentRecord): string {
  if (r.kind === 'assisted') {
    const titles = r.items.slice(0, 5).map((id) => c.state.catalogue?.byId(id)?.title ?? `#${id}`).join(', ') + (r.items.length > 5 ? ', …' : '');
    return `${when(r.time)} — ${t('data.sent.assisted', { count: r.items.length, titles })}`;
  }
  const bytes = Object.values(r.bytesSent).reduce((a, b) => a + b, 0);
  const survivors = r.survivors === undefined ? t('data.sent.noSurvivors') : r.amongSurvivors ? t('data.sent.survivor', { count: r.survivors }) : t('data.sent.notSurvivor');
  const outcome = !r.outcome ? t('data.sent.running') : r.outcome.status === 'completed' ? t('data.sent.completed', { version: r.outcome.modelVersion ?? '?' }) : t('data.sent.aborted', { reason: r.outcome.reason ?? '' });
  return `${when(r.startedAt)} — ${t('data.sent.round', { version: r.modelVersion, bytes: bytes.toLocaleString(language()), clip: r.clipNorm, clipped: r.clipped ? t('data.sent.clipped') : '', noise: r.deviceNoiseStd, cohort: r.cohortSize, survivors, outcome })}`;
}

function describeDeletion(state: DeletionState | { phase: 'failed'; message: string }): string {
  switch (state.phase) {
    case 'sending':
      return t('data.delete.sending');
    case 'pending':
      return t('data.delete.pending', { id: state.id });
    case 'verifying':
      return t('data.delete.verifying');
    case 'deleted':
      return t('data.delete.deleted', { shard: state.receipt.shard, version: state.receipt.servedVersion.version });
    case 'deleted-locally':
      return t('data.delete.deletedLocally');
    case 'not-verified':
      return t('data.delete.notVerified', { reason: receiptProblemText(state.problem) });
    case 'failed':
      return t('data.delete.failed', { reason: state.message });
  }
}

/** Run Delete my data with this device's key, or the key of a recovery code. */
async function runDeletion(c: Controller, recovery?: string): Promise<void> {
  const [{ default: sodium }, identity, flow] = await Promise.all([import('libsodium-wrappers'), import('../../device/identity'), import('../../deletion/flow')]);
  await sodium.ready;
  const stored = c.state.identity;
  let pair = stored && { publicKey: stored.publicKey, privateKey: stored.privateKey };
  if (recovery !== undefined) pair = identity.identityFromSeed(sodium, identity.seedFromRecoveryCode(recovery));
  const onState = (s: DeletionState) => {
    c.state.deletion = s;
    c.render();
  };
  // No round may write to the store while it is being wiped: the trainer stops first.
  c.forget();
  try {
    await flow.deleteMyData({ api: c.api, store: c.store, sodium, identity: pair, now: Date.now, wait: (ms) => new Promise((r) => setTimeout(r, ms)), onState });
  } catch (err) {
    c.state.deletion = { phase: 'failed', message: errorText(err) };
  }
  await c.reload();
}

/** Download the export as one JSON file. */
async function download(c: Controller): Promise<void> {
  const doc = await exportDocument(c.store, Date.now());
  const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
  const a = h('a', { href: url, download: `confidant-my-data-${new Date().toISOString().slice(0, 10)}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The My data page. */
export function myDataPage(c: Controller): HTMLElement {
  const { state } = c;
  const used = new Set(historyOf(state.events, state.permissions, state.notInterested).items);
  const days = h('input', { type: 'number', id: 'older-days', min: 0, max: 36500, value: '30', inputmode: 'numeric' });
  const olderNote = h('p', { role: 'status', class: 'note' }, c.state.flash ?? '');
  const code = h('input', { type: 'text', id: 'recovery-code', autocomplete: 'off', spellcheck: 'false' });
  const codeNote = h('p', { role: 'alert', class: 'note' });
  const busy = state.deletion && ['sending', 'pending', 'verifying'].includes(state.deletion.phase);
  const events = [...state.events].sort((a, b) => b.time - a.time);
  return h(
    'section',
    {},
    h('h1', {}, t('data.heading')),
    h('h2', {}, t('data.activity')),
    events.length === 0 ? h('p', {}, t('data.noActivity')) :
      h('ul', { class: 'activity' }, events.map((e) => {
        const what = describeEvent(c, e);
        const unused = !eventAllowed(state.permissions, e) || (e.item !== undefined && !used.has(e.item));
        return h('li', { 'data-event-type': e.type }, h('span', {}, `${when(e.time)} — ${what} `, unused && e.type !== 'search' ? h('em', {}, t('data.event.unused')) : null),
          h('button', { type: 'button', 'aria-label': t('data.deleteEvent', { what }), onclick: () => void c.store.deleteEvent(e.id!).then(() => c.reload()) }, t('data.delete')));
      })),
    h('div', { class: 'actions' },
      h('label', { for: 'older-days' }, t('data.olderThan')), days,
      h('button', {
        type: 'button',
        onclick: async () => {
          const n = Number(days.value);
          if (!(Number.isFinite(n) && n >= 0)) return;
          const count = await c.store.deleteOlderThan(Date.now() - n * DAY_MS);
          c.state.flash = t('data.deletedOlder', { count });
          await c.reload();
        },
      }, t('data.olderThanButton'))),
    olderNote,
    h('h2', {}, t('data.sent')),
    h('p', { class: 'help' }, t('data.sent.never')),
    state.sent.length === 0 ? h('p', {}, t('data.sent.none')) : h('ul', { class: 'sent' }, [...state.sent].reverse().map((r) => h('li', { 'data-kind': r.kind, ...(r.kind === 'round' && { 'data-outcome': r.outcome?.status ?? 'running', 'data-survivor': String(r.amongSurvivors ?? false), 'data-cohort': r.cohortSize }) }, describeSent(c, r)))),
    h('p', {}, t('data.consent', { count: state.consentChanges })),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => void download(c) }, t('data.export'))),
    h('h2', {}, t('data.delete.heading')),
    h('p', {}, t('data.delete.text')),
    h('button', { type: 'button', class: 'danger', disabled: busy, onclick: () => {
      if (!window.confirm(t('data.delete.confirm'))) return;
      void runDeletion(c);
    } }, t('data.delete.button')),
    state.deletion && h('p', { role: 'status', class: 'deletion', 'data-phase': state.deletion.phase }, describeDeletion(state.deletion)),
    h('div', { class: 'actions' },
      h('label', { for: 'recovery-code' }, t('data.recovery.label')), code,
      h('button', { type: 'button', disabled: busy, onclick: async () => {
        const { seedFromRecoveryCode } = await import('../../device/identity');
        try {
          seedFromRecoveryCode(code.value);
        } catch (err) {
          codeNote.textContent = t('data.recovery.bad', { reason: errorText(err) });
          return;
        }
        void runDeletion(c, code.value);
      } }, t('data.recovery.button'))),
    codeNote,
    state.receipts.length > 0 && h('h2', {}, t('data.receipts')),
    state.receipts.length > 0 && h('ul', { class: 'receipts' }, state.receipts.map((r) => h('li', { 'data-verified': String(r.verified) }, t('data.receipt', { index: r.receipt.index, shard: r.receipt.shard, lineage: r.receipt.checkpoint.lineage, step: r.receipt.checkpoint.step, version: r.receipt.servedVersion.version, verified: r.verified ? t('data.receipt.verified', { key: r.verifiedWith }) : t('data.receipt.notVerified') })))),
  );
}
