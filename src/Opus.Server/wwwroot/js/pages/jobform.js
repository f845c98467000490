// A new job, its form generated from the definition (GET /jdl/{name}?format=json): typed inputs,
// required ones first and optional ones behind a toggle, used entities by upload or URL, control
// parameters. Prefilled from the query string (#/new/copy?text=hi) or from a job (?from=ID: Rerun).
import { h, replace, field, uid, toast } from '../dom.js';
import { getJson, request, enc, getJob, storeReference } from '../api.js';
import { checkParameter, fieldOfMessage } from '../checks.js';
import { go } from '../app.js';

export async function render(main, route) {
  const name = route.parts[0];
  if (!name) return chooseDefinition(main);
  document.title = `New ${name} job · Opus`;
  const definition = await getJson(`/jdl/${enc(name)}?format=json`);
  const prefill = new Map();
  let rerunOf = null;
  if (route.query.get('from')) {
    rerunOf = await getJob(name, route.query.get('from'));
    for (const p of rerunOf.parameters) prefill.set(p.id.toLowerCase(), p.byReference ? storeReference(p.value) : p.value);
    if (rerunOf.runId) prefill.set('runid', rerunOf.runId);
  }
  for (const [key, value] of route.query) if (key !== 'from') prefill.set(key.toLowerCase(), value);

  const controls = [];   // { name, element, wrap, check(), value() }
  const required = h('div');
  const optional = h('div');
  for (const p of definition.parameters || []) {
    const control = parameterControl(p, prefill.get(p.name.toLowerCase()));
    controls.push(control);
    (p.required ? required : optional).append(control.wrap);
  }
  const inputs = h('div');
  for (const u of definition.used || []) {
    const control = usedControl(u, prefill.get(u.name.toLowerCase()));
    controls.push(control);
    inputs.append(control.wrap);
  }

  const runId = h('input', { name: 'RUNID', maxlength: 1024, value: prefill.get('runid') || '' });
  const duration = h('input', { name: 'EXECUTIONDURATION', type: 'number', min: 0, step: 1, inputmode: 'numeric', value: prefill.get('executionduration') || '', placeholder: String(definition.executionDuration || '') });
  const destruction = h('input', { name: 'DESTRUCTION', type: 'datetime-local', step: 1 });
  const controlFields = [
    { name: 'RUNID', element: runId, wrap: field('Run ID', runId, { hint: 'A label of your own for this job (RUNID).' }) },
    { name: 'EXECUTIONDURATION', element: duration, wrap: field('Execution duration', duration, { hint: `Seconds the job may run; 0 for the server's limit. Default ${definition.executionDuration || 'from the server'}.` }) },
    { name: 'DESTRUCTION', element: destruction, wrap: field('Destruction (UTC)', destruction, { hint: 'When the job and its results are deleted; empty for the server default.' }) },
  ];
  const start = h('input', { type: 'checkbox', id: uid('start'), checked: route.query.get('start') !== 'false' });

  const optionalCount = (definition.parameters || []).filter(p => !p.required).length;
  const params = definition.parameters || [];
  // Open when nothing is required, or when the link or the rerun sets an optional parameter to other than its default.
  const openOptional = params.every(p => !p.required)
    || params.some(p => !p.required && prefill.has(p.name.toLowerCase()) && prefill.get(p.name.toLowerCase()) !== (p.default ?? ''));
  const optionalBox = h('details', { open: openOptional },
    h('summary', {}, `Optional parameters (${optionalCount})`), optional);
  const problem = h('div', { class: 'alert', role: 'alert', hidden: true });
  const submit = h('button', { class: 'primary', type: 'submit' }, 'Create job');

  const formEl = h('form', { novalidate: true, 'aria-labelledby': 'form-title', 'data-testid': 'job-form' },
    h('div', { class: 'panel' },
      (definition.parameters || []).some(p => p.required) ? h('fieldset', {}, h('legend', {}, 'Parameters'), required) : null,
      optionalCount > 0 ? optionalBox : null,
      (definition.parameters || []).length === 0 ? h('p', { class: 'muted' }, 'This definition takes no parameters.') : null),
    (definition.used || []).length > 0 ? h('div', { class: 'panel' }, h('fieldset', {}, h('legend', {}, 'Input data'), inputs)) : null,
    h('div', { class: 'panel' }, h('details', {}, h('summary', {}, 'Control parameters'), controlFields.map(c => c.wrap))),
    problem,
    h('div', { class: 'row' }, submit, h('label', { for: start.id, class: 'row' }, start, 'Start at once'),
      h('a', { href: '#/jobs', class: 'button' }, 'Cancel')));

  replace(main,
    h('div', { class: 'row spread' }, h('h1', { id: 'form-title' }, `New job: ${definition.name}`), h('span', { class: 'muted' }, `version ${definition.version}`)),
    definition.description ? h('p', { class: 'muted' }, definition.description) : null,
    rerunOf ? h('div', { class: 'note' }, 'Rerun of job ', h('a', { href: `#/job/${enc(name)}/${enc(rerunOf.jobId)}`, class: 'mono' }, rerunOf.jobId), ', with its parameters.') : null,
    formEl);

  formEl.addEventListener('submit', async event => {
    event.preventDefault();
    problem.hidden = true;
    let first = null;
    for (const c of controls) {
      const message = c.check();
      c.wrap.showError(message);
      if (message && !first) first = c;
    }
    for (const c of controlFields) c.wrap.showError(null);
    if (duration.value && !/^\d+$/.test(duration.value)) { controlFields[1].wrap.showError('Give a whole number of seconds.'); first = first || controlFields[1]; }
    if (first) {
      if (first.wrap.closest('details')) first.wrap.closest('details').open = true;
      first.element.focus();
      return;
    }
    const data = new FormData();
    for (const c of controls) c.append(data);
    if (runId.value.trim()) data.append('RUNID', runId.value.trim());
    if (duration.value) data.append('EXECUTIONDURATION', duration.value);
    if (destruction.value) data.append('DESTRUCTION', `${destruction.value.length === 16 ? destruction.value + ':00' : destruction.value}Z`);
    if (start.checked) data.append('PHASE', 'RUN');
    const hasFile = [...data.values()].some(v => v instanceof File);
    const body = hasFile ? data : new URLSearchParams([...data.entries()]);
    submit.disabled = true;
    try {
      const response = await request('POST', `/rest/${enc(name)}`, { body });
      const id = decodeURIComponent(new URL(response.url).pathname.split('/').pop());
      toast(`Job ${id.slice(0, 10)}… created`);
      go(`#/job/${enc(name)}/${enc(id)}`);
    } catch (e) {
      const target = fieldOfMessage(e.message);
      const control = controls.find(c => c.name.toLowerCase() === (target || '').toLowerCase()) || controlFields.find(c => c.name === target);
      if (control) {
        control.wrap.showError(e.message);
        const box = control.wrap.closest('details');
        if (box) box.open = true;
        control.element.focus();
      } else {
        problem.textContent = e.message;
        problem.hidden = false;
      }
    } finally {
      submit.disabled = false;
    }
  });
  const firstInput = formEl.querySelector('input:not([type="hidden"]), select, textarea');
  if (firstInput) firstInput.focus();
}

/** An ISO 8601 time as a datetime-local value in UTC ('' for none); null when it is not one (then a text field keeps it as given). */
function utcInputValue(text) {
  if (text === undefined || text === null || text === '') return '';
  const given = String(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(given)) return null;
  // A time without a zone is UTC, as the server reads it.
  const time = new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(given) ? given : `${given}Z`);
  if (Number.isNaN(time.getTime())) return null;
  return time.toISOString().slice(0, 19);
}

function describe(p) {
  const parts = [];
  if (p.description) parts.push(p.description);
  const facts = [p.type || 'xs:string'];
  if (p.unit) facts.push(`unit: ${p.unit}`);
  if (p.min !== undefined && p.min !== null) facts.push(`min ${p.min}`);
  if (p.max !== undefined && p.max !== null) facts.push(`max ${p.max}`);
  if (p.default !== undefined && p.default !== null) facts.push(`default ${p.default}`);
  parts.push(`(${facts.join(', ')})`);
  return parts.join(' ');
}

function parameterControl(p, prefilled) {
  const type = p.type || 'xs:string';
  const initial = prefilled !== undefined ? prefilled : (p.default ?? '');
  let element;
  let value;
  if (p.options && p.options.length > 0) {
    element = h('select', { name: p.name },
      p.required && !initial ? h('option', { value: '' }, 'Choose…') : null,
      !p.required ? h('option', { value: '' }, '(not set)') : null,
      p.options.map(o => h('option', { value: o, selected: o === initial }, o)));
    value = () => element.value;
  } else if (type === 'xs:boolean') {
    element = h('input', { type: 'checkbox', name: p.name, checked: ['true', '1'].includes(String(initial).toLowerCase()) });
    value = () => (element.checked ? 'true' : 'false');
  } else if (type === 'xs:dateTime' && utcInputValue(initial) !== null) {
    // A date and time picker read as UTC (as astronomers give times), sent as ISO 8601 with Z.
    element = h('input', { type: 'datetime-local', step: 1, name: p.name, value: utcInputValue(initial) });
    value = () => (element.value ? `${element.value.length === 16 ? `${element.value}:00` : element.value}Z` : '');
  } else if (type === 'file') {
    element = h('input', { type: 'file', name: p.name });
    value = () => (element.files.length ? element.files[0] : '');
  } else {
    const attrs = { name: p.name, value: initial };
    if (type === 'xs:int' || type === 'xs:long') Object.assign(attrs, { type: 'number', step: 1, inputmode: 'numeric' });
    else if (type === 'xs:double' || type === 'xs:float') Object.assign(attrs, { type: 'number', step: 'any', inputmode: 'decimal' });
    else if (type === 'xs:anyURI') Object.assign(attrs, { type: 'url', inputmode: 'url' });
    else if (type === 'xs:dateTime') Object.assign(attrs, { placeholder: '2026-01-31T12:00:00Z' });
    if (attrs.type === 'number') { if (p.min !== undefined && p.min !== null) attrs.min = p.min; if (p.max !== undefined && p.max !== null) attrs.max = p.max; }
    element = h('input', attrs);
    value = () => element.value;
  }
  if (p.required) element.setAttribute('aria-required', 'true');
  const unit = element.type === 'datetime-local' ? 'UTC' : p.unit;
  const label = unit ? `${p.name} (${unit})` : p.name;
  const wrap = field(label, element, { hint: describe(p), required: p.required });
  return {
    name: p.name, element, wrap,
    check() {
      const v = value();
      if (v instanceof File) return null;
      if (element.validity && element.validity.badInput) return `'${p.name}' is not a number`;
      if (v === '' || v === null) return p.required ? 'This parameter is required.' : null;
      return checkParameter(p, String(v));
    },
    append(data) {
      const v = value();
      if (v === '' || v === null) return;
      data.append(p.name, v);
    },
  };
}

function usedControl(u, prefilled) {
  const id = uid('used');
  const many = u.multiplicity === '*' || Number(u.multiplicity) > 1;
  const file = h('input', { type: 'file', name: u.name, multiple: many, accept: u.contentType || null, 'aria-label': `${u.name}: file to upload` });
  const url = h('input', { type: 'text', name: u.name, value: prefilled || '', placeholder: 'https://… or an identifier', 'aria-label': `${u.name}: URL or identifier` });
  const byUrl = h('input', { type: 'radio', name: `${id}-how`, id: `${id}-url`, checked: true });
  const byFile = h('input', { type: 'radio', name: `${id}-how`, id: `${id}-file` });
  const sync = () => { url.hidden = !byUrl.checked; file.hidden = !byFile.checked; };
  byUrl.addEventListener('change', sync);
  byFile.addEventListener('change', sync);
  const group = h('div', { id, role: 'group', tabindex: -1 },
    h('div', { class: 'row' }, h('label', { for: byUrl.id, class: 'row' }, byUrl, 'URL or identifier'), h('label', { for: byFile.id, class: 'row' }, byFile, 'Upload')),
    url, file);
  sync();
  const facts = [u.contentType, u.multiplicity ? `multiplicity ${u.multiplicity}` : null, u.default ? `default ${u.default}` : null].filter(Boolean).join(', ');
  const wrap = field(u.name, group, { hint: [u.description, facts ? `(${facts})` : null].filter(Boolean).join(' '), required: u.required });
  const element = { focus: () => (byUrl.checked ? url : file).focus() };
  return {
    name: u.name, element, wrap,
    check() {
      const given = byFile.checked ? file.files.length > 0 : url.value.trim() !== '';
      if (!given && u.required && !u.default) return 'Give a URL or identifier, or upload a file.';
      return null;
    },
    append(data) {
      if (byFile.checked) for (const f of file.files) data.append(u.name, f, f.name);
      else if (url.value.trim()) data.append(u.name, url.value.trim());
    },
  };
}

async function chooseDefinition(main) {
  document.title = 'New job · Opus';
  const definitions = (await getJson('/jdl')).definitions;
  replace(main, h('h1', {}, 'New job'), h('p', { class: 'muted' }, 'Choose what to run.'),
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Job definitions' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Definition'), h('th', {}, 'Description'), h('th', {}, 'Version'))),
      h('tbody', {}, definitions.map(d => h('tr', {},
        h('td', {}, h('a', { href: `#/new/${enc(d.name)}` }, d.name)),
        h('td', {}, d.description || ''),
        h('td', {}, d.version)))))));
}
