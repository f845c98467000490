// The first TABLE of a VOTable (1.1 to 1.5) as columns: TABLEDATA, or BINARY / BINARY2 streams
// (base64, big-endian; BINARY2 rows start with one null flag a field, most significant bit first).
// Numbers stay numbers (null when missing or equal to the field's VALUES null); arrays become text.

const SIZES = { boolean: 1, bit: 1, unsignedByte: 1, short: 2, int: 4, long: 8, char: 1, unicodeChar: 2, float: 4, double: 8, floatComplex: 8, doubleComplex: 16 };
const NUMERIC = new Set(['unsignedByte', 'short', 'int', 'long', 'float', 'double']);

function field(el) {
  const datatype = el.getAttribute('datatype') || 'char';
  const arraysize = el.getAttribute('arraysize');
  const dims = arraysize ? arraysize.split('x') : [];
  const variable = dims.length > 0 && dims[dims.length - 1].endsWith('*');
  const fixed = dims.reduce((n, d) => n * (parseInt(d, 10) || 1), 1);
  const values = [...el.children].find(c => c.localName === 'VALUES');
  const nullText = values ? values.getAttribute('null') : null;
  return {
    name: el.getAttribute('name') || el.getAttribute('ID') || '',
    unit: el.getAttribute('unit') || '',
    datatype, variable, count: dims.length ? fixed : 1, array: dims.length > 0,
    nullValue: nullText === null ? null : Number(nullText),
  };
}

/** { columns: [{ name, unit, values }], rowCount } of the first TABLE, or null when the document has none. */
export function readVotable(doc) {
  const tableEl = doc.getElementsByTagNameNS('*', 'TABLE')[0];
  if (!tableEl) return null;
  const fields = [...tableEl.children].filter(c => c.localName === 'FIELD').map(field);
  const data = [...tableEl.children].find(c => c.localName === 'DATA');
  const body = data ? [...data.children][0] : null;
  let rows = [];
  if (body && body.localName === 'TABLEDATA') rows = tableData(body, fields);
  else if (body && (body.localName === 'BINARY' || body.localName === 'BINARY2')) {
    const stream = [...body.children].find(c => c.localName === 'STREAM');
    if (!stream || stream.getAttribute('href')) throw new Error('The VOTable data is in another file (STREAM href); download it.');
    if (stream.getAttribute('encoding') && stream.getAttribute('encoding') !== 'base64') throw new Error(`VOTable stream encoding ${stream.getAttribute('encoding')} is not supported.`);
    rows = binary(base64(stream.textContent), fields, body.localName === 'BINARY2');
  } else if (body) throw new Error(`VOTable ${body.localName} data is not supported; download it.`);
  const columns = fields.map((f, i) => ({ name: f.name, unit: f.unit, values: rows.map(r => r[i]) }));
  return { columns, rowCount: rows.length };
}

function tableData(body, fields) {
  const rows = [];
  for (const tr of body.children) {
    if (tr.localName !== 'TR') continue;
    const tds = [...tr.children].filter(c => c.localName === 'TD');
    rows.push(fields.map((f, i) => {
      const text = tds[i] ? tds[i].textContent : '';
      if (!NUMERIC.has(f.datatype) || f.array) return text;
      if (text.trim() === '') return null;
      const value = Number(text);
      if (Number.isNaN(value)) return /^\s*nan\s*$/i.test(text) ? null : text;
      return value === f.nullValue ? null : value;
    }));
  }
  return rows;
}

function base64(text) {
  const binaryText = atob(text.replace(/\s+/g, ''));
  const bytes = new Uint8Array(binaryText.length);
  for (let i = 0; i < binaryText.length; i++) bytes[i] = binaryText.charCodeAt(i);
  return bytes;
}

function scalar(view, o, datatype) {
  switch (datatype) {
    case 'boolean': { const c = String.fromCharCode(view.getUint8(o)); return 'Tt1'.includes(c) ? true : 'Ff0'.includes(c) ? false : null; }
    case 'unsignedByte': return view.getUint8(o);
    case 'short': return view.getInt16(o);
    case 'int': return view.getInt32(o);
    case 'long': return Number(view.getBigInt64(o));
    case 'float': return view.getFloat32(o);
    case 'double': return view.getFloat64(o);
    case 'floatComplex': return `${view.getFloat32(o)} ${view.getFloat32(o + 4)}`;
    case 'doubleComplex': return `${view.getFloat64(o)} ${view.getFloat64(o + 8)}`;
    default: throw new Error(`VOTable datatype ${datatype} is not supported.`);
  }
}

function binary(bytes, fields, withNullFlags) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flagBytes = withNullFlags ? Math.ceil(fields.length / 8) : 0;
  const rows = [];
  let o = 0;
  while (o < bytes.length) {
    const flags = bytes.subarray(o, o + flagBytes);
    o += flagBytes;
    const row = fields.map((f, i) => {
      const count = f.variable ? view.getUint32((o += 4) - 4) : f.count;
      const size = f.datatype === 'bit' ? Math.ceil(count / 8) : count * SIZES[f.datatype];
      const at = o;
      o += size;
      if (withNullFlags && (flags[i >> 3] >> (7 - (i & 7))) & 1) return null;
      if (f.datatype === 'char') return String.fromCharCode(...bytes.subarray(at, at + count)).replace(/\0.*$/s, '').trimEnd();
      if (f.datatype === 'unicodeChar') return String.fromCharCode(...Array.from({ length: count }, (_, k) => view.getUint16(at + 2 * k))).replace(/\0.*$/s, '').trimEnd();
      if (f.datatype === 'bit') return Array.from({ length: count }, (_, b) => (bytes[at + (b >> 3)] >> (7 - (b & 7))) & 1).join('');
      if (!f.array) {
        const value = scalar(view, at, f.datatype);
        // NaN is the null of float and double; integers name theirs in VALUES null.
        return Number.isNaN(value) || (value === f.nullValue && NUMERIC.has(f.datatype)) ? null : value;
      }
      return Array.from({ length: count }, (_, k) => scalar(view, at + k * SIZES[f.datatype], f.datatype)).join(' ');
    });
    if (o > bytes.length) break; // a truncated last row
    rows.push(row);
  }
  return rows;
}
