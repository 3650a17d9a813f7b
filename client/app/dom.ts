// A small DOM builder: h('button', { onclick, 'aria-label': … }, 'text') — the app's pages are plain elements.

/** What can be a child: nodes, text, numbers; null, undefined and false are skipped; arrays are flattened. */
export type Child = Node | string | number | null | undefined | false | Child[];

/** Append children to a node. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, ...c);
    else parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Create an element: `on…` attributes become listeners, `class` the class, booleans and `value` properties, the rest attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value as EventListener);
    else if (name === 'class') el.className = String(value);
    else if (name === 'value' || name === 'checked' || name === 'disabled' || name === 'selected') (el as unknown as Record<string, unknown>)[name] = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

/** Replace a node's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A labelled switch (a checkbox with role switch): the label is the accessible name. */
export function toggle(o: { id: string; label: string; checked: boolean; help?: string; onchange: (on: boolean) => void }): HTMLElement {
  const input = h('input', { type: 'checkbox', role: 'switch', id: o.id, checked: o.checked, 'aria-checked': String(o.checked), ...(o.help && { 'aria-describedby': `${o.id}-help` }) });
  input.addEventListener('change', () => {
    input.setAttribute('aria-checked', String(input.checked));
    o.onchange(input.checked);
  });
  return h('div', { class: 'switch' }, input, h('label', { for: o.id }, o.label), o.help && h('p', { class: 'help', id: `${o.id}-help` }, o.help));
}
