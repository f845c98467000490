// A FITS image on a canvas: a stretch (linear, log, sqrt between the extremes, or linear between
// the zscale limits) through a colour map; the pixel under the cursor with its value and, when the
// header has a TAN WCS, its sky coordinates. The pixels come parsed from js/formats/fitsworker.js.
import { h, uid } from './dom.js';
import { tanWcs, sexagesimal } from './formats/wcs.js';

const STRETCHES = {
  zscale: { label: 'zscale', limits: img => [img.zscale.z1, img.zscale.z2], curve: t => t },
  linear: { label: 'linear', limits: img => [img.min, img.max], curve: t => t },
  sqrt: { label: 'square root', limits: img => [img.min, img.max], curve: Math.sqrt },
  log: { label: 'log', limits: img => [img.min, img.max], curve: t => Math.log10(1 + 1000 * t) / 3.000434 },
};

// Colour maps as evenly spaced stops (viridis: matplotlib's, sampled at ninths).
const MAPS = {
  grey: ['#000000', '#ffffff'],
  viridis: ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'],
  heat: ['#000000', '#8b0000', '#ff4500', '#ffd700', '#ffffff'],
};

function lookupTable(stops) {
  const rgb = stops.map(s => [1, 3, 5].map(i => parseInt(s.slice(i, i + 2), 16)));
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const at = (i / 255) * (rgb.length - 1), k = Math.min(rgb.length - 2, Math.floor(at)), f = at - k;
    for (let c = 0; c < 3; c++) table[i * 3 + c] = rgb[k][c] + (rgb[k + 1][c] - rgb[k][c]) * f;
  }
  return table;
}

export const formatValue = v => (Number.isNaN(v) ? 'blank' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7))));

/** The image view: controls, the canvas and the readout under it. */
export function imageView(image, fileName) {
  const { width, height, pixels } = image;
  const canvas = h('canvas', { width, height, class: 'fits-canvas', 'data-testid': 'fits-image', role: 'img',
    'aria-label': `FITS image ${fileName}, ${width} × ${height} pixels` });
  // Small images are shown enlarged (pixelated), large ones fit the width.
  canvas.style.maxWidth = `${Math.max(width, Math.min(900, width * 4))}px`;
  const context = canvas.getContext('2d');
  const data = context.createImageData(width, height);
  const stretch = h('select', { id: uid('stretch') }, Object.entries(STRETCHES).map(([k, s]) => h('option', { value: k }, s.label)));
  const colours = h('select', { id: uid('colours') }, Object.keys(MAPS).map(k => h('option', { value: k }, k)));
  const wcs = tanWcs(image.header);
  const readout = h('p', { class: 'mono readout', 'data-testid': 'pixel-readout' }, wcs ? 'Point at the image for pixel values and sky coordinates.' : 'Point at the image for pixel values.');

  function draw() {
    const s = STRETCHES[stretch.value];
    const [lo, hi] = s.limits(image);
    const span = hi - lo || 1;
    const lut = lookupTable(MAPS[colours.value]);
    const out = data.data;
    for (let j = 0; j < height; j++) {
      const row = (height - 1 - j) * width; // FITS row 1 is the bottom one
      for (let i = 0; i < width; i++) {
        const v = pixels[j * width + i];
        const o = (row + i) * 4;
        if (Number.isNaN(v)) { out[o + 3] = 0; continue; }
        const t = v <= lo ? 0 : v >= hi ? 1 : (v - lo) / span;
        const k = Math.round(s.curve(t) * 255) * 3;
        out[o] = lut[k]; out[o + 1] = lut[k + 1]; out[o + 2] = lut[k + 2]; out[o + 3] = 255;
      }
    }
    context.putImageData(data, 0, 0);
    canvas.dataset.stretch = stretch.value;
    canvas.dataset.colours = colours.value;
  }

  canvas.addEventListener('mousemove', event => {
    const box = canvas.getBoundingClientRect();
    const i = Math.min(width - 1, Math.floor((event.clientX - box.left) * width / box.width));
    const row = Math.min(height - 1, Math.floor((event.clientY - box.top) * height / box.height));
    const j = height - 1 - row;
    if (i < 0 || j < 0) return;
    // FITS pixel numbers start at 1 (as CRPIX counts them).
    let text = `x ${i + 1}, y ${j + 1}: ${formatValue(pixels[j * width + i])}`;
    if (wcs) {
      const { lon, lat, equatorial } = wcs(i + 1, j + 1);
      text += equatorial
        ? ` · RA ${lon.toFixed(5)}°, Dec ${lat >= 0 ? '+' : ''}${lat.toFixed(5)}° (${sexagesimal(lon, true)} ${sexagesimal(lat, false)})`
        : ` · lon ${lon.toFixed(5)}°, lat ${lat.toFixed(5)}°`;
    }
    readout.textContent = text;
  });
  stretch.addEventListener('change', draw);
  colours.addEventListener('change', draw);
  draw();
  return h('div', { class: 'fits-view' },
    h('div', { class: 'row' },
      h('span', { class: 'pick' }, h('label', { for: stretch.id }, 'Stretch'), stretch),
      h('span', { class: 'pick' }, h('label', { for: colours.id }, 'Colour map'), colours),
      h('span', { class: 'muted' }, `${width} × ${height}, values ${formatValue(image.min)} to ${formatValue(image.max)}`)),
    canvas, readout);
}
