// One job: summary, parameters (editable while PENDING), results with previews and downloads,
// stdout and stderr (followed while the job runs), the error, the provenance graph, and the controls.
// Updated live from /events: phase changes, and the progress its script reports (opus_progress).
import { h, replace, phaseBadge, time, bytes, toast, confirmDialog, field, throttle, uid } from '../dom.js';
import { getText, request, download, enc, form, ApiError, opus, me, getJob, jobPath, setPhase, deleteJob, canStart, canAbort, isFinal, openEvents } from '../api.js';
import { curlCommand, powershellCommand, pythonSnippet } from '../copyas.js';
import { preview, previewKind, fitsKind } from '../preview.js';
import * as sampHub from '../samp.js';
import { provenancePanel } from '../prov.js';
import { go } from '../app.js';

// The provenance documents the server adds to a finished job's results.
const PROVENANCE = /^prov(json|xml|svg|n)$/;
// The most of stdout or stderr the page holds: the newest bytes, earlier ones dropped.
const LOG_SHOWN = 256 * 1024;
// How often an open log of a running job asks for what was written since.
const LOG_POLL_MS = 1500;

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
  const progressBox = h('div');
  const errorBox = h('div');
  const provBox = h('div', { class: 'panel' });
  const title = h('h1', {}, `Job `, h('span', { class: 'mono' }, id));
  const copyAs = copyAsControl();

  replace(main,
    h('p', {}, h('a', { href: `#/jobs?definition=${enc(definition)}` }, `← ${definition} jobs`)),
    h('div', { class: 'row spread' }, title, controls),
    copyAs.box, errorBox, summary, progressBox, parameters, results, logs, provBox);

  let shownPhase = null;
  function paint() {
    replace(controls,
      h('button', { type: 'button', class: 'primary', disabled: !canStart(job.phase), onclick: () => act('RUN') }, 'Start'),
      h('button', { type: 'button', disabled: !canAbort(job.phase), onclick: () => act('ABORT') }, 'Abort'),
      h('a', { class: 'button', href: `#/new/${enc(definition)}?from=${enc(id)}` }, 'Rerun'),
      copyAs.button,
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
    paintProgress(job.progress);
    if (shownPhase !== job.phase) {
      paintResults();
      followers.forEach(f => f.refresh());
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
      const link = copyLink(path, r.id);
      const sendable = ['votable', 'csv', 'fits'].includes(previewKind(r.mimeType, fileName));
      const send = sendable && !PROVENANCE.test(r.id) ? sendTo(path, r.id, fileName, previewKind(r.mimeType, fileName)) : null;
      return h('div', { class: 'result', 'data-result': r.id },
        h('div', { class: 'row spread' },
          h('div', {}, h('strong', {}, r.id), ' ', h('span', { class: 'mono' }, fileName), ' ',
            h('span', { class: 'muted' }, `${r.mimeType} · ${bytes(r.size)}`)),
          h('div', { class: 'row' }, toggle,
            h('button', { type: 'button', onclick: () => download(path, fileName).catch(e => toast(e.message, true)) }, 'Download'),
            link.button, send ? send.button : null)),
        r.sha256 ? h('div', { class: 'hint mono' }, `sha256 ${r.sha256}`) : null,
        link.box, send ? send.box : null,
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

  // A signed link (anyone holding it may download the result until it expires) for the result at `path`.
  async function signedLink(path) {
    return (await (await request('POST', `${path}/link`)).text()).trim();
  }

  // "Copy link": a signed link to the clipboard; when the browser refuses the clipboard, in a field to copy from.
  function copyLink(path, name) {
    const box = h('div', { class: 'link-box' });
    const button = h('button', { type: 'button' }, 'Copy link');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const url = await signedLink(path);
        const until = time(new Date(Number(new URL(url).searchParams.get('exp')) * 1000).toISOString());
        try {
          await navigator.clipboard.writeText(url);
          replace(box, h('p', { class: 'hint', role: 'status', 'data-testid': 'link-copied' },
            `Link to ${name} copied. Anyone holding it may download the result without signing in, until `, until, '.'));
        } catch {
          const fieldId = uid('link');
          const input = h('input', { id: fieldId, class: 'mono', readonly: true, value: url, 'data-testid': 'link-field' });
          replace(box, h('label', { for: fieldId }, `Signed link to ${name} (the browser did not let this page use the clipboard: copy it from here; valid until `, until, ')'), input);
          input.focus();
          input.select();
        }
      } catch (e) {
        replace(box, h('div', { class: 'alert', role: 'alert' }, e.message));
      } finally {
        button.disabled = false;
      }
    });
    return { button, box };
  }

  // "Copy as": the same job as a curl, PowerShell or Python command, to the clipboard; when the browser refuses
  // the clipboard, in a field to copy from (as "Copy link").
  function copyAsControl() {
    const box = h('div', { class: 'panel', id: uid('copy-as'), hidden: true, 'data-testid': 'copy-as' });
    const button = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': box.id }, 'Copy as…');
    const forms = [
      ['curl', 'curl command', () => curlCommand(job, definition, opus.baseUrl)],
      ['PowerShell', 'PowerShell command', () => powershellCommand(job, definition, opus.baseUrl, me && !me.anonymous ? me.userName : null)],
      ['Python', 'Python snippet', () => pythonSnippet(job, definition, opus.baseUrl)],
    ];
    const outcome = h('div');
    const choices = h('div', { class: 'row' }, forms.map(([name, what, text]) => h('button', { type: 'button', onclick: () => copy(what, text()) }, name)));
    async function copy(what, text) {
      try {
        await navigator.clipboard.writeText(text);
        replace(outcome, h('p', { class: 'hint', role: 'status', 'data-testid': 'copy-as-copied' },
          `${what} copied. It reads your API token from the environment variable OPUS_TOKEN.`));
      } catch {
        const fieldId = uid('copy-as-field');
        const area = h('textarea', { id: fieldId, class: 'mono', readonly: true, rows: String(Math.min(20, text.split('\n').length)), 'data-testid': 'copy-as-field' });
        area.value = text;
        replace(outcome, h('label', { for: fieldId }, `${what} (the browser did not let this page use the clipboard: copy it from here)`), area);
        area.focus();
        area.select();
      }
    }
    replace(box, h('p', { class: 'hint' }, 'Create this job again (same definition, parameters, inputs and run ID, started at once) from:'), choices, outcome);
    button.addEventListener('click', () => {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      box.hidden = !open;
      if (!open) replace(outcome);
    });
    return { button, box };
  }

  // "Send to": the SAMP clients (TOPCAT, Aladin, DS9...) that load this kind of result; the chosen one gets a signed link.
  function sendTo(path, name, fileName, kind) {
    const box = h('div', { class: 'send-box', id: uid('send'), hidden: true });
    const button = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': box.id }, 'Send to…');
    const show = open => {
      button.setAttribute('aria-expanded', String(open));
      box.hidden = !open;
      if (!open) replace(box);
    };
    const say = (text, bad) => replace(box, h('div', bad ? { class: 'alert', role: 'alert' } : { class: 'hint', role: 'status' }, text));
    box.addEventListener('keydown', event => {
      if (event.key === 'Escape') { show(false); button.focus(); }
    });
    button.addEventListener('click', async () => {
      if (button.getAttribute('aria-expanded') === 'true') { show(false); return; }
      show(true);
      say('Asking the SAMP hub which applications can load it (the first time, the hub asks you to accept Opus)…');
      try {
        const sampKind = kind === 'fits' ? await fitsKind(path) : kind;
        const mtype = sampHub.mtypeOf(sampKind);
        if (!mtype) { say('This file has no FITS header a desktop tool would load.', true); return; }
        const clients = await sampHub.clientsFor(mtype);
        if (clients.length === 0) {
          say(`No application registered with the SAMP hub loads this result (${mtype}). Start TOPCAT, Aladin or DS9, then try again.`, true);
          return;
        }
        replace(box, h('p', { class: 'hint', id: `${box.id}-label` }, `Send ${name} to:`),
          h('ul', { class: 'send-list', 'aria-labelledby': `${box.id}-label` }, clients.map(client => h('li', {},
            h('button', { type: 'button', onclick: () => deliver(client, sampKind) }, client.name)))));
        box.querySelector('button').focus();
      } catch (e) {
        say(e.message, true);
      }
    });
    async function deliver(client, sampKind) {
      try {
        const url = await signedLink(path);
        await sampHub.sendTo(client.id, sampHub.sampMessage(sampKind, url, fileName));
        say(`Sent ${name} to ${client.name}.`);
      } catch (e) {
        say(e.message, true);
      }
    }
    return { button, box };
  }

  // The job's own report of how far it is; nothing until its script reports.
  function paintProgress(progress) {
    if (!progress) { replace(progressBox); return; }
    replace(progressBox, h('div', { class: 'panel', 'data-testid': 'job-progress' },
      h('h2', {}, 'Progress'),
      h('progress', { class: 'progress-bar', max: '100', value: String(progress.percent), 'aria-label': 'Job progress', 'data-testid': 'progress-bar' }, `${progress.percent} %`),
      ' ', h('span', { 'data-testid': 'progress-percent' }, `${progress.percent} %`),
      h('p', { class: 'mono', 'data-testid': 'progress-message' }, progress.message || '')));
  }

  // stdout or stderr: read when opened (its newest LOG_SHOWN bytes), then, while the job runs, the bytes
  // written since, by Range requests. Stops when the box closes or the job ends (after one last read).
  function follower(name) {
    const body = h('pre', { 'data-testid': `log-${name}`, tabindex: '0', 'aria-label': name }, '');
    const box = h('details', {}, h('summary', {}, name), body);
    let offset = 0;
    let text = '';
    let cut = false;
    let decoder = new TextDecoder();
    let timer = null;
    let loading = null;

    function show() {
      if (text.length > LOG_SHOWN) { text = text.slice(-LOG_SHOWN); cut = true; }
      const atEnd = body.scrollTop + body.clientHeight >= body.scrollHeight - 4;
      body.textContent = (cut ? '… (earlier output not shown)\n' : '') + (text || (isFinal(job.phase) ? `(${name} is empty)` : `(nothing on ${name} yet)`));
      if (atEnd) body.scrollTop = body.scrollHeight;
    }

    async function read() {
      const range = offset === 0 ? `bytes=-${LOG_SHOWN}` : `bytes=${offset}-`;
      const response = await fetch(opus.url(`${base}/${name}`), { headers: opus.headers({ Range: range }), credentials: 'omit', cache: 'no-store' });
      const total = /\/(\d+)$/.exec(response.headers.get('Content-Range') || '');
      if (response.status === 416) {
        // Nothing new, or the file is shorter than what was read (written anew): then from the start.
        if (total && Number(total[1]) < offset) { offset = 0; text = ''; cut = false; decoder = new TextDecoder(); }
        return;
      }
      if (!response.ok) throw new ApiError(response.status, (await response.text()).trim() || `${response.status}`);
      const bytesRead = new Uint8Array(await response.arrayBuffer());
      const range206 = /bytes (\d+)-(\d+)\/(\d+)/.exec(response.headers.get('Content-Range') || '');
      if (response.status === 206 && range206) {
        if (offset === 0 && Number(range206[1]) > 0) cut = true;
        offset = Number(range206[2]) + 1;
      } else {
        // The whole file (or none yet): start over with it.
        text = ''; decoder = new TextDecoder();
        offset = bytesRead.length;
      }
      text += decoder.decode(bytesRead, { stream: true });
    }

    async function load() {
      if (!loading) {
        loading = read().then(show, e => { body.textContent = e.message; }).finally(() => { loading = null; });
      }
      return loading;
    }

    function schedule() {
      clearTimeout(timer);
      timer = null;
      if (box.open && !isFinal(job.phase)) timer = setTimeout(async () => { await load(); schedule(); }, LOG_POLL_MS);
    }

    box.addEventListener('toggle', async () => {
      if (!box.open) { clearTimeout(timer); timer = null; return; }
      await load();
      schedule();
    });
    return {
      box,
      // A phase change: read what is new (the last bytes of an ended job), and follow only while it runs.
      async refresh() { if (box.open) { await load(); schedule(); } },
      stop() { clearTimeout(timer); box.removeAttribute('open'); },
    };
  }

  const followers = [follower('stdout'), follower('stderr')];
  replace(logs, h('h2', {}, 'Output'), followers.map(f => f.box));

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
    show.addEventListener('click', () => {
      replace(slot, provenancePanel(definition, id));
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
  const events = openEvents(definition, (type, change) => {
    if (type === 'job' && change.id === id) reloadSoon();
    else if (type === 'progress' && change.id === id) {
      job.progress = { percent: change.percent, message: change.message };
      paintProgress(job.progress);
    }
  }, on => { if (on) reloadSoon(); });
  return () => {
    events.close();
    followers.forEach(f => f.stop());
    sampHub.close();
  };
}
