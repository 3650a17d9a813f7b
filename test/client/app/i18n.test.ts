// The message catalogues: the same keys and the same placeholders in every language, and t() filling them.
import { describe, expect, it } from 'vitest';
import { en } from '../../../client/app/i18n/en';
import { zhCN } from '../../../client/app/i18n/zh-CN';
import { pickLanguage, setLanguage, t } from '../../../client/app/i18n';

const placeholders = (text: string) => [...text.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('zh-CN has every English key, each with the same placeholders, and no untranslated copy of a sentence', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
      if (en[key].split(' ').length > 3) expect(zhCN[key], key).not.toBe(en[key]);
    }
  });

  it('t() fills placeholders in the chosen language; the browser\'s language picks the default', () => {
    setLanguage('zh-CN');
    expect(t('shop.results', { count: 3 })).toBe('3 件商品');
    setLanguage('en');
    expect(t('shop.results', { count: 3 })).toBe('3 items');
    expect(pickLanguage(undefined, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(pickLanguage('en', ['zh-CN'])).toBe('en');
    expect(pickLanguage('fr', ['de-DE'])).toBe('en');
  });
});
