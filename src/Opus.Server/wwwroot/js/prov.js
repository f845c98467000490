// The provenance graph (PROV-SVG from /provsap), rebuilt element by element from a whitelist:
// no script, no event attribute, no style, no foreign content. Links to jobs become client routes,
// links to stored entities become authenticated downloads; other links must be http(s).
import { h, toast } from './dom.js';
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

/** The graph of a job, with a list of the jobs and entities it links to; a note when the server has no provenance. */
export async function provenanceGraph(definition, id) {
  let text;
  try {
    text = await getText(`/provsap?ID=${enc(id)}&RESPONSEFORMAT=PROV-SVG`);
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
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Provenance graph of job ${id}`);
  const box = h('div', { class: 'graph', 'data-testid': 'prov-graph' }, svg);
  box.addEventListener('click', event => {
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
  return h('div', {}, box, list);
}
