// A plot of a table's columns with uPlot (vendored in lib/uplot): pickers for x and y, log axes,
// units in the axis labels, drag to zoom (double-click or "Reset zoom" to undo). A table is
// { columns: [{ name, unit, values }] } as js/formats/votable.js, js/formats/fits.js and preview.js make them.
import uPlot from '../lib/uplot/uPlot.esm.js';
import { h, replace, uid } from './dom.js';

export const columnLabel = c => (c.unit ? `${c.name} [${c.unit}]` : c.name);

/** The columns that hold numbers (at least one, nothing but numbers and blanks). */
export const numericColumns = table => table.columns.filter(c => {
  let numbers = 0;
  for (const v of c.values) {
    if (typeof v === 'number') numbers++;
    else if (v !== null && v !== '') return false;
  }
  return numbers > 0;
});

const ROW = { name: 'row number', unit: '' };

/** The plot view, or null when the table has no numeric column. */
export function plotView(table) {
  const numeric = numericColumns(table);
  if (numeric.length === 0) return null;
  const choices = [ROW, ...numeric];
  const pick = (label, selected) => {
    const select = h('select', { id: uid('axis') }, choices.map((c, i) => h('option', { value: i, selected: i === selected }, columnLabel(c))));
    return [h('label', { for: select.id }, label), select];
  };
  const [xLabel, xSelect] = pick('x', numeric.length > 1 ? 1 : 0);
  const [yLabel, ySelect] = pick('y', numeric.length > 1 ? 2 : 1);
  const logX = h('input', { type: 'checkbox', id: uid('log') });
  const logY = h('input', { type: 'checkbox', id: uid('log') });
  const reset = h('button', { type: 'button' }, 'Reset zoom');
  const holder = h('div', { class: 'plot-area' });
  const caption = h('figcaption', { class: 'muted' });
  const figure = h('figure', { class: 'plot', 'data-testid': 'plot' }, holder, caption);
  let chart = null;

  function draw() {
    if (holder.clientWidth === 0) return;
    if (chart) chart.destroy();
    const xc = choices[Number(xSelect.value)], yc = choices[Number(ySelect.value)];
    const value = (c, i) => (c === ROW ? i + 1 : c.values[i]);
    // uPlot wants x ascending: the rows are sorted by x; out-of-order x (a scatter) is drawn as points.
    const rows = [];
    let ordered = true;
    for (let i = 0; i < table.rowCount; i++) {
      const x = value(xc, i), y = value(yc, i);
      if (typeof x !== 'number' || !Number.isFinite(x) || (logX.checked && x <= 0)) continue;
      if (rows.length && x < rows[rows.length - 1][0]) ordered = false;
      rows.push([x, typeof y === 'number' && Number.isFinite(y) && !(logY.checked && y <= 0) ? y : null]);
    }
    if (!ordered) rows.sort((a, b) => a[0] - b[0]);
    const style = getComputedStyle(figure);
    const ink = style.getPropertyValue('--ink').trim() || '#1d232b', line = style.getPropertyValue('--line').trim() || '#d9dee5';
    const accent = style.getPropertyValue('--accent').trim() || '#1d4e89';
    const font = '12px "DejaVu Sans", system-ui, sans-serif';
    const axis = label => ({ label, stroke: ink, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 }, font, labelFont: `bold ${font}` });
    const width = Math.max(240, holder.clientWidth);
    chart = new uPlot({
      width, height: Math.round(Math.min(380, Math.max(220, width * 0.55))),
      scales: { x: { time: false, distr: logX.checked ? 3 : 1 }, y: { distr: logY.checked ? 3 : 1 } },
      axes: [axis(columnLabel(xc)), axis(columnLabel(yc))],
      series: [{ label: columnLabel(xc) }, ordered
        ? { label: columnLabel(yc), stroke: accent, width: 1.5, points: { show: false } }
        : { label: columnLabel(yc), stroke: accent, paths: () => null, points: { show: true, size: 4, fill: accent, stroke: accent } }],
      cursor: { drag: { x: true, y: true, uni: 30 } },
      legend: { show: true },
      // The x range shown (zoomed or not), for tests and for anyone reading the page's markup.
      hooks: { setScale: [(u, key) => { if (key === 'x') figure.dataset.xRange = `${u.scales.x.min} ${u.scales.x.max}`; }] },
    }, [rows.map(r => r[0]), rows.map(r => r[1])], holder);
    // What uPlot draws on its canvas, for readers and tests alike.
    const [xText, yText] = chart.axes.map(a => a.label);
    figure.dataset.xLabel = xText;
    figure.dataset.yLabel = yText;
    figure.dataset.points = String(rows.length);
    const canvas = chart.root.querySelector('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Plot of ${yText} against ${xText}, ${rows.length} points`);
    replace(caption, `${yText} against ${xText}${logX.checked || logY.checked ? ` (log ${[logX.checked && 'x', logY.checked && 'y'].filter(Boolean).join(' and ')})` : ''}. Drag to zoom; double-click to reset.`);
  }

  for (const control of [xSelect, ySelect, logX, logY]) control.addEventListener('change', draw);
  reset.addEventListener('click', draw);
  // Redrawn at the new width (a narrower window, a panel opened) and in the other colour scheme.
  let lastWidth = 0;
  const resized = new ResizeObserver(() => {
    if (!figure.isConnected || holder.clientWidth === 0) return;
    if (Math.abs(holder.clientWidth - lastWidth) > 8) { lastWidth = holder.clientWidth; draw(); }
  });
  const schemes = new MutationObserver(() => (figure.isConnected ? draw() : schemes.disconnect()));
  schemes.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  const system = window.matchMedia('(prefers-color-scheme: dark)');
  const systemChanged = () => (figure.isConnected ? draw() : system.removeEventListener('change', systemChanged));
  system.addEventListener('change', systemChanged);
  // The first drawing waits for the figure to be on the page (its width and colours come from there).
  resized.observe(holder);
  return h('div', { class: 'plot-view' },
    h('div', { class: 'row plot-controls' }, h('span', { class: 'pick' }, xLabel, xSelect), h('span', { class: 'pick' }, yLabel, ySelect),
      h('label', {}, logX, ' log x'), h('label', {}, logY, ' log y'), reset),
    figure);
}
