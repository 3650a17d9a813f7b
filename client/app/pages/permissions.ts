// Permissions: data types, categories and uses, each a switch that applies to the next recommendation and is
// appended to the consent log. Turning "Contribute to training" on for the first time makes the device's key and
// shows its recovery code once.
import { EVENT_TYPES } from '../../core/events';
import { USES, type Use } from '../../core/permissions';
import { h, toggle } from '../dom';
import { t, type MessageKey } from '../i18n';
import type { Controller } from '../controller';

/** Make the identity key (libsodium is loaded only now) and return its recovery code. */
async function makeIdentity(c: Controller): Promise<string> {
  const [{ default: sodium }, identity] = await Promise.all([import('libsodium-wrappers'), import('../../device/identity')]);
  await sodium.ready;
  const pair = identity.newIdentity(sodium);
  await c.store.putIdentity({ ...pair, createdAt: Date.now() });
  return identity.recoveryCode(pair);
}

/** The Permissions page. */
export function permissionsPage(c: Controller): HTMLElement {
  const { permissions, catalogue } = c.state;
  const saved = h('p', { role: 'status', class: 'note' }, c.state.flash ?? '');
  const done = () => {
    c.state.flash = t('perm.saved');
    c.render();
  };
  const useSwitch = (use: Use) =>
    toggle({
      id: `use-${use}`,
      label: t(`perm.use.${use}` as MessageKey),
      help: t(`perm.use.${use}.help` as MessageKey),
      checked: permissions.uses[use],
      onchange: async (on) => {
        if (use === 'contribute' && on && !c.state.identity) c.state.recoveryCode = await makeIdentity(c);
        await c.changePermission({ kind: 'use', use, on });
        done();
      },
    });
  const recovery = c.state.recoveryCode;
  return h(
    'section',
    {},
    h('h1', {}, t('perm.heading')),
    h('p', {}, t('perm.intro')),
    saved,
    recovery &&
      h('div', { class: 'recovery', role: 'region', 'aria-labelledby': 'recovery-heading' },
        h('h2', { id: 'recovery-heading' }, t('perm.recovery.heading')),
        h('p', {}, t('perm.recovery.text')),
        h('p', { class: 'code', 'data-recovery-code': recovery }, recovery),
        h('button', {
          type: 'button',
          onclick: () => {
            c.state.recoveryCode = undefined;
            void c.store.setSetting('recoveryAcknowledged', true).then(() => c.render());
          },
        }, t('perm.recovery.done'))),
    h('fieldset', {}, h('legend', {}, t('perm.uses')), USES.map(useSwitch)),
    h('fieldset', {}, h('legend', {}, t('perm.types')), EVENT_TYPES.map((type) =>
      toggle({ id: `type-${type}`, label: t(`perm.type.${type}` as MessageKey), checked: permissions.types[type], onchange: (on) => void c.changePermission({ kind: 'type', type, on }).then(done) }))),
    h('fieldset', { class: 'categories' }, h('legend', {}, t('perm.categories')), (catalogue?.categories ?? []).map((category) =>
      toggle({ id: `category-${category.replace(/[^A-Za-z0-9]/g, '-')}`, label: category, checked: !permissions.excludedCategories.includes(category), onchange: (on) => void c.changePermission({ kind: 'category', category, on }).then(done) }))),
  );
}
