// The only way the client talks to the server: the public REST API, with the token as a Bearer header.
// The token lives in memory and in sessionStorage (this tab only, gone when the tab closes), never in a cookie.

const STORAGE_KEY = 'opus.token';
let token = sessionStorage.getItem(STORAGE_KEY);
export let me = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setToken(value) {
  token = value || null;
  if (token) sessionStorage.setItem(STORAGE_KEY, token);
  else sessionStorage.removeItem(STORAGE_KEY);
}

export const hasToken = () => !!token;

// The server may be reached under a prefix (/opus/client/ behind a proxy): API paths are taken from the
// folder above the client's (this file is <prefix>/client/js/api.js).
const PREFIX = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const serverPath = (path) => (path.startsWith('/') ? PREFIX + path : path);

export function headers(extra = {}) {
  const all = { ...extra };
  if (token) all.Authorization = `Bearer ${token}`;
  return all;
}

/** fetch with the credentials; a non-2xx answer becomes an ApiError carrying the server's one-line message. */
export async function request(method, path, { body, contentType, accept, signal, extraHeaders } = {}) {
  const init = { method, headers: headers(extraHeaders), signal, credentials: 'omit', cache: 'no-store' };
  if (accept) init.headers.Accept = accept;
  if (body !== undefined) {
    init.body = body;
    if (contentType) init.headers['Content-Type'] = contentType;
  }
  const response = await fetch(serverPath(path), init);
  if (!response.ok) throw new ApiError(response.status, await messageOf(response));
  return response;
}

async function messageOf(response) {
  let text = '';
  try { text = (await response.text()).trim(); } catch { /* no body */ }
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text);
      text = json.detail || json.message || json.title || text;
    } catch { /* not JSON after all */ }
  }
  return text || `${response.status} ${response.statusText}`;
}

export const getJson = async (path, options) => (await request('GET', path, options)).json();
export const getText = async (path, options) => (await request('GET', path, options)).text();
export async function getXml(path, options) {
  const text = await getText(path, options);
  return parseXml(text);
}

export function parseXml(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) throw new ApiError(0, 'the server sent XML that does not parse');
  return doc;
}

/** POST a form (URLSearchParams or FormData); fetch follows the 303, so the answer is the resource it names. */
export function postForm(path, form) {
  return request('POST', path, { body: form });
}

export function form(entries) {
  const data = new URLSearchParams();
  for (const [name, value] of entries) data.append(name, value);
  return data;
}

export async function whoAmI() {
  me = await getJson('/me');
  return me;
}

export function forget() {
  setToken(null);
  me = null;
}

/** Downloads a resource through fetch (so the token goes along) and saves it under `fileName`; a `body` makes it a POST. */
export async function download(path, fileName, body) {
  const blob = await (await request(body === undefined ? 'GET' : 'POST', path, { body })).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName || path.split('/').pop();
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

export const enc = encodeURIComponent;
