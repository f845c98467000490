// One job: summary, parameters (editable while PENDING), results with previews and downloads,
// stdout and stderr, the error, the provenance graph, and the controls. Updated live from /events.
import { h, replace, phaseBadge, time, bytes, toast, confirmDialog, field, throttle } from '../dom.js';
import { getText, request, download, enc, form, ApiError } from '../api.js';
import { getJob, jobPath, setPhase, deleteJob, canStart, canAbort, isFinal } from '../uws.js';
import { preview } from '../preview.js';
import { provenanceGraph } from '../prov.js';
import { openEvents } from '../sse.js';
import { go } from '../app.js';

// The provenance documents the server adds to a finished job's results.
const PROVENANCE = /^prov(json|xml|svg|n)$/;

export async function render(main, route) {
  const [definition, id] = route.parts;
  document.title = `Job ${id} · Opus`;
  const base = jobPath(definition, id);
  let job = await getJob(definition, id);

  const summary = h('div', { class: 'panel', 'data-testid': 'job-summary' });
  const controls = h('div', { class: 'row' });
  const parameters = h('div', { class: 'panel' });
  const results = h('div', { class: 'panel', 'data-testid': 'job-results' });
  const logs = h('div', { class: 'panel' });
  const errorBox = h('div');
  const provBox = h('div', { class: 'panel' });
  const title = h('h1', {}, `Job `, h('span', { class: 'mono' }, id));

  replace(main,
    h('p', {}, h('a', { href: `#/jobs?definition=${enc(definition)}` }, `← ${definition} jobs`)),
    h('div', { class: 'row spread' }, title, controls),
    errorBox, summary, parameters, results, logs, provBox);

  let shownPhase = null;
  function paint() {
    replace(controls,
      h('button', { type: 'button', class: 'primary', disabled: !canStart(job.phase), onclick: () => act('RUN') }, 'Start'),
      h('button', { type: 'button', disabled: !canAbort(job.phase), onclick: () => act('ABORT') }, 'Abort'),
      h('a', { class: 'button', href: `#/new/${enc(definition)}?from=${enc(id)}` }, 'Rerun'),
      h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete'));
    replace(summary,
      h('dl', { class: 'summary' },
        h('dt', {}, 'Phase'), h('dd', { 'data-testid': 'job-phase' }, phaseBadge(job.phase)),
        h('dt', {}, 'Definition'), h('dd', { 'data-testid': 'job-definition' }, h('a', { href: `#/definitions/${enc(definition)}` }, definition),
          job.definitionVersion ? ` (version ${job.definitionVersion})` : null),
        h('dt', {}, 'Run ID'), h('dd', {}, job.runId || '—'),
        h('dt', {}, 'Owner'), h('dd', {}, job.ownerId || 'anonymous'),
        h('dt', {}, 'Created'), h('dd', {}, time(job.creationTime)),
        h('dt', {}, 'Started'), h('dd', {}, time(job.startTime)),
        h('dt', {}, 'Ended'), h('dd', {}, time(job.endTime)),
        h('dt', {}, 'Duration limit'), h('dd', {}, job.executionDuration === '0' ? 'unlimited' : `${job.executionDuration} s`),
        h('dt', {}, 'Quote'), h('dd', {}, time(job.quote)),
        h('dt', {}, 'Destruction'), h('dd', {}, time(job.destruction))));
    paintParameters();
    if (shownPhase !== job.phase) {
      paintResults();
      paintLogs();
      paintError();
    }
    shownPhase = job.phase;
  }

  function paintParameters() {
    const editable = job.phase === 'PENDING';
    if (!editable) {
      replace(parameters, h('h2', {}, 'Parameters'), job.parameters.length === 0 ? h('p', { class: 'muted' }, 'None.') :
        h('table', { 'aria-label': 'Parameters' }, h('tbody', {}, job.parameters.map(p => h('tr', {},
          h('th', { scope: 'row' }, p.id),
          h('td', { class: 'mono', 'data-testid': `param-${p.id}` }, p.byReference ? referenceLink(p) : p.value))))));
      return;
    }
    const inputs = job.parameters.filter(p => !p.byReference).map(p => ({ p, input: h('input', { value: p.value, name: p.id }) }));
    const problem = h('div', { class: 'alert', hidden: true, role: 'alert' });
    const editor = h('form', { 'aria-label': 'Edit parameters' }, inputs.map(({ p, input }) => field(p.id, input)), problem,
      h('button', { type: 'submit' }, 'Save parameters'));
    editor.addEventListener('submit', async event => {
      event.preventDefault();
      problem.hidden = true;
      const changed = inputs.filter(({ p, input }) => input.value !== p.value);
      if (changed.length === 0) { toast('Nothing changed'); return; }
      try {
        await request('POST', `${base}/parameters`, { body: form(changed.map(({ p, input }) => [p.id, input.value])) });
        toast('Parameters saved');
        await reload();
      } catch (e) {
        problem.textContent = e.message;
        problem.hidden = false;
      }
    });
    replace(parameters, h('h2', {}, 'Parameters'), h('p', { class: 'muted' }, 'The job has not started: its parameters can still change.'), editor);
  }

  function referenceLink(p) {
    const digest = /([0-9a-f]{64})\s*$/i.exec(p.value);
    return digest
      ? h('button', { type: 'button', class: 'link', onclick: () => download(`/store/${digest[1]}`).catch(e => toast(e.message, true)) }, `stored file ${digest[1].slice(0, 12)}…`)
      : h('button', { type: 'button', class: 'link', onclick: () => download(`${base}/parameters/${enc(p.id)}`, p.id).catch(e => toast(e.message, true)) }, 'value (download)');
  }

  function paintResults() {
    if (job.results.length === 0) {
      replace(results, h('h2', {}, 'Results'), h('p', { class: 'muted' }, isFinal(job.phase) ? 'This job has no results.' : 'Results appear when the job ends.'));
      return;
    }
    const card = r => {
      const path = `${base}/results/${enc(r.id)}`;
      const fileName = r.fileName ? r.fileName.split('/').pop() : r.id;
      const slot = h('div', { class: 'preview' });
      const toggle = h('button', { type: 'button', 'aria-expanded': 'false' }, 'Preview');
      toggle.addEventListener('click', async () => {
        const open = toggle.getAttribute('aria-expanded') === 'true';
        toggle.setAttribute('aria-expanded', String(!open));
        toggle.textContent = open ? 'Preview' : 'Hide preview';
        if (open) { replace(slot); return; }
        replace(slot, h('p', { class: 'muted' }, 'Loading…'));
        try { replace(slot, await preview(path, r.mimeType, r.size, fileName)); } catch (e) { replace(slot, h('div', { class: 'alert' }, e.message)); }
      });
      return h('div', { class: 'result', 'data-result': r.id },
        h('div', { class: 'row spread' },
          h('div', {}, h('strong', {}, r.id), ' ', h('span', { class: 'mono' }, fileName), ' ',
            h('span', { class: 'muted' }, `${r.mimeType} · ${bytes(r.size)}`)),
          h('div', { class: 'row' }, toggle,
            h('button', { type: 'button', onclick: () => download(path, fileName).catch(e => toast(e.message, true)) }, 'Download'))),
        r.sha256 ? h('div', { class: 'hint mono' }, `sha256 ${r.sha256}`) : null,
        slot);
    };
    const own = job.results.filter(r => !PROVENANCE.test(r.id));
    const provenance = job.results.filter(r => PROVENANCE.test(r.id));
    // Every result of the job's own in one zip, streamed by the server (.../results.zip).
    const all = own.length ? h('button', { type: 'button', onclick: () => download(`${base}/results.zip`, `${id}-results.zip`).catch(e => toast(e.message, true)) }, 'Download all') : null;
    replace(results, h('div', { class: 'row spread' }, h('h2', {}, 'Results'), all),
      own.length ? own.map(card) : h('p', { class: 'muted' }, 'The job generated no result of its own.'),
      provenance.length ? h('details', { class: 'result-group' }, h('summary', {}, `Provenance documents (${provenance.length})`), provenance.map(card)) : null);
    // The first small result of the job's own (not a provenance document) is shown at once.
    const first = job.results.find(r => !PROVENANCE.test(r.id) && r.size !== null && r.size < 256 * 1024);
    if (first) results.querySelector(`[data-result="${CSS.escape(first.id)}"] button`).click();
  }

  function paintLogs() {
    const log = (name) => {
      const body = h('pre', { 'data-testid': `log-${name}` }, '');
      const box = h('details', {}, h('summary', {}, name), body);
      box.addEventListener('toggle', async () => {
        if (!box.open) return;
        try {
          const text = await getText(`${base}/${name}`);
          body.textContent = text || `(${name} is empty)`;
        } catch (e) { body.textContent = e.message; }
      });
      return box;
    };
    replace(logs, h('h2', {}, 'Output'), log('stdout'), log('stderr'));
  }

  async function paintError() {
    if (job.phase !== 'ERROR') { replace(errorBox); return; }
    const detail = h('pre', {}, job.error ? job.error.message || '' : '');
    replace(errorBox, h('div', { class: 'alert', role: 'alert', 'data-testid': 'job-error' }, h('strong', {}, 'The job failed. '), job.error ? job.error.message : ''),
      h('details', {}, h('summary', {}, 'Error details'), detail));
    try { detail.textContent = await getText(`${base}/error`); } catch { /* the summary is shown anyway */ }
  }

  function paintProvenance() {
    const show = h('button', { type: 'button', 'data-testid': 'prov-show' }, 'Show provenance graph');
    const slot = h('div');
    show.addEventListener('click', async () => {
      show.disabled = true;
      replace(slot, h('p', { class: 'muted' }, 'Loading…'));
      try { replace(slot, await provenanceGraph(definition, id)); } catch (e) { replace(slot, h('div', { class: 'alert' }, e.message)); }
      show.disabled = false;
      show.textContent = 'Reload provenance graph';
    });
    replace(provBox, h('h2', {}, 'Provenance'), h('p', { class: 'muted' }, 'What this job used and generated, and the jobs before and after it.'), show, slot);
  }

  async function act(phase) {
    try {
      job = await setPhase(definition, id, phase);
      paint();
    } catch (e) { toast(e.message, true); }
  }

  async function remove() {
    if (!await confirmDialog(`Delete job ${id}? Its results are removed with it.`)) return;
    try {
      await deleteJob(definition, id);
      toast(`Deleted ${id.slice(0, 10)}…`);
      go(`#/jobs?definition=${enc(definition)}`);
    } catch (e) { toast(e.message, true); }
  }

  async function reload() {
    try {
      job = await getJob(definition, id);
      paint();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        replace(summary, h('div', { class: 'alert' }, 'This job no longer exists.'));
        return;
      }
      toast(e.message, true);
    }
  }

  paint();
  paintProvenance();
  const reloadSoon = throttle(reload, 250);
  const events = openEvents(`/events?definition=${enc(definition)}`, (type, change) => {
    if (type === 'job' && change.id === id) reloadSoon();
  }, on => { if (on) reloadSoon(); });
  return () => events.close();
}
