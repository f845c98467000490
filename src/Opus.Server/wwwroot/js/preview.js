// Result previews, all built from text nodes and blob URLs: text; JSON and XML pretty-printed;
// images and SVG as <img> (an SVG in an <img> runs no script); CSV, TSV, VOTable and FITS tables
// as a plot with the table one click away; FITS images on a canvas (parsed in a worker), with the
// headers a click away; a FITS file too large to load shows its primary header (a Range request).
// Anything else: download only.
import { h } from './dom.js';
import { request, parseXml } from './api.js';
import { plotView, columnLabel } from './plot.js';
import { imageView } from './fitsimage.js';
import { readVotable } from './formats/votable.js';

const TEXT_LIMIT = 1024 * 1024;
const TABLE_LIMIT = 64 * 1024 * 1024;
const FITS_LIMIT = 256 * 1024 * 1024;
const ROW_LIMIT = 200;

export function previewKind(mimeType, fileName = '') {
  const type = (mimeType || '').split(';')[0].trim().toLowerCase();
  const name = fileName.toLowerCase();
  if (type === 'image/svg+xml') return 'svg';
  if (/^image\/(png|jpeg|gif|webp|bmp|avif)$/.test(type)) return 'image';
  if (type === 'application/fits' || type === 'image/fits' || /\.(fits|fit|fts)(\.gz)?$/.test(name)) return name.endsWith('.gz') ? null : 'fits';
  if (type === 'application/x-votable+xml' || /votable/.test(type) || name.endsWith('.vot')) return 'votable';
  if (type === 'text/csv' || name.endsWith('.csv')) return 'csv';
  if (type === 'text/tab-separated-values' || name.endsWith('.tsv')) return 'tsv';
  if (type === 'application/json' || type.endsWith('+json') || name.endsWith('.json')) return 'json';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml') || name.endsWith('.xml')) return 'xml';
  if (type.startsWith('text/') || type === 'application/x-yaml' || type === 'application/yaml') return 'text';
  return null;
}

/** A preview element for a result, or a note saying why there is none. */
export async function preview(path, mimeType, size, fileName) {
  const kind = previewKind(mimeType, fileName);
  if (!kind) return h('p', { class: 'muted' }, `No preview for ${mimeType}; download it.`);
  if (kind === 'fits') return size !== null && size <= FITS_LIMIT ? fitsPreview(path, fileName) : fitsHeader(path);
  const limit = kind === 'image' || kind === 'svg' ? 20 * TEXT_LIMIT : ['csv', 'tsv', 'votable'].includes(kind) ? TABLE_LIMIT : TEXT_LIMIT;
  if (size !== null && size > limit)
    return h('p', { class: 'muted' }, 'Too large to preview here; download it.');
  const response = await request('GET', path);
  if (kind === 'image' || kind === 'svg') {
    const blob = await response.blob();
    const typed = kind === 'svg' ? new Blob([blob], { type: 'image/svg+xml' }) : blob;
    const url = URL.createObjectURL(typed);
    const img = h('img', { src: url, alt: `Preview of ${fileName || 'the result'}` });
    img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
    return img;
  }
  const text = await response.text();
  switch (kind) {
    case 'json': return pre(prettyJson(text));
    case 'xml': return pre(prettyXml(text));
    case 'votable': return votableTable(text);
    case 'csv': return delimitedTable(text, ',');
    case 'tsv': return delimitedTable(text, '\t');
    default: return pre(text);
  }
}

const pre = text => h('pre', { 'data-testid': 'preview-text' }, text);

export function prettyJson(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

/** Indents an XML document (elements on their own lines, text kept); the text itself when it does not parse. */
export function prettyXml(text) {
  let doc;
  try { doc = parseXml(text); } catch { return text; }
  const lines = [];
  const attrs = el => [...el.attributes].map(a => ` ${a.name}="${a.value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`).join('');
  const escape = t => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const walk = (node, depth) => {
    const pad = '  '.repeat(depth);
    if (node.nodeType === Node.ELEMENT_NODE) {
      const children = [...node.childNodes].filter(c => c.nodeType !== Node.TEXT_NODE || c.textContent.trim() !== '');
      if (children.length === 0) lines.push(`${pad}<${node.nodeName}${attrs(node)}/>`);
      else if (children.length === 1 && children[0].nodeType === Node.TEXT_NODE) lines.push(`${pad}<${node.nodeName}${attrs(node)}>${escape(children[0].textContent.trim())}</${node.nodeName}>`);
      else {
        lines.push(`${pad}<${node.nodeName}${attrs(node)}>`);
        for (const child of children) walk(child, depth + 1);
        lines.push(`${pad}</${node.nodeName}>`);
      }
    } else if (node.nodeType === Node.TEXT_NODE || node.nodeType === Node.CDATA_SECTION_NODE) {
      lines.push(pad + escape(node.textContent.trim()));
    } else if (node.nodeType === Node.COMMENT_NODE) {
      lines.push(`${pad}<!--${node.textContent}-->`);
    }
  };
  walk(doc.documentElement, 0);
  return `<?xml version="1.0"?>\n${lines.join('\n')}`;
}

function table(header, rows, total) {
  return h('div', {},
    h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'preview-table' },
      h('thead', {}, h('tr', {}, header.map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map(r => h('tr', {}, r.map(c => h('td', {}, c))))))),
    total > rows.length ? h('p', { class: 'muted' }, `First ${rows.length} of ${total} rows.`) : null);
}

export function parseDelimited(text, separator) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === separator) { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows.filter(r => r.length > 1 || r[0] !== '');
}

/**
 * Buttons that switch between views of one result (Plot / Table / Header), each built when first
 * shown and kept; the first is shown at once.
 */
export function switcher(views) {
  const slot = h('div', { class: 'view' });
  const built = new Map();
  const buttons = views.map(view => h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => show(view) }, view.name));
  function show(view) {
    views.forEach((v, i) => buttons[i].setAttribute('aria-pressed', String(v === view)));
    if (!built.has(view)) built.set(view, view.render());
    for (const [v, el] of built) el.hidden = v !== view;
    if (!built.get(view).isConnected) slot.append(built.get(view));
  }
  show(views[0]);
  return h('div', { class: 'views' }, h('div', { class: 'row view-switch', role: 'group', 'aria-label': 'View' }, buttons), slot);
}

/** A table of columns (see js/plot.js) as a plot with its table a click away (and more views), or the table alone. */
function tabular(data, more = []) {
  // A cell as written in the file (CSV) or as the number reads (binary formats).
  const show = (c, i) => (c.text ? c.text[i] : c.values[i] === null || c.values[i] === undefined ? '' : String(c.values[i]));
  const asTable = () => table(data.columns.map(columnLabel),
    Array.from({ length: Math.min(ROW_LIMIT, data.rowCount) }, (_, i) => data.columns.map(c => show(c, i))), data.rowCount);
  const plot = plotView(data);
  const views = [...(plot ? [{ name: 'Plot', render: () => plot }] : []), { name: 'Table', render: asTable }, ...more];
  return views.length > 1 ? switcher(views) : asTable();
}

/** Text cells to columns: a column whose cells all read as numbers (or are blank) holds numbers. */
export function columnsOf(header, rows) {
  const columns = header.map((name, k) => {
    const cells = rows.map(r => (r[k] ?? '').trim());
    const numeric = cells.every(c => c === '' || Number.isFinite(Number(c)));
    return { name, unit: '', values: numeric ? cells.map(c => (c === '' ? null : Number(c))) : cells, text: cells };
  });
  return { columns, rowCount: rows.length };
}

function delimitedTable(text, separator) {
  const rows = parseDelimited(text, separator);
  if (rows.length === 0) return h('p', { class: 'muted' }, 'Empty.');
  return tabular(columnsOf(rows[0], rows.slice(1)));
}

function votableTable(text) {
  let doc;
  try { doc = parseXml(text); } catch { return pre(text); }
  let data;
  try { data = readVotable(doc); } catch (e) { return h('div', {}, h('p', { class: 'alert' }, e.message), pre(prettyXml(text))); }
  if (!data || data.columns.length === 0) return pre(prettyXml(text));
  return tabular(data);
}

/** The whole FITS file, parsed in js/formats/fitsworker.js: its first image, else its first binary table; its headers. */
async function fitsPreview(path, fileName) {
  const buffer = await (await request('GET', path)).arrayBuffer();
  const worker = new Worker(new URL('./formats/fitsworker.js', import.meta.url), { type: 'module' });
  const parsed = await new Promise((resolve, reject) => {
    worker.onmessage = event => resolve(event.data);
    worker.onerror = event => reject(new Error(event.message || 'The FITS reader failed.'));
    worker.postMessage(buffer, [buffer]);
  }).finally(() => worker.terminate());
  if (parsed.error) return h('p', { class: 'alert' }, parsed.error);
  const headers = () => h('div', {}, parsed.headers.map((cards, i) =>
    h('div', {}, h('h3', { class: 'hdu' }, i === 0 ? 'Primary header' : `Extension ${i}`), pre(cards))));
  if (parsed.image) return switcher([{ name: 'Image', render: () => imageView(parsed.image, fileName) }, { name: 'Header', render: headers }]);
  if (parsed.table) return tabular(parsed.table, [{ name: 'Header', render: headers }]);
  return headers();
}

/** The FITS primary header: 80-character cards up to END, from the first 28,800 bytes at most. */
async function fitsHeader(path) {
  const header = await fitsCards(path);
  if (!header) return h('p', { class: 'muted' }, 'Not a FITS header; download it.');
  if (header.complete) return pre(header.cards.join('\n'));
  return header.cards.length ? pre(`${header.cards.join('\n')}\n… (header longer than shown)`) : h('p', { class: 'muted' }, 'Not a FITS file.');
}

/** { cards, complete } of the primary header (read with a Range request); null when it is not a FITS header. */
async function fitsCards(path) {
  const response = await request('GET', path, { extraHeaders: { Range: 'bytes=0-28799' } });
  const buffer = new Uint8Array(await response.arrayBuffer());
  const cards = [];
  for (let i = 0; i + 80 <= buffer.length; i += 80) {
    const card = String.fromCharCode(...buffer.subarray(i, i + 80));
    if (!/^[\x20-\x7e]{80}$/.test(card)) return null;
    cards.push(card.trimEnd());
    if (card.startsWith('END     ') || card.trim() === 'END') return { cards, complete: true };
  }
  return { cards, complete: false };
}

/**
 * 'fits-image' when the primary HDU holds an array (NAXIS >= 1, no axis of length 0), else 'fits-table'
 * (the data are in extensions: a table, as FITS tables always are); null when it is not FITS.
 */
export async function fitsKind(path) {
  const header = await fitsCards(path);
  if (!header || !header.cards.length || !header.cards[0].startsWith('SIMPLE  =')) return null;
  const value = key => {
    const card = header.cards.find(c => c.startsWith(key.padEnd(8) + '='));
    return card ? Number.parseInt(card.slice(10).split('/')[0].trim(), 10) : NaN;
  };
  const axes = value('NAXIS');
  if (!(axes >= 1)) return 'fits-table';
  for (let n = 1; n <= axes; n++) if (!(value(`NAXIS${n}`) > 0)) return 'fits-table';
  return 'fits-image';
}
