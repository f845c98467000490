// Parses a FITS file off the page's thread: the first 2-D image (with its value range and zscale
// limits) or else the first binary table, and every header's cards. Message in: an ArrayBuffer
// (transferred); out: { headers, image? , table? } or { error }.
import { readHdus, isImage, isBinTable, readImage, readBinTable } from './fits.js';

self.onmessage = event => {
  try {
    const buffer = event.data;
    const hdus = readHdus(buffer);
    const headers = hdus.map(hdu => hdu.cards.join('\n'));
    const plain = hdu => Object.fromEntries(hdu.header);
    const imageHdu = hdus.find(isImage);
    if (imageHdu) {
      const image = readImage(buffer, imageHdu);
      Object.assign(image, range(image.pixels), { zscale: zscale(image.pixels), header: plain(imageHdu), hdu: hdus.indexOf(imageHdu) });
      self.postMessage({ headers, image }, [image.pixels.buffer]);
      return;
    }
    const tableHdu = hdus.find(isBinTable);
    const table = tableHdu ? { ...readBinTable(buffer, tableHdu), hdu: hdus.indexOf(tableHdu) } : null;
    self.postMessage({ headers, table });
  } catch (e) {
    self.postMessage({ error: e.message });
  }
};

function range(pixels) {
  let min = Infinity, max = -Infinity;
  for (const v of pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/**
 * IRAF's zscale limits, as astropy's ZScaleInterval computes them: a line fitted to ~1000 sorted
 * samples with iterative 2.5-sigma rejection, its slope divided by the contrast (0.25).
 */
export function zscale(pixels, nsamples = 1000, contrast = 0.25, maxReject = 0.5, minPixels = 5, krej = 2.5, maxIterations = 5) {
  const stride = Math.max(1, Math.floor(pixels.length / nsamples));
  const samples = [];
  for (let i = 0; i < pixels.length && samples.length < nsamples; i += stride) if (Number.isFinite(pixels[i])) samples.push(pixels[i]);
  samples.sort((a, b) => a - b);
  const npix = samples.length;
  if (npix === 0) return { z1: 0, z2: 0 };
  let z1 = samples[0], z2 = samples[npix - 1];
  const minPix = Math.max(minPixels, Math.floor(npix * maxReject));
  const grow = Math.max(1, Math.floor(npix * 0.01));
  let bad = new Uint8Array(npix);
  let good = npix, lastGood = npix + 1, slope = 0;
  for (let iteration = 0; iteration < maxIterations && good < lastGood && good >= minPix; iteration++) {
    let sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
    for (let x = 0; x < npix; x++) if (!bad[x]) { sx += x; sy += samples[x]; sxx += x * x; sxy += x * samples[x]; n++; }
    slope = (n * sxy - sx * sy) / (n * sxx - sx * sx || 1);
    const intercept = (sy - slope * sx) / n;
    let sum = 0, sum2 = 0;
    for (let x = 0; x < npix; x++) if (!bad[x]) { const f = samples[x] - (intercept + slope * x); sum += f; sum2 += f * f; }
    const threshold = krej * Math.sqrt(Math.max(0, sum2 / n - (sum / n) ** 2));
    const rejected = new Uint8Array(npix);
    for (let x = 0; x < npix; x++) if (Math.abs(samples[x] - (intercept + slope * x)) > threshold) rejected[x] = 1;
    // Rejected samples spread to their neighbours (astropy convolves with a box of `grow`).
    const grown = new Uint8Array(npix);
    for (let x = 0; x < npix; x++) if (bad[x] || rejected[x]) for (let k = x - (grow >> 1); k < x - (grow >> 1) + grow; k++) if (k >= 0 && k < npix) grown[k] = 1;
    bad = grown;
    lastGood = good;
    good = npix - bad.reduce((a, b) => a + b, 0);
  }
  if (good >= minPix) {
    const s = slope / contrast;
    const center = Math.floor((npix - 1) / 2);
    const median = npix % 2 ? samples[center] : (samples[center] + samples[center + 1]) / 2;
    z1 = Math.max(z1, median - (center - 1) * s);
    z2 = Math.min(z2, median + (npix - center) * s);
  }
  return { z1, z2 };
}
