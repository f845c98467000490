// The only way the client talks to the server: the public REST API, with the token as a Bearer header.
// The token lives in memory and in sessionStorage (this tab only, gone when the tab closes), never in a cookie.
import { OpusClient } from '../lib/opus-uws.js';

const STORAGE_KEY = 'opus.token';
let token = sessionStorage.getItem(STORAGE_KEY);
export let me = null;

// The requests, the UWS documents and the event stream are the embeddable client's (lib/opus-uws.js), the one
// other tools use: what the web client does with it is what a portal can do.
export { OpusError as ApiError, parseXml, parseJob, jobPath, PHASES, canStart, canAbort, isFinal } from '../lib/opus-uws.js';

export function setToken(value) {
  token = value || null;
  if (token) sessionStorage.setItem(STORAGE_KEY, token);
  else sessionStorage.removeItem(STORAGE_KEY);
}

export const hasToken = () => !!token;

// The server may be reached under a prefix (/opus/client/ behind a proxy): the module takes its root from where it
// was loaded (<prefix>/client/lib/opus-uws.js). No cookie goes along: the token is the only credential.
export const opus = new OpusClient({ token: () => token, credentials: 'omit' });

/** fetch with the credentials; a non-2xx answer becomes an ApiError carrying the server's one-line message. */
export const request = (method, path, options = {}) => opus.request(method, path, { ...options, headers: options.extraHeaders });

export const getJson = async (path, options) => (await request('GET', path, options)).json();
export const getText = async (path, options) => (await request('GET', path, options)).text();

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

export const getJob = (definition, id) => opus.job(definition, id);
export const setPhase = (definition, id, phase) => opus.setPhase(definition, id, phase);
export const deleteJob = (definition, id) => opus.delete(definition, id);
/** The caller's job changes (of one definition, or all): onEvent(type, data), onState(connected); answers { close() }. */
export const openEvents = (definition, onEvent, onState) => opus.events({ definition, onEvent, onState });

/** A by-reference parameter (a stored file) is given again by its store digest. */
export function storeReference(url) {
  const m = /([0-9a-f]{64})\s*$/i.exec(url || '');
  return m ? `opus_store:${m[1]}` : url;
}

/**
 * Rerun: a new job of the same definition with the job's parameters, inputs (by their store digest) and
 * run ID, started at once. Answers the new job's id. The server checks everything as for any new job.
 */
export async function rerunJob(definition, id) {
  const job = await getJob(definition, id);
  const data = form(job.parameters.map(p => [p.id, p.byReference ? storeReference(p.value) : p.value]));
  if (job.runId) data.append('RUNID', job.runId);
  data.append('PHASE', 'RUN');
  const response = await request('POST', `/rest/${enc(definition)}`, { body: data });
  return new URL(response.url).pathname.split('/').pop();
}
