// The provenance graph (PROV-SVG from /provsap), rebuilt element by element from a whitelist:
// no script, no event attribute, no style, no foreign content. Links to jobs become client routes,
// links to stored entities become authenticated downloads; other links must be http(s).
import { h, replace, field, toast } from './dom.js';
import { getText, download, enc, ApiError } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const XLINK = 'http://www.w3.org/1999/xlink';
const ELEMENTS = new Set(['svg', 'g', 'title', 'desc', 'path', 'polygon', 'polyline', 'ellipse', 'circle', 'rect', 'line', 'text', 'tspan', 'a', 'defs', 'marker']);
const ATTRIBUTES = new Set(['x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'ry', 'dx', 'dy', 'width', 'height', 'viewBox', 'd', 'points',
  'transform', 'fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-linecap', 'stroke-linejoin', 'stroke-opacity', 'fill-opacity', 'opacity',
  'font-family', 'font-size', 'font-weight', 'font-style', 'text-anchor', 'dominant-baseline', 'class', 'id', 'preserveAspectRatio',
  'marker-end', 'marker-start', 'markerWidth', 'markerHeight', 'refX', 'refY', 'orient', 'markerUnits']);

/** Where a link in the graph leads: { kind: 'job'|'entity'|'external', href, label } or null to drop it. */
export function classifyLink(raw) {
  let url;
  try { url = new URL(raw, location.origin); } catch { return null; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.origin === location.origin) {
    const job = /^\/rest\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (job) return { kind: 'job', href: `#/job/${job[1]}/${job[2]}`, label: decodeURIComponent(job[2]) };
    const store = /^\/store\/?([0-9a-fA-F]{64})?$/.exec(url.pathname);
    if (store) {
      const digest = store[1] || url.searchParams.get('ID');
      if (digest) return { kind: 'entity', href: `/store/${digest}`, label: digest };
    }
    const result = /^\/rest\/([^/]+)\/([^/]+)\/results\/([^/]+)$/.exec(url.pathname);
    if (result) return { kind: 'entity', href: url.pathname, label: decodeURIComponent(result[3]) };
    return null;
  }
  return { kind: 'external', href: url.href, label: url.href };
}

export function sanitizeSvg(text, links) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.localName !== 'svg' || root.namespaceURI !== SVG) throw new Error('the graph is not SVG');
  return copy(root, links);
}

function copy(node, links) {
  const out = document.createElementNS(SVG, node.localName);
  for (const attr of node.attributes) {
    if (attr.namespaceURI === null && ATTRIBUTES.has(attr.name) && !/url\s*\(\s*['"]?\s*(?!#)/i.test(attr.value)) out.setAttribute(attr.name, attr.value);
  }
  if (node.localName === 'a') {
    const raw = node.getAttributeNS(XLINK, 'href') || node.getAttribute('href');
    const link = raw ? classifyLink(raw) : null;
    if (link) {
      out.setAttribute('href', link.kind === 'entity' ? '#' : link.href);
      out.dataset.kind = link.kind;
      if (link.kind === 'entity') out.dataset.store = link.href;
      if (link.kind === 'external') { out.setAttribute('target', '_blank'); out.setAttribute('rel', 'noopener noreferrer'); }
      links.push(link);
    }
  }
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out.append(document.createTextNode(child.textContent));
    else if (child.nodeType === Node.ELEMENT_NODE && child.namespaceURI === SVG && ELEMENTS.has(child.localName)) out.append(copy(child, links));
  }
  return out;
}

// ProvSAP's options (provenance.md 7.1) as the page offers them; the defaults are the server's.
const DEPTHS = ['0', '1', '2', '3', '4', '6', 'ALL'];
const DIRECTIONS = [['BACK', 'Back: what it came from'], ['FORWARD', 'Forward: what was made from it'], ['BOTH', 'Both ways']];
const DESCRIPTIONS = [['0', 'None'], ['1', 'Of the activities'], ['2', 'All']];

/**
 * The provenance panel of a job: the options (depth, direction, agents, descriptions, sent as ProvSAP parameters),
 * the graph in a zoomable, pannable view, and a list of the jobs and entities it links to.
 */
export function provenancePanel(definition, id) {
  const options = { DEPTH: '1', DIRECTION: 'BACK', AGENTS: '1', DESCRIPTIONS: '0' };
  const slot = h('div', { 'data-testid': 'prov-slot' }, h('p', { class: 'muted' }, 'Loading…'));
  const select = (name, label, choices) => field(label, h('select', {
    name, 'data-testid': `prov-${name.toLowerCase()}`,
    onchange: event => { options[name] = event.target.value; load(); },
  }, choices.map(([value, text]) => h('option', { value, selected: value === options[name] }, text))));
  const agents = h('input', { type: 'checkbox', checked: true, 'data-testid': 'prov-agents', onchange: () => { options.AGENTS = agents.checked ? '1' : '0'; load(); } });
  const controls = h('form', { class: 'prov-options', 'aria-label': 'Graph options', onsubmit: event => event.preventDefault() },
    select('DEPTH', 'Depth (steps)', DEPTHS.map(d => [d, d === 'ALL' ? 'All' : d])),
    select('DIRECTION', 'Direction', DIRECTIONS),
    select('DESCRIPTIONS', 'Descriptions', DESCRIPTIONS),
    h('label', { class: 'inline' }, agents, ' Agents (who ran it)'));
  let loading = 0;
  async function load() {
    const mine = ++loading;
    slot.setAttribute('aria-busy', 'true');
    let content;
    try { content = await provenanceGraph(definition, id, options); } catch (e) { content = h('div', { class: 'alert' }, e.message); }
    if (mine !== loading) return;
    replace(slot, content);
    slot.removeAttribute('aria-busy');
  }
  load();
  return h('div', {}, controls, slot);
}

/** The graph of a job, with a list of the jobs and entities it links to; a note when the server has no provenance. */
export async function provenanceGraph(definition, id, options = {}) {
  const query = new URLSearchParams({ ID: id, RESPONSEFORMAT: 'PROV-SVG', ...options });
  let text;
  try {
    text = await getText(`/provsap?${query}`);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501))
      return h('p', { class: 'note', 'data-testid': 'prov-missing' }, `No provenance graph: ${e.message}`);
    throw e;
  }
  const links = [];
  let svg;
  try {
    svg = sanitizeSvg(text, links);
  } catch (e) {
    return h('p', { class: 'alert' }, `The provenance graph could not be read: ${e.message}`);
  }
  const view = zoomable(svg, `Provenance graph of job ${id}. Drag or use the arrow keys to move it; the wheel, + and − zoom; 0 fits it.`,
    a => a.dataset.kind === 'job' && a.getAttribute('href') === `#/job/${enc(definition)}/${enc(id)}`);
  view.box.addEventListener('click', event => {
    const a = event.target.closest('a[data-store]');
    if (!a) return;
    event.preventDefault();
    download(a.dataset.store).catch(e => toast(e.message, true));
  });
  const unique = [...new Map(links.map(l => [l.href, l])).values()];
  const list = unique.length === 0 ? null : h('ul', { 'aria-label': 'In this graph' }, unique.map(l => h('li', {},
    l.kind === 'entity'
      ? h('button', { type: 'button', class: 'link', onclick: () => download(l.href).catch(e => toast(e.message, true)) }, `entity ${l.label}`)
      : h('a', { href: l.href, target: l.kind === 'external' ? '_blank' : null, rel: l.kind === 'external' ? 'noopener noreferrer' : null },
        `${l.kind === 'job' ? 'job' : 'link'} ${l.label}`))));
  return h('div', {}, view.element, list);
}

const MIN_LABEL_PX = 12;
const ZOOM_STEP = 1.25;

/**
 * An SVG in a box of its own that zooms (wheel, trackpad or touch pinch, +/− buttons and keys) and pans (drag, arrow keys)
 * by changing the viewBox, so text stays sharp. At first the smallest label is at least MIN_LABEL_PX pixels high and the
 * node `focus` picks (the job itself) is in the middle; Fit shows the whole graph.
 */
function zoomable(svg, label, focus) {
  const base = svg.viewBox.baseVal && svg.viewBox.baseVal.width
    ? { x: svg.viewBox.baseVal.x, y: svg.viewBox.baseVal.y, width: svg.viewBox.baseVal.width, height: svg.viewBox.baseVal.height }
    : { x: 0, y: 0, width: parseFloat(svg.getAttribute('width')) || 100, height: parseFloat(svg.getAttribute('height')) || 100 };
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMinYMin meet');
  svg.setAttribute('role', 'group');
  svg.setAttribute('aria-label', 'Provenance graph');
  const fonts = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size'))).filter(f => f > 0);
  const readable = MIN_LABEL_PX / Math.max(1, fonts.length ? Math.min(...fonts) : 14);

  const box = h('div', { class: 'prov-graph', tabindex: '0', role: 'group', 'aria-label': label, 'data-testid': 'prov-graph' }, svg);
  const level = h('span', { class: 'muted', 'data-testid': 'prov-zoom' }, '');
  const button = (text, name, onclick) => h('button', { type: 'button', class: 'small', 'aria-label': name, title: name, onclick }, text);
  const tools = h('div', { class: 'row graph-tools' },
    button('+', 'Zoom in', () => zoomBy(ZOOM_STEP)),
    button('−', 'Zoom out', () => zoomBy(1 / ZOOM_STEP)),
    button('Fit', 'Fit the graph in view', () => fit()),
    level);

  let scale = 1;
  let x = base.x;
  let y = base.y;
  let width = 0;
  let height = 0;
  const fitScale = () => Math.min(width / base.width, height / base.height);
  const limits = () => [Math.min(fitScale(), readable) / 2, readable * 8];

  function apply() {
    if (!width || !height) return;
    svg.setAttribute('viewBox', `${x} ${y} ${width / scale} ${height / scale}`);
    level.textContent = `${Math.round(scale * 75)} %`;
  }
  function zoomAt(factor, px, py) {
    const [min, max] = limits();
    const next = Math.min(max, Math.max(min, scale * factor));
    x += px / scale - px / next;
    y += py / scale - py / next;
    scale = next;
    apply();
  }
  const zoomBy = factor => zoomAt(factor, width / 2, height / 2);
  function fit() {
    scale = fitScale();
    x = base.x - (width / scale - base.width) / 2;
    y = base.y - (height / scale - base.height) / 2;
    apply();
  }
  function panBy(dx, dy) {
    x -= dx / scale;
    y -= dy / scale;
    apply();
  }

  let started = false;
  function start() {
    // Readable first: the smallest label at MIN_LABEL_PX at least, the whole width when that is larger (up to 1.6).
    const initial = Math.max(readable, Math.min(box.clientWidth / base.width, 1.6));
    // The box is as high as the graph at that size, between 12em and 70 % of the window.
    box.style.height = `${Math.round(Math.max(192, Math.min(innerHeight * 0.7, base.height * initial + 2)))}px`;
    width = box.clientWidth;
    height = box.clientHeight;
    scale = initial;
    let cx = base.x + base.width / 2;
    let cy = base.y + base.height / 2;
    x = cx - width / scale / 2;
    y = cy - height / scale / 2;
    apply();
    const target = [...svg.querySelectorAll('a[data-kind]')].find(focus);
    if (target && (base.width * scale > width || base.height * scale > height)) {
      // The job's own node in the middle: its box mapped from its own coordinates to the viewBox's.
      const b = target.getBBox();
      const m = svg.getScreenCTM().inverse().multiply(target.getScreenCTM());
      const p = new DOMPoint(b.x + b.width / 2, b.y + b.height / 2).matrixTransform(m);
      cx = p.x;
      cy = p.y;
      x = cx - width / scale / 2;
      y = cy - height / scale / 2;
      apply();
    }
    started = true;
  }
  new ResizeObserver(() => {
    if (!box.isConnected || box.clientWidth === 0) return;
    if (!started) { start(); return; }
    width = box.clientWidth;
    height = box.clientHeight;
    apply();
  }).observe(box);

  box.addEventListener('wheel', event => {
    event.preventDefault();
    const r = box.getBoundingClientRect();
    const unit = event.deltaMode === 1 ? 40 : event.deltaMode === 2 ? 400 : 1;
    zoomAt(Math.exp(-event.deltaY * unit * (event.ctrlKey ? 0.01 : 0.002)), event.clientX - r.left, event.clientY - r.top);
  }, { passive: false });

  // Pointers: one drags, two pinch. A move of more than 4 px is a drag, not a click on the node under it.
  const pointers = new Map();
  let dragged = false;
  let pinch = 0;
  const distance = () => {
    const [p, q] = [...pointers.values()];
    return Math.hypot(p.x - q.x, p.y - q.y);
  };
  box.addEventListener('pointerdown', event => {
    if (event.button !== 0) return;
    if (pointers.size === 0) dragged = false;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) pinch = distance();
  });
  box.addEventListener('pointermove', event => {
    const last = pointers.get(event.pointerId);
    if (!last) return;
    if (pointers.size === 2) {
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      const now = distance();
      const r = box.getBoundingClientRect();
      const [p, q] = [...pointers.values()];
      if (pinch > 0) zoomAt(now / pinch, (p.x + q.x) / 2 - r.left, (p.y + q.y) / 2 - r.top);
      pinch = now;
      dragged = true;
      return;
    }
    const dx = event.clientX - last.x;
    const dy = event.clientY - last.y;
    if (!dragged && Math.hypot(dx, dy) <= 4) return;
    dragged = true;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (!box.hasPointerCapture(event.pointerId)) box.setPointerCapture(event.pointerId);
    box.classList.add('dragging');
    panBy(dx, dy);
  });
  const release = event => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = 0;
    if (pointers.size === 0) box.classList.remove('dragging');
  };
  box.addEventListener('pointerup', release);
  box.addEventListener('pointercancel', release);
  // A click that ends a drag is not followed; a click from the keyboard (detail 0) always is.
  box.addEventListener('click', event => {
    if (dragged && event.detail > 0) { event.preventDefault(); event.stopImmediatePropagation(); }
    dragged = false;
  }, true);
  // A node reached with Tab is brought into view.
  box.addEventListener('focusin', event => {
    if (event.target === box) return;
    const r = event.target.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    if (r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom) return;
    panBy(b.left + b.width / 2 - (r.left + r.width / 2), b.top + b.height / 2 - (r.top + r.height / 2));
  });

  box.addEventListener('keydown', event => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const step = 40;
    const keys = {
      ArrowLeft: () => panBy(step, 0), ArrowRight: () => panBy(-step, 0), ArrowUp: () => panBy(0, step), ArrowDown: () => panBy(0, -step),
      '+': () => zoomBy(ZOOM_STEP), '=': () => zoomBy(ZOOM_STEP), '-': () => zoomBy(1 / ZOOM_STEP), '0': () => fit(),
    };
    if (!keys[event.key]) return;
    event.preventDefault();
    keys[event.key]();
  });

  return { element: h('div', { class: 'graph-view' }, tools, box), box };
}
