// A small FITS reader (FITS 4.0): headers, 2-D images (BITPIX 8/16/32/64/-32/-64, BSCALE/BZERO,
// BLANK) and binary tables (BINTABLE: L X B I J K A E D, repeat counts, P/Q heap arrays,
// TSCAL/TZERO/TNULL). No DOM: it runs in js/formats/fitsworker.js. fitsjs 0.6.6 (2013) was not used:
// it reads BITPIX -64 as 32-bit floats and always decodes images in a blob: worker, which the
// client's Content-Security-Policy (script-src 'self') forbids.

const BLOCK = 2880;
const CARD = 80;

/** One header value: string (quotes and '' undone), boolean, number (D exponents too), or null. */
function parseValue(text) {
  const t = text.trim();
  if (t.startsWith("'")) {
    let out = '';
    for (let i = 1; i < t.length; i++) {
      if (t[i] === "'") {
        if (t[i + 1] === "'") { out += "'"; i++; } else break;
      } else out += t[i];
    }
    return out.trimEnd();
  }
  const value = t.split('/')[0].trim();
  if (value === 'T') return true;
  if (value === 'F') return false;
  if (value === '') return null;
  const number = Number(value.replace(/[dD]/, 'E'));
  return Number.isNaN(number) ? value : number;
}

/** The header units of a file: [{ cards, header (keyword → value), dataOffset, dataLength }]. */
export function readHdus(buffer) {
  const bytes = new Uint8Array(buffer);
  const hdus = [];
  let offset = 0;
  while (offset + BLOCK <= bytes.length) {
    const cards = [];
    const header = new Map();
    let end = -1;
    for (let at = offset; at + CARD <= bytes.length; at += CARD) {
      const card = String.fromCharCode(...bytes.subarray(at, at + CARD));
      if (hdus.length === 0 && cards.length === 0 && !card.startsWith('SIMPLE  =')) throw new Error('Not a FITS file (no SIMPLE card).');
      cards.push(card.trimEnd());
      const key = card.slice(0, 8).trim();
      if (key === 'END') { end = at + CARD; break; }
      if (card.slice(8, 10) === '= ' && !header.has(key)) header.set(key, parseValue(card.slice(10)));
    }
    if (end < 0) {
      if (hdus.length === 0) throw new Error('The FITS header has no END card.');
      break;
    }
    const dataOffset = Math.ceil(end / BLOCK) * BLOCK;
    const naxis = header.get('NAXIS') || 0;
    let elements = naxis > 0 ? 1 : 0;
    for (let n = 1; n <= naxis; n++) elements *= header.get(`NAXIS${n}`) || 0;
    const dataLength = Math.abs(header.get('BITPIX') || 8) / 8 * (header.get('GCOUNT') ?? 1) * ((header.get('PCOUNT') || 0) + elements);
    hdus.push({ cards, header, dataOffset, dataLength });
    offset = dataOffset + Math.ceil(dataLength / BLOCK) * BLOCK;
  }
  return hdus;
}

export const isImage = hdu => {
  const h = hdu.header;
  const xtension = h.get('XTENSION');
  return (xtension === undefined || xtension === 'IMAGE') && h.get('NAXIS') >= 2 && h.get('NAXIS1') > 1 && h.get('NAXIS2') > 1;
};

export const isBinTable = hdu => hdu.header.get('XTENSION') === 'BINTABLE' && hdu.header.get('NAXIS2') > 0;

/** The first plane of an image HDU as physical values (BSCALE·raw + BZERO; BLANK and NaN as NaN), row 0 at the bottom. */
export function readImage(buffer, hdu) {
  const h = hdu.header;
  const width = h.get('NAXIS1'), height = h.get('NAXIS2'), bitpix = h.get('BITPIX');
  const scale = h.get('BSCALE') ?? 1, zero = h.get('BZERO') ?? 0, blank = h.get('BLANK');
  const count = width * height;
  const size = Math.abs(bitpix) / 8;
  if (hdu.dataOffset + count * size > buffer.byteLength) throw new Error('The FITS image is shorter than its header says.');
  const view = new DataView(buffer, hdu.dataOffset, count * size);
  const read = {
    8: i => view.getUint8(i), 16: i => view.getInt16(i * 2), 32: i => view.getInt32(i * 4),
    64: i => Number(view.getBigInt64(i * 8)), [-32]: i => view.getFloat32(i * 4), [-64]: i => view.getFloat64(i * 8),
  }[bitpix];
  if (!read) throw new Error(`BITPIX ${bitpix} is not a FITS pixel type.`);
  const pixels = new Float64Array(count);
  const integer = bitpix > 0;
  for (let i = 0; i < count; i++) {
    const raw = read(i);
    pixels[i] = integer && raw === blank ? NaN : zero + scale * raw;
  }
  return { width, height, pixels };
}

const TYPES = {
  L: { size: 1, get: (v, o) => { const c = v.getUint8(o); return c === 84 ? true : c === 70 ? false : null; } },
  B: { size: 1, get: (v, o) => v.getUint8(o) },
  I: { size: 2, get: (v, o) => v.getInt16(o) },
  J: { size: 4, get: (v, o) => v.getInt32(o) },
  K: { size: 8, get: (v, o) => Number(v.getBigInt64(o)) },
  E: { size: 4, get: (v, o) => v.getFloat32(o) },
  D: { size: 8, get: (v, o) => v.getFloat64(o) },
  C: { size: 8, get: (v, o) => `${v.getFloat32(o)}${v.getFloat32(o + 4) < 0 ? '' : '+'}${v.getFloat32(o + 4)}i` },
  M: { size: 16, get: (v, o) => `${v.getFloat64(o)}${v.getFloat64(o + 8) < 0 ? '' : '+'}${v.getFloat64(o + 8)}i` },
};

const text = (bytes, start, length) => String.fromCharCode(...bytes.subarray(start, start + length)).replace(/[\0 ]+$/, '');

/** A BINTABLE as columns: { columns: [{ name, unit, values }], rowCount }; arrays become text "a b c". */
export function readBinTable(buffer, hdu) {
  const h = hdu.header;
  const rowLength = h.get('NAXIS1'), rowCount = h.get('NAXIS2'), fields = h.get('TFIELDS') || 0;
  const view = new DataView(buffer, hdu.dataOffset, Math.min(hdu.dataLength, buffer.byteLength - hdu.dataOffset));
  const bytes = new Uint8Array(buffer, hdu.dataOffset, view.byteLength);
  if (rowLength * rowCount > view.byteLength) throw new Error('The FITS table is shorter than its header says.');
  const heap = h.get('THEAP') ?? rowLength * rowCount;
  const columns = [];
  let start = 0;
  for (let n = 1; n <= fields; n++) {
    const form = /^\s*(\d*)([LXBIJKAEDCMPQ])([LXBIJKAEDCM])?/.exec(String(h.get(`TFORM${n}`) || ''));
    if (!form) throw new Error(`TFORM${n} is not a binary table format.`);
    const repeat = form[1] === '' ? 1 : Number(form[1]);
    const code = form[2];
    const scale = h.get(`TSCAL${n}`) ?? 1, zero = h.get(`TZERO${n}`) ?? 0, nul = h.get(`TNULL${n}`);
    const physical = raw => (typeof raw === 'number' ? (raw === nul && 'BIJK'.includes(code) ? null : zero + scale * raw) : raw);
    let width, cell;
    if (code === 'A') {
      width = repeat;
      cell = o => text(bytes, o, repeat);
    } else if (code === 'X') {
      width = Math.ceil(repeat / 8);
      cell = o => Array.from({ length: repeat }, (_, b) => (bytes[o + (b >> 3)] >> (7 - (b & 7))) & 1).join('');
    } else if (code === 'P' || code === 'Q') {
      width = repeat ? (code === 'P' ? 8 : 16) : 0;
      const element = form[3];
      cell = o => {
        const count = code === 'P' ? view.getInt32(o) : Number(view.getBigInt64(o));
        const at = heap + (code === 'P' ? view.getInt32(o + 4) : Number(view.getBigInt64(o + 8)));
        if (element === 'A') return text(bytes, at, count);
        const type = TYPES[element];
        if (!type) return `(${count} bits)`;
        return Array.from({ length: count }, (_, k) => physical(type.get(view, at + k * type.size))).join(' ');
      };
    } else {
      const type = TYPES[code];
      width = repeat * type.size;
      cell = repeat === 1 ? o => physical(type.get(view, o))
        : o => Array.from({ length: repeat }, (_, k) => physical(type.get(view, o + k * type.size))).join(' ');
    }
    const values = new Array(rowCount);
    for (let row = 0, o = start; row < rowCount; row++, o += rowLength) values[row] = width === 0 ? '' : cell(o);
    columns.push({ name: String(h.get(`TTYPE${n}`) ?? `col${n}`), unit: h.get(`TUNIT${n}`) || '', values });
    start += width;
  }
  return { columns, rowCount };
}
