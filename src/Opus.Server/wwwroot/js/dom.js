// Building pages without innerHTML: every value goes in as a text node or an attribute.

/**
 * h('button', { class: 'primary', onclick: fn, 'aria-label': 'Start' }, 'Start')
 * Properties: class, text, on<event> (a function), dataset (object), value/checked/disabled/hidden/
 * selected (set as properties), anything else as an attribute (skipped when null, undefined or false).
 * Children: nodes, strings, numbers, arrays of them; null and false are skipped.
 */
export function h(tag, props, ...children) {
  const el = tag.includes(':') ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1]) : document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple', 'open'].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let ids = 0;
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

export function phaseBadge(phase) {
  return h('span', { class: `phase phase-${phase}`, dataset: { phase } }, phase);
}

/** "2026-11-21T12:31:54.123Z" shown as "2026-11-21 12:31:54 UTC"; the full value in a title. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const shown = iso.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '') + ' UTC';
  return h('time', { datetime: iso, title: iso }, shown);
}

export function bytes(n) {
  if (n === null || n === undefined || n === '') return '—';
  n = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function toast(message, bad = false) {
  const box = document.getElementById('toasts');
  const item = h('div', { class: bad ? 'toast bad' : 'toast' }, message);
  box.append(item);
  setTimeout(() => item.remove(), bad ? 8000 : 4000);
}

/** A modal yes/no question; resolves true when confirmed. Keyboard: Enter confirms, Escape cancels. */
export function confirmDialog(question, confirmLabel = 'Delete') {
  return new Promise(resolve => {
    const yes = h('button', { class: 'danger', type: 'button', value: 'yes' }, confirmLabel);
    const no = h('button', { type: 'button' }, 'Cancel');
    const dialog = h('dialog', { 'aria-label': 'Confirm' }, h('p', {}, question), h('div', { class: 'row' }, yes, no));
    const done = answer => { dialog.close(); dialog.remove(); resolve(answer); };
    yes.addEventListener('click', () => done(true));
    no.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', e => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** A labelled form field: label, control, hint and an error slot tied by aria-describedby. */
export function field(labelText, control, { hint, required, id } = {}) {
  const controlId = id || control.id || uid('fld');
  control.id = controlId;
  const hintEl = hint ? h('div', { class: 'hint', id: `${controlId}-hint` }, hint) : null;
  const errorEl = h('div', { class: 'error', id: `${controlId}-error`, hidden: true, role: 'alert' });
  control.setAttribute('aria-describedby', [hintEl && hintEl.id, errorEl.id].filter(Boolean).join(' '));
  const label = h('label', { for: controlId, class: required ? 'required' : null }, labelText);
  const wrap = h('div', { class: 'field', dataset: { field: controlId } }, label, h('div', { class: 'control' }, control, hintEl, errorEl));
  wrap.showError = message => {
    errorEl.textContent = message || '';
    errorEl.hidden = !message;
    control.setAttribute('aria-invalid', message ? 'true' : 'false');
  };
  control.fieldWrap = wrap;
  return wrap;
}

/** Throttles fn to at most once per `ms`, always running the last call. */
export function throttle(fn, ms) {
  let timer = null, pending = false, last = 0;
  const run = () => { timer = null; pending = false; last = Date.now(); fn(); };
  return () => {
    if (timer) { pending = true; return; }
    const wait = Math.max(0, ms - (Date.now() - last));
    timer = setTimeout(run, wait);
  };
}
