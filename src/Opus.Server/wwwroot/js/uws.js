// UWS 1.1 documents as plain objects (read with DOMParser; nothing of them is ever parsed as HTML).
import { getXml, enc, postForm, request, form } from './api.js';

const UWS = 'http://www.ivoa.net/xml/UWS/v1.0';
const XLINK = 'http://www.w3.org/1999/xlink';
const OPUS_ATTRS = ['sha256', 'fileName'];

const text = (parent, name) => {
  const el = parent.getElementsByTagNameNS(UWS, name)[0];
  if (!el || el.getAttributeNS('http://www.w3.org/2001/XMLSchema-instance', 'nil') === 'true') return null;
  return el.textContent;
};

function customAttr(el, name) {
  for (const attr of el.attributes) if (attr.localName === name && attr.namespaceURI !== null) return attr.value;
  return null;
}

export function parseJob(doc) {
  const root = doc.documentElement;
  const job = {
    jobId: text(root, 'jobId'),
    runId: text(root, 'runId'),
    ownerId: text(root, 'ownerId'),
    phase: text(root, 'phase'),
    quote: text(root, 'quote'),
    creationTime: text(root, 'creationTime'),
    startTime: text(root, 'startTime'),
    endTime: text(root, 'endTime'),
    executionDuration: text(root, 'executionDuration'),
    destruction: text(root, 'destruction'),
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
    for (const name of OPUS_ATTRS) result[name] = customAttr(r, name);
    job.results.push(result);
  }
  const error = root.getElementsByTagNameNS(UWS, 'errorSummary')[0];
  if (error) job.error = { type: error.getAttribute('type'), message: text(error, 'message') };
  // Opus's jobInfo: the definition version the job runs.
  const info = root.getElementsByTagNameNS(UWS, 'jobInfo')[0];
  const definition = info && [...info.children].find(el => el.localName === 'definition');
  job.definitionVersion = definition ? definition.getAttribute('version') : null;
  return job;
}

export const jobPath = (definition, id) => `/rest/${enc(definition)}/${enc(id)}`;

export async function getJob(definition, id) {
  return parseJob(await getXml(jobPath(definition, id)));
}

export async function setPhase(definition, id, phase) {
  return parseJob(await postXml(`${jobPath(definition, id)}/phase`, form([['PHASE', phase]])));
}

export async function deleteJob(definition, id) {
  await request('DELETE', jobPath(definition, id));
}

async function postXml(path, body) {
  const response = await postForm(path, body);
  return new DOMParser().parseFromString(await response.text(), 'application/xml');
}

export const PHASES = ['PENDING', 'QUEUED', 'EXECUTING', 'COMPLETED', 'ERROR', 'ABORTED', 'HELD', 'SUSPENDED', 'UNKNOWN', 'ARCHIVED'];
export const canStart = phase => phase === 'PENDING' || phase === 'HELD';
export const canAbort = phase => ['PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED'].includes(phase);
export const isFinal = phase => ['COMPLETED', 'ERROR', 'ABORTED', 'ARCHIVED'].includes(phase);

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
