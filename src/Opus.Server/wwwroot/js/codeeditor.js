// A small code editor: a monospace textarea with line numbers. Tab indents by two spaces;
// Escape then Tab leaves the editor, so keyboard users are never trapped.
import { h } from './dom.js';

export function codeEditor({ value = '', label, id, rows = 14 }) {
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const area = h('textarea', { id, rows, spellcheck: 'false', autocapitalize: 'none', autocomplete: 'off', wrap: 'off', 'aria-label': label });
  area.value = value;
  let escaped = false;
  const number = () => {
    const lines = area.value.split('\n').length;
    if (gutter.dataset.lines !== String(lines)) {
      gutter.textContent = Array.from({ length: lines }, (_, i) => String(i + 1)).join('\n');
      gutter.dataset.lines = String(lines);
    }
    gutter.scrollTop = area.scrollTop;
  };
  area.addEventListener('input', number);
  area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener('keydown', event => {
    if (event.key === 'Escape') { escaped = true; return; }
    if (event.key === 'Tab' && !escaped && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end } = area;
      if (event.shiftKey) {
        const lineStart = area.value.lastIndexOf('\n', start - 1) + 1;
        if (area.value.startsWith('  ', lineStart)) {
          area.setRangeText('', lineStart, lineStart + 2, 'preserve');
        }
      } else {
        area.setRangeText('  ', start, end, 'end');
      }
      number();
      return;
    }
    escaped = false;
  });
  const box = h('div', { class: 'editor-code' }, gutter, area);
  box.textarea = area;
  number();
  return box;
}
