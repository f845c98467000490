// The server's parameter checks (Opus.Core ParameterValidator), mirrored so mistakes show before sending.
// The server checks again; its message wins when the two disagree.

const INT = /^\s*[+-]?\d+\s*$/;
const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const INT_RANGE = { 'xs:int': [-2147483648, 2147483647], 'xs:long': [-9223372036854775808n, 9223372036854775807n] };

const shorten = v => (v.length <= 60 ? v : `${v.slice(0, 57)}...`);

/** Null when the value is acceptable, otherwise what is wrong (worded as the server words it). */
export function checkParameter(p, value) {
  const shown = shorten(value);
  const type = p.type || 'xs:string';
  if (type === 'xs:int' || type === 'xs:long') {
    if (!INT.test(value)) return `'${shown}' is not an integer (${type})`;
    const [lo, hi] = INT_RANGE[type];
    const big = BigInt(value.trim());
    if (big < BigInt(lo) || big > BigInt(hi)) return `'${shown}' is not an integer (${type})`;
    return checkRange(p, Number(value));
  }
  if (type === 'xs:double' || type === 'xs:float') {
    if (!NUMBER.test(value) || !Number.isFinite(Number(value))) return `'${shown}' is not a number (${type})`;
    return checkRange(p, Number(value));
  }
  if (type === 'xs:boolean') {
    if (!['true', 'false', '1', '0'].includes(value.trim().toLowerCase())) return `'${shown}' is not a boolean (true, false, 1 or 0)`;
  } else if (type === 'xs:dateTime') {
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value.trim()) || Number.isNaN(Date.parse(value.trim())))
      return `'${shown}' is not an ISO 8601 date and time (xs:dateTime)`;
  } else if (type === 'xs:anyURI') {
    try { new URL(value); } catch { return `'${shown}' is not an absolute URI (xs:anyURI)`; }
  }
  if (p.options && p.options.length > 0 && !p.options.includes(value)) return `'${shown}' is not one of the options: ${p.options.join(', ')}`;
  return null;
}

function checkRange(p, value) {
  if (p.min !== undefined && p.min !== null && Number.isFinite(Number(p.min)) && value < Number(p.min)) return `${value} is below the minimum ${p.min}`;
  if (p.max !== undefined && p.max !== null && Number.isFinite(Number(p.max)) && value > Number(p.max)) return `${value} is above the maximum ${p.max}`;
  return null;
}

/** Which form field a server message names: "parameter 'x': ...", "input 'x': ...", "EXECUTIONDURATION: ..." */
export function fieldOfMessage(message) {
  let m = /^(?:parameter|input|upload) '([^']+)'/.exec(message);
  if (m) return m[1];
  m = /^(RUNID|EXECUTIONDURATION|DESTRUCTION)\b/i.exec(message);
  return m ? m[1].toUpperCase() : null;
}
