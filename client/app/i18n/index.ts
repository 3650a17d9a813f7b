// The message catalogue: the current language, and t(key, params) for every string the app shows.
import { en, type MessageKey, type Messages } from './en';
import { zhCN } from './zh-CN';

/** The languages the app speaks, with their names in themselves. */
export const LANGUAGES = { en: { name: 'English', messages: en as Messages }, 'zh-CN': { name: '简体中文', messages: zhCN } } as const;
export type Language = keyof typeof LANGUAGES;

let current: Language = 'en';

/** Whether a text names a language of the app. */
export function isLanguage(x: unknown): x is Language {
  return typeof x === 'string' && Object.hasOwn(LANGUAGES, x);
}

/** The language from a stored choice, else the browser's, else English. */
export function pickLanguage(stored: unknown, browser: readonly string[]): Language {
  if (isLanguage(stored)) return stored;
  return browser.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

/** Switch the language of every later t() call. */
export function setLanguage(language: Language): void {
  current = language;
}

/** The current language. */
export function language(): Language {
  return current;
}

/** The message `key` in the current language, with {name} placeholders filled from `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = LANGUAGES[current].messages[key];
  return text.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

export type { MessageKey };
