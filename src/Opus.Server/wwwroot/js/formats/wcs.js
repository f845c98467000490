// Celestial coordinates of an image pixel for the gnomonic (TAN) projection of FITS WCS (Calabretta &
// Greisen 2002): CRPIX, CRVAL and the CDi_j matrix, or CDELTi with PCi_j (or CROTA2). Null when the
// header does not describe a TAN projection. No distortion terms (SIP, TPV) are applied.

const RAD = Math.PI / 180;

/** (x, y) → { lon, lat } in degrees, for FITS pixel numbers (1-based, as CRPIX counts), or null. */
export function tanWcs(header) {
  const get = key => header[key];
  const ctype1 = String(get('CTYPE1') || ''), ctype2 = String(get('CTYPE2') || '');
  if (!ctype1.endsWith('-TAN') || !ctype2.endsWith('-TAN')) return null;
  if ([get('CRVAL1'), get('CRVAL2'), get('CRPIX1'), get('CRPIX2')].some(v => typeof v !== 'number')) return null;
  let cd;
  if (['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'].some(k => typeof get(k) === 'number')) {
    cd = [[get('CD1_1') ?? 0, get('CD1_2') ?? 0], [get('CD2_1') ?? 0, get('CD2_2') ?? 0]];
  } else {
    const cdelt = [get('CDELT1') ?? 1, get('CDELT2') ?? 1];
    const rho = (get('CROTA2') ?? 0) * RAD;
    const hasPc = ['PC1_1', 'PC1_2', 'PC2_1', 'PC2_2'].some(k => typeof get(k) === 'number');
    const pc = hasPc
      ? [[get('PC1_1') ?? 1, get('PC1_2') ?? 0], [get('PC2_1') ?? 0, get('PC2_2') ?? 1]]
      : [[Math.cos(rho), -Math.sin(rho) * cdelt[1] / cdelt[0]], [Math.sin(rho) * cdelt[0] / cdelt[1], Math.cos(rho)]];
    cd = [[cdelt[0] * pc[0][0], cdelt[0] * pc[0][1]], [cdelt[1] * pc[1][0], cdelt[1] * pc[1][1]]];
  }
  // Latitude first (DEC--TAN, RA---TAN) is allowed: the axes are swapped back at the end.
  const swapped = /^(DEC|GLAT|ELAT|SLAT|HLAT)/.test(ctype1);
  const [lon0, lat0] = (swapped ? [get('CRVAL2'), get('CRVAL1')] : [get('CRVAL1'), get('CRVAL2')]).map(v => v * RAD);
  return (x, y) => {
    const dx = x - get('CRPIX1'), dy = y - get('CRPIX2');
    let xi = (cd[0][0] * dx + cd[0][1] * dy) * RAD, eta = (cd[1][0] * dx + cd[1][1] * dy) * RAD;
    if (swapped) [xi, eta] = [eta, xi];
    const d = Math.cos(lat0) - eta * Math.sin(lat0);
    const lon = (lon0 + Math.atan2(xi, d)) / RAD;
    const lat = Math.atan2(eta * Math.cos(lat0) + Math.sin(lat0), Math.hypot(xi, d)) / RAD;
    return { lon: ((lon % 360) + 360) % 360, lat, equatorial: /^(RA|DEC)/.test(ctype1) };
  };
}

/** 83.6331 → "05h34m31.94s"; 22.0145 → "+22°00′52.2″". */
export function sexagesimal(degrees, hours) {
  const sign = degrees < 0 ? '-' : '+';
  let v = Math.abs(degrees) / (hours ? 15 : 1);
  const a = Math.floor(v); v = (v - a) * 60;
  const b = Math.floor(v); const c = (v - b) * 60;
  const two = n => String(n).padStart(2, '0');
  return hours
    ? `${two(a)}h${two(b)}m${c.toFixed(2).padStart(5, '0')}s`
    : `${sign}${two(a)}°${two(b)}′${c.toFixed(1).padStart(4, '0')}″`;
}
