/**
 * opus-uws.js 1.0.0: a browser client for Opus (IVOA UWS 1.1 and Opus's extensions), one ES module, no dependency.
 *
 * Served by every Opus server at <server>/client/lib/opus-uws.js (with CORS for the origins in Opus:Cors:Origins),
 * and used by Opus's own web client for the same operations, so it changes with the server it comes from.
 * API reference: docs/opus-uws.md. Semantic versioning: VERSION's major number changes when a call changes.
 *
 *   import { OpusClient } from 'https://opus.example.org/client/lib/opus-uws.js';
 *   const opus = new OpusClient({ token: 'opus_...' });        // the server the module came from
 *   const job = await opus.create('copy', { text: 'Hello' }, { run: true });
 *   const done = await opus.waitForEnd('copy', job.jobId);
 */

export const VERSION = '1.0.0';

const UWS = 'http://www.ivoa.net/xml/UWS/v1.0';
const XLINK = 'http://www.w3.org/1999/xlink';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
// Attributes Opus adds to a UWS result, in its own namespace.
const OPUS_RESULT_ATTRIBUTES = ['sha256', 'fileName'];

/** A refused request: `status` is the HTTP status (0 when the answer was not readable), the message the server's one line. */
export class OpusError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'OpusError';
    this.status = status;
  }
}

export const PHASES = ['PENDING', 'QUEUED', 'EXECUTING', 'COMPLETED', 'ERROR', 'ABORTED', 'HELD', 'SUSPENDED', 'UNKNOWN', 'ARCHIVED'];
export const canStart = phase => phase === 'PENDING' || phase === 'HELD';
export const canAbort = phase => ['PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED'].includes(phase);
export const isFinal = phase => ['COMPLETED', 'ERROR', 'ABORTED', 'ARCHIVED'].includes(phase);

const enc = encodeURIComponent;

/** The path of a job under the server's root: /rest/{definition}/{id}. */
export const jobPath = (definition, id) => `/rest/${enc(definition)}/${enc(id)}`;

/** An XML text as a Document; OpusError when it does not parse. Nothing of it is ever read as HTML. */
export function parseXml(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) throw new OpusError(0, 'the server sent XML that does not parse');
  return doc;
}

const uwsText = (parent, name) => {
  const el = parent.getElementsByTagNameNS(UWS, name)[0];
  if (!el || el.getAttributeNS(XSI, 'nil') === 'true') return null;
  return el.textContent;
};

function namespacedAttribute(el, name) {
  for (const attr of el.attributes) if (attr.localName === name && attr.namespaceURI !== null) return attr.value;
  return null;
}

/**
 * A UWS job document as a plain object: jobId, runId, ownerId, phase, times, parameters [{id, byReference, value}],
 * results [{id, href, size, mimeType, sha256, fileName}], error {type, message} or null, definitionVersion, and
 * progress {percent, message} (the last its script reported with opus_progress) or null.
 */
export function parseJob(doc) {
  const root = doc.documentElement;
  const job = {
    jobId: uwsText(root, 'jobId'),
    runId: uwsText(root, 'runId'),
    ownerId: uwsText(root, 'ownerId'),
    phase: uwsText(root, 'phase'),
    quote: uwsText(root, 'quote'),
    creationTime: uwsText(root, 'creationTime'),
    startTime: uwsText(root, 'startTime'),
    endTime: uwsText(root, 'endTime'),
    executionDuration: uwsText(root, 'executionDuration'),
    destruction: uwsText(root, 'destruction'),
    parameters: [],
    results: [],
    error: null,
  };
  for (const p of root.getElementsByTagNameNS(UWS, 'parameter')) {
    job.parameters.push({ id: p.getAttribute('id'), byReference: p.getAttribute('byReference') === 'true', value: p.textContent });
  }
  for (const r of root.getElementsByTagNameNS(UWS, 'result')) {
    const result = {
      id: r.getAttribute('id'),
      href: r.getAttributeNS(XLINK, 'href'),
      size: r.getAttribute('size') === null ? null : Number(r.getAttribute('size')),
      mimeType: r.getAttribute('mime-type') || 'application/octet-stream',
    };
    for (const name of OPUS_RESULT_ATTRIBUTES) result[name] = namespacedAttribute(r, name);
    job.results.push(result);
  }
  const error = root.getElementsByTagNameNS(UWS, 'errorSummary')[0];
  if (error) job.error = { type: error.getAttribute('type'), message: uwsText(error, 'message') };
  // Opus's jobInfo: the definition version the job runs.
  const info = root.getElementsByTagNameNS(UWS, 'jobInfo')[0];
  const definition = info && [...info.children].find(el => el.localName === 'definition');
  job.definitionVersion = definition ? definition.getAttribute('version') : null;
  const progress = info && [...info.children].find(el => el.localName === 'progress');
  job.progress = progress ? { percent: Number(progress.getAttribute('percent')), message: progress.textContent } : null;
  return job;
}

/** Name/value pairs from an object ({ a: 1, b: [2, 3] }), a Map or an array of pairs; FormData and URLSearchParams pass through. */
function formOf(values) {
  if (values instanceof FormData || values instanceof URLSearchParams) return values;
  const pairs = values instanceof Map || Array.isArray(values) ? [...values] : Object.entries(values || {});
  const hasFile = pairs.some(([, v]) => v instanceof Blob || (Array.isArray(v) && v.some(x => x instanceof Blob)));
  const form = hasFile ? new FormData() : new URLSearchParams();
  for (const [name, value] of pairs) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one === undefined || one === null) continue;
      if (one instanceof Blob) form.append(name, one, one.name || name);
      else form.append(name, String(one));
    }
  }
  return form;
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

export class OpusClient {
  /**
   * @param {object} [options]
   * @param {string|URL} [options.baseUrl] the server's root (with its path prefix, if any); by default the server this module was loaded from.
   * @param {string|(() => string|null)} [options.token] an API or OIDC token sent as `Authorization: Bearer`, or a function giving the current one.
   * @param {RequestCredentials} [options.credentials] fetch's credentials mode: by default 'omit' with a token and 'include' without
   *   (the browser's cookies, for a portal whose proxy signs its users in).
   */
  constructor({ baseUrl, token, credentials } = {}) {
    const base = new URL(baseUrl === undefined ? new URL('../..', import.meta.url) : baseUrl, globalThis.location ? location.href : undefined);
    this.baseUrl = base.href.replace(/\/+$/, '');
    this._token = typeof token === 'function' ? token : () => token || null;
    this._credentials = credentials;
  }

  /** The absolute URL of a server path (/rest/copy); an absolute URL is kept as it is. */
  url(path) {
    return /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : this.baseUrl + (path.startsWith('/') ? path : `/${path}`);
  }

  /** Request headers with the credentials: the Authorization header when a token is given. */
  headers(extra = {}) {
    const all = { ...extra };
    const token = this._token();
    if (token) all.Authorization = `Bearer ${token}`;
    return all;
  }

  _init(method, { body, contentType, accept, signal, headers } = {}) {
    const init = { method, headers: this.headers(headers), signal, cache: 'no-store', credentials: this._credentials || (this._token() ? 'omit' : 'include') };
    if (accept) init.headers.Accept = accept;
    if (body !== undefined) {
      init.body = body;
      if (contentType) init.headers['Content-Type'] = contentType;
    }
    return init;
  }

  /** fetch with the credentials; a non-2xx answer becomes an OpusError carrying the server's one-line message. */
  async request(method, path, options = {}) {
    let response;
    try {
      response = await fetch(this.url(path), this._init(method, options));
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new OpusError(0, `${this.baseUrl} did not answer (${e && e.message ? e.message : e}); is this page's origin in Opus:Cors:Origins?`);
    }
    if (!response.ok) throw new OpusError(response.status, await messageOf(response));
    return response;
  }

  async getJson(path, options) { return (await this.request('GET', path, options)).json(); }

  async getText(path, options) { return (await this.request('GET', path, options)).text(); }

  async getXml(path, options) { return parseXml(await this.getText(path, options)); }

  /** The caller: { userName, anonymous, admin, roles }. */
  me() { return this.getJson('/me'); }

  /**
   * A page of the caller's jobs, newest first: { total, offset, limit, order, counts: {PHASE: n}, jobs: [{id, definition, phase, runId, owner, creationTime, startTime, endTime}] }.
   * @param {{definition?: string|string[], phase?: string|string[], offset?: number, limit?: number, order?: 'asc'|'desc'}} [query]
   */
  list(query = {}) {
    const params = formOf(Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined && v !== null)));
    const text = params.toString();
    return this.getJson(text ? `/jobs?${text}` : '/jobs');
  }

  /** A job, parsed (see parseJob). */
  async job(definition, id) { return parseJob(await this.getXml(jobPath(definition, id))); }

  /**
   * Creates a job of a definition with its parameters (an object, Map or pairs; a Blob or File is uploaded);
   * options: run (start at once), runId, executionDuration (seconds), destruction (ISO time). Answers the new job.
   */
  async create(definition, parameters = {}, { run = false, runId, executionDuration, destruction } = {}) {
    const form = formOf(parameters);
    const control = { RUNID: runId, EXECUTIONDURATION: executionDuration, DESTRUCTION: destruction, PHASE: run ? 'RUN' : undefined };
    for (const [name, value] of Object.entries(control)) if (value !== undefined && value !== null) form.append(name, String(value));
    // The server answers 303 to the job, which fetch follows: the answer is the job's document.
    const response = await this.request('POST', `/rest/${enc(definition)}`, { body: form });
    return parseJob(parseXml(await response.text()));
  }

  /** Changes a PENDING job's parameters. */
  async setParameters(definition, id, parameters) {
    await this.request('POST', `${jobPath(definition, id)}/parameters`, { body: formOf(parameters) });
  }

  /** Posts PHASE=RUN, ABORT (or SUSPEND, ARCHIVE when the server allows); answers the job. */
  async setPhase(definition, id, phase) {
    const response = await this.request('POST', `${jobPath(definition, id)}/phase`, { body: formOf({ PHASE: phase }) });
    return parseJob(parseXml(await response.text()));
  }

  run(definition, id) { return this.setPhase(definition, id, 'RUN'); }

  abort(definition, id) { return this.setPhase(definition, id, 'ABORT'); }

  /**
   * UWS blocking: answers the job once it leaves `phase` (its current phase when not given), or after `seconds`
   * (the server caps it; -1 for the longest it allows).
   */
  async wait(definition, id, { seconds = 60, phase, signal } = {}) {
    const query = new URLSearchParams({ WAIT: String(seconds) });
    if (phase) query.set('PHASE', phase);
    return parseJob(await this.getXml(`${jobPath(definition, id)}?${query}`, { signal }));
  }

  /** Waits (UWS WAIT, one request at a time) until the job is COMPLETED, ERROR, ABORTED or ARCHIVED, for at most timeoutSeconds. */
  async waitForEnd(definition, id, { timeoutSeconds = 3600, signal } = {}) {
    const until = Date.now() + timeoutSeconds * 1000;
    let job = await this.job(definition, id);
    while (!isFinal(job.phase)) {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) throw new OpusError(0, `job ${id} is still ${job.phase} after ${timeoutSeconds} s`);
      job = await this.wait(definition, id, { seconds: Math.min(left, 60), phase: job.phase, signal });
    }
    return job;
  }

  /** Deletes a job with its results. */
  async delete(definition, id) { await this.request('DELETE', jobPath(definition, id)); }

  /** The job's results: [{id, href, size, mimeType, sha256, fileName}]. */
  async results(definition, id) { return (await this.job(definition, id)).results; }

  /** One result as a fetch Response (read it with .text(), .blob(), .json()); options.range: 'bytes=0-1023'. */
  result(definition, id, name, { range, signal } = {}) {
    return this.request('GET', `${jobPath(definition, id)}/results/${enc(name)}`, { signal, headers: range ? { Range: range } : {} });
  }

  /** A signed link to one result that anybody may GET without credentials until it expires (expiresSeconds; the server's default without it). */
  async link(definition, id, name, { expiresSeconds } = {}) {
    const body = formOf(expiresSeconds === undefined ? {} : { EXPIRES: expiresSeconds });
    return (await (await this.request('POST', `${jobPath(definition, id)}/results/${enc(name)}/link`, { body })).text()).trim();
  }

  /**
   * The caller's job changes, live (Server-Sent Events over fetch, so the token goes along): onEvent(type, data) with
   * type 'ready', 'job' ({id, definition, phase, deleted, at}), 'progress' ({id, definition, percent, message, at}) or 'keepalive'; onState(true|false) when the stream opens or
   * drops. Reconnects after a drop (1 s, doubling to 15 s). Answers { close() }.
   * @param {{definition?: string|string[], onEvent: Function, onState?: Function}} options
   */
  events({ definition, onEvent, onState = () => {} }) {
    const definitions = (Array.isArray(definition) ? definition : [definition]).filter(Boolean);
    const path = definitions.length ? `/events?${definitions.map(d => `definition=${enc(d)}`).join('&')}` : '/events';
    let controller = null;
    let closed = false;
    let delay = 1000;
    let timer = null;

    const dispatch = block => {
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') type = value;
        else if (name === 'data') data.push(value);
      }
      if (data.length === 0) return;
      let payload = data.join('\n');
      try { payload = JSON.parse(payload); } catch { /* plain text */ }
      onEvent(type, payload);
    };

    const connect = async () => {
      controller = new AbortController();
      try {
        const response = await fetch(this.url(path), this._init('GET', { accept: 'text/event-stream', signal: controller.signal }));
        if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
        onState(true);
        delay = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (closed) return;
      }
      onState(false);
      if (!closed) {
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      }
    };

    connect();
    return {
      close() {
        closed = true;
        clearTimeout(timer);
        if (controller) controller.abort();
      },
    };
  }
}
