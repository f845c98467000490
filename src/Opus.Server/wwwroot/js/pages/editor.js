// Job definitions: the list (#/definitions), and the editor (#/definitions/NAME, #/definitions/new):
// metadata, parameters, used and generated entities, the script; checked by the server
// (POST /jdl/check) with its messages shown at the fields they name; import from YAML, JSON or
// VOTable, export in any format, propose or publish a version, and the version history.
import { h, replace, field, uid, toast, confirmDialog, time } from '../dom.js';
import { getJson, request, enc, me, ApiError, download, form } from '../api.js';
import { codeEditor } from '../codeeditor.js';
import { go } from '../app.js';

const TYPES = ['xs:string', 'xs:int', 'xs:long', 'xs:double', 'xs:float', 'xs:boolean', 'xs:dateTime', 'xs:anyURI', 'file'];
const FORMATS = [['yaml', 'YAML', '.yaml'], ['json', 'JSON', '.json'], ['votable', 'VOTable', '_vot.xml'], ['wadl', 'WADL', '.wadl']];

const PARAMETER_FIELDS = [['name', 'Name'], ['type', 'Type', TYPES], ['default', 'Default'], ['required', 'Required', 'bool'], ['unit', 'Unit'],
  ['min', 'Min'], ['max', 'Max'], ['options', 'Options (comma-separated)', 'list'], ['description', 'Description', 'wide'], ['ucd', 'UCD'], ['utype', 'Utype']];
const USED_FIELDS = [['name', 'Name'], ['contentType', 'Content type'], ['multiplicity', 'Multiplicity'], ['default', 'Default'], ['url', 'URL template ($ID)'],
  ['file', 'File name'], ['role', 'Role'], ['required', 'Required', 'bool'], ['description', 'Description', 'wide']];
const GENERATED_FIELDS = [['name', 'Name'], ['file', 'File or glob'], ['contentType', 'Content type'], ['multiplicity', 'Multiplicity'], ['role', 'Role'],
  ['description', 'Description', 'wide']];

export async function render(main, route) {
  if (route.parts.length === 0) return list(main);
  return edit(main, route.parts[0] === 'new' ? null : route.parts[0], route.query.get('version'));
}

async function list(main) {
  document.title = 'Definitions · Opus';
  const definitions = (await getJson('/jdl')).definitions;
  const importInput = h('input', { type: 'file', accept: '.yaml,.yml,.json,.xml,.vot', id: uid('import') });
  importInput.addEventListener('change', () => {
    if (importInput.files.length) { pendingImport = importInput.files[0]; go('#/definitions/new'); }
  });
  replace(main,
    h('div', { class: 'row spread' }, h('h1', {}, 'Job definitions'),
      h('div', { class: 'row' }, h('a', { class: 'button primary', href: '#/definitions/new' }, 'New definition'),
        h('label', { class: 'row', for: importInput.id }, 'Import a file (YAML, JSON, VOTable)', importInput))),
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Job definitions' },
      h('thead', {}, h('tr', {}, ['Name', 'Version', 'Description', 'Type', 'Contact', ''].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, definitions.map(d => h('tr', {},
        h('td', {}, h('a', { href: `#/definitions/${enc(d.name)}` }, d.name)),
        h('td', {}, d.version), h('td', {}, d.description || ''), h('td', {}, [d.type, d.subtype].filter(Boolean).join(' / ')),
        h('td', {}, d.contactName || ''),
        h('td', { class: 'actions' }, h('a', { class: 'button small', href: `#/new/${enc(d.name)}` }, 'New job'),
          h('a', { class: 'button small', href: `#/definitions/${enc(d.name)}` }, 'Edit'))))))));
}

let pendingImport = null;

const blank = () => ({
  name: '', version: '1', description: '', executionDuration: 60, parameters: [], used: [],
  generated: [{ name: 'output', file: 'output.txt', contentType: 'text/plain' }], script: '',
});

async function edit(main, name, version) {
  document.title = `${name ? `Edit ${name}` : 'New definition'} · Opus`;
  let model = blank();
  if (name) model = await getJson(`/jdl/${enc(name)}?format=json${version ? `&version=${enc(version)}` : ''}`);
  const problems = h('div', { class: 'alert', role: 'alert', hidden: true, 'data-testid': 'editor-problems' });
  const body = h('div');
  const history = h('div', { class: 'panel' });
  const importInput = h('input', { type: 'file', accept: '.yaml,.yml,.json,.xml,.vot', 'aria-label': 'Import a definition file (YAML, JSON or VOTable)' });
  const exportFormat = h('select', { 'aria-label': 'Export format' }, FORMATS.map(([v, label]) => h('option', { value: v }, label)));
  const isAdmin = me && me.admin;
  const validate = h('button', { type: 'button' }, 'Check');
  const propose = h('button', { type: 'button', class: isAdmin ? null : 'primary' }, 'Propose this version');
  const publish = isAdmin ? h('button', { type: 'button', class: 'primary' }, 'Save and publish') : null;
  const exportButton = h('button', { type: 'button' }, 'Export');
  let ui = null;

  const draw = () => { ui = buildForm(model); replace(body, ui.element); };
  draw();

  async function check(format = 'json') {
    clearProblems();
    try {
      return await request('POST', `/jdl/check?format=${format}`, { body: JSON.stringify(ui.read()), contentType: 'application/json' });
    } catch (e) {
      showProblems(e.message);
      return null;
    }
  }

  validate.addEventListener('click', async () => { if (await check()) toast('The definition is valid'); });
  exportButton.addEventListener('click', async () => {
    const response = await check(exportFormat.value);
    if (!response) return;
    const blob = await response.blob();
    const [, , suffix] = FORMATS.find(f => f[0] === exportFormat.value);
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `${ui.read().name || 'definition'}${suffix}` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  });
  importInput.addEventListener('change', () => importFile(importInput.files[0]));
  async function importFile(file) {
    if (!file) return;
    clearProblems();
    const data = new FormData();
    data.append('file', file, file.name);
    try {
      model = await (await request('POST', '/jdl/check?format=json', { body: data })).json();
      draw();
      toast(`Imported ${file.name}`);
    } catch (e) { showProblems(e.message); }
  }
  const save = publishNow => async () => {
    clearProblems();
    const definition = ui.read();
    try {
      const response = await request('POST', `/jdl${publishNow ? '?publish=true' : ''}`, { body: JSON.stringify(definition), contentType: 'application/json' });
      const saved = await response.json();
      toast(`Version ${saved.version} of ${saved.name} ${saved.status}`);
      if (name === saved.name) await showHistory(saved.name);
      else go(`#/definitions/${enc(saved.name)}`);
    } catch (e) { showProblems(e.message); }
  };
  propose.addEventListener('click', save(false));
  if (publish) publish.addEventListener('click', save(true));

  function clearProblems() {
    problems.hidden = true;
    problems.replaceChildren();
    for (const el of body.querySelectorAll('.error')) { el.hidden = true; el.textContent = ''; }
    for (const el of body.querySelectorAll('[aria-invalid="true"]')) el.setAttribute('aria-invalid', 'false');
  }

  function showProblems(message) {
    // "source: problem; problem; ..." where a problem starts with a path such as parameters[0] (x).min
    const text = message.replace(/^(the definition|the request body|[^:]+\.(ya?ml|json|xml|vot)): /, '');
    const unplaced = [];
    let first = null;
    for (const problem of text.split(/; (?=[a-zA-Z]+(?:\[\d+\])?[ .:(])/)) {
      const placed = ui.place(problem);
      if (!placed) unplaced.push(problem);
      else first = first || placed;
    }
    if (unplaced.length > 0 || !first) {
      problems.replaceChildren(h('strong', {}, 'The server did not accept the definition: '), h('ul', {}, (unplaced.length ? unplaced : [text]).map(p => h('li', {}, p))));
      problems.hidden = false;
      problems.scrollIntoView({ block: 'center' });
    } else {
      first.focus();
    }
  }

  async function showHistory(definitionName) {
    if (!definitionName) { replace(history, h('h2', {}, 'Versions'), h('p', { class: 'muted' }, 'Saved versions will be listed here.')); return; }
    let versions;
    try { versions = (await getJson(`/jdl/${enc(definitionName)}/versions`)).versions; } catch (e) {
      replace(history, h('h2', {}, 'Versions'), h('p', { class: 'muted' }, e.message)); return;
    }
    replace(history, h('h2', {}, 'Versions'), h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Versions', 'data-testid': 'versions' },
      h('thead', {}, h('tr', {}, ['Version', 'Status', 'Created', 'By', 'Published', ''].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, versions.map(v => h('tr', {},
        h('td', {}, v.version, v.current ? h('span', { class: 'muted' }, ' (current)') : null),
        h('td', {}, v.status), h('td', {}, time(v.createdAt)), h('td', {}, v.createdBy || ''),
        h('td', {}, v.publishedAt ? time(v.publishedAt) : '—'),
        h('td', { class: 'actions' },
          h('a', { class: 'button small', href: `#/definitions/${enc(definitionName)}?version=${enc(v.version)}` }, 'Open'),
          isAdmin && v.status !== 'published' ? h('button', { type: 'button', class: 'small', onclick: async () => {
            try {
              await request('POST', `/jdl/${enc(definitionName)}/publish`, { body: form([['version', v.version]]) });
              toast(`Published version ${v.version}`);
              await showHistory(definitionName);
            } catch (e) { toast(e.message, true); }
          } }, 'Publish') : null,
          v.current ? h('a', { class: 'button small', href: `#/new/${enc(definitionName)}` }, 'New job') : null)))))));
  }

  replace(main,
    h('div', { class: 'row spread' }, h('h1', {}, name ? `Definition ${name}` : 'New definition'),
      h('div', { class: 'row' }, h('label', { class: 'row' }, 'Import ', importInput))),
    version ? h('p', { class: 'note' }, `Showing version ${version}. Save it under a new version number to change it.`) : null,
    problems,
    body,
    h('div', { class: 'panel row' }, validate, propose, publish, h('span', { class: 'grow' }), exportFormat, exportButton,
      isAdmin && name ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!await confirmDialog(`Withdraw definition ${name}? Its jobs stay readable; no new job can be created.`, 'Withdraw')) return;
        try { await request('DELETE', `/jdl/${enc(name)}`); toast(`Withdrew ${name}`); go('#/definitions'); } catch (e) { toast(e.message, true); }
      } }, 'Withdraw') : null),
    history);
  await showHistory(name);
  if (pendingImport) { const file = pendingImport; pendingImport = null; await importFile(file); }
}

/** The editing form of a definition: read() gives the JSON document, place(problem) shows a server message at its field. */
function buildForm(model) {
  const top = {};
  const input = (key, attrs = {}) => {
    const value = model[key];
    const el = attrs.tag === 'textarea'
      ? h('textarea', { rows: 3, name: key })
      : h('input', { name: key, ...attrs });
    el.value = value === undefined || value === null ? '' : String(value);
    top[key] = el;
    return el;
  };
  const resources = model.resources || {};
  const res = {
    partition: h('input', { name: 'partition', value: resources.partition || '' }),
    cpus: h('input', { name: 'cpus', type: 'number', min: 1, step: 1, value: resources.cpus ?? '' }),
    memory: h('input', { name: 'memory', value: resources.memory || '', placeholder: '2G' }),
    cpuTime: h('input', { name: 'cpuTime', type: 'number', min: 1, step: 1, value: resources.cpuTime ?? '' }),
    processes: h('input', { name: 'processes', type: 'number', min: 1, step: 1, value: resources.processes ?? '' }),
    outputSize: h('input', { name: 'outputSize', value: resources.outputSize || '', placeholder: '10G' }),
  };
  const script = codeEditor({ value: model.script || '', label: 'Script (bash)', id: uid('script') });
  top.script = script.textarea;
  const lists = {
    parameters: listEditor('Parameter', PARAMETER_FIELDS, model.parameters || [], { type: 'xs:string' }),
    used: listEditor('Input', USED_FIELDS, model.used || [], {}),
    generated: listEditor('Result', GENERATED_FIELDS, model.generated || [], {}),
  };
  const wraps = {};
  const meta = (key, label, control, hint, required) => (wraps[key] = field(label, control, { hint, required }));
  const element = h('div', {},
    h('div', { class: 'panel' }, h('h2', {}, 'Description'),
      meta('name', 'Name', input('name', { required: true, autocomplete: 'off' }), 'The job list is /rest/NAME: letters, digits, _ . -', true),
      meta('version', 'Version', input('version', { required: true }), 'Versions never change once saved: give a new one for each change.', true),
      meta('description', 'Description', input('description', { tag: 'textarea' })),
      meta('type', 'Type', input('type'), 'e.g. reconstruction, analysis, test'),
      meta('subtype', 'Subtype', input('subtype')),
      meta('doculink', 'Documentation', input('doculink', { type: 'url' }), 'A URL describing the code.'),
      meta('contactName', 'Contact name', input('contactName')),
      meta('contactEmail', 'Contact e-mail', input('contactEmail', { type: 'email' })),
      meta('executionDuration', 'Execution duration (s)', input('executionDuration', { type: 'number', min: 0, step: 1 }), '0 for the server default.'),
      meta('quote', 'Quote (s)', input('quote', { type: 'number', min: 0, step: 1 }), 'Expected run time.'),
      h('details', {}, h('summary', {}, 'Scheduler resources'),
        field('Partition', res.partition), field('CPUs', res.cpus), field('Memory', res.memory, { hint: 'As SLURM writes it: 500M, 2G' }),
        field('CPU time (s)', res.cpuTime, { hint: 'Per process, local jobs only.' }), field('Processes', res.processes, { hint: 'At once, local jobs only.' }),
        field('Output size', res.outputSize, { hint: 'What a local job may write: 500M, 10G.' }))),
    h('div', { class: 'panel' }, h('h2', {}, 'Parameters'), lists.parameters.element),
    h('div', { class: 'panel' }, h('h2', {}, 'Input data (used)'), lists.used.element),
    h('div', { class: 'panel' }, h('h2', {}, 'Results (generated)'), lists.generated.element),
    h('div', { class: 'panel' }, h('h2', {}, 'Script'),
      h('p', { class: 'hint' }, 'Bash. Parameters are environment variables ($name); inputs are files in the working directory; write results there too.'),
      scriptField(script, wraps)));

  const text = el => el.value.trim();
  const number = el => (el.value === '' ? undefined : Number(el.value));
  return {
    element,
    read() {
      const out = {};
      for (const key of ['name', 'version', 'description', 'type', 'subtype', 'doculink', 'contactName', 'contactEmail']) {
        const v = key === 'description' ? top[key].value.replace(/\s+$/, '') : text(top[key]);
        if (v) out[key] = v;
      }
      for (const key of ['executionDuration', 'quote']) { const v = number(top[key]); if (v !== undefined) out[key] = v; }
      // What the form does not show (manager, network) is kept as it was.
      const r = { ...resources };
      for (const key of Object.keys(res)) delete r[key];
      for (const key of ['partition', 'memory', 'outputSize']) if (text(res[key])) r[key] = text(res[key]);
      for (const key of ['cpus', 'cpuTime', 'processes']) if (number(res[key]) !== undefined) r[key] = number(res[key]);
      if (Object.keys(r).length) out.resources = r;
      for (const key of ['parameters', 'used', 'generated']) { const items = lists[key].read(); if (items.length) out[key] = items; }
      out.script = top.script.value;
      // A DataLink service descriptor (accessURL, standardID...) has no field here: kept as it was.
      if (model.serviceDescriptor) out.serviceDescriptor = model.serviceDescriptor;
      return out;
    },
    /** Shows one server problem at its field; returns the control to focus, or null when no field matches. */
    place(problem) {
      const item = /^(parameters|used|generated)\[(\d+)\](?: \([^)]*\))?(?:\.(\w+))?:/.exec(problem);
      if (item) return lists[item[1]].showError(Number(item[2]), item[3], problem);
      const topLevel = /^(\w+)(?:\.(\w+))?:/.exec(problem);
      const key = topLevel && (topLevel[1] === 'resources' ? null : topLevel[1]);
      if (key && wraps[key]) { wraps[key].showError(problem); return top[key] || null; }
      if (/^version '/.test(problem)) { wraps.version.showError(problem); return top.version; }
      return null;
    },
  };
}

/** The script's label, editor and error slot (the editor is a box around the textarea, so not a plain field). */
function scriptField(box, wraps) {
  const area = box.textarea;
  const error = h('div', { class: 'error', id: `${area.id}-error`, hidden: true, role: 'alert' });
  area.setAttribute('aria-describedby', error.id);
  const wrap = h('div', {}, h('label', { for: area.id, class: 'required' }, 'Script'), box, error);
  wrap.showError = message => {
    error.textContent = message || '';
    error.hidden = !message;
    area.setAttribute('aria-invalid', message ? 'true' : 'false');
  };
  wraps.script = wrap;
  return wrap;
}

/** An editable list of objects (parameters, used, generated): add, remove, move up and down. */
function listEditor(noun, fields, items, defaults) {
  const container = h('div', { class: 'list-editor' });
  const rows = [];
  const add = h('button', { type: 'button' }, `Add ${noun.toLowerCase()}`);
  add.addEventListener('click', () => { addItem({ ...defaults }); rows[rows.length - 1].controls.name.focus(); });
  const element = h('div', {}, container, add);

  function addItem(item) {
    const controls = {};
    const errors = {};
    const cells = fields.map(([key, label, kind]) => {
      let control;
      if (Array.isArray(kind)) control = h('select', { name: key }, kind.map(t => h('option', { value: t, selected: (item[key] || kind[0]) === t }, t)));
      else if (kind === 'bool') control = h('input', { type: 'checkbox', name: key, checked: !!item[key] });
      else control = h('input', { name: key, value: kind === 'list' ? (item[key] || []).join(', ') : (item[key] ?? '') });
      controls[key] = control;
      const id = uid(key);
      control.id = id;
      errors[key] = h('span', { class: 'error', id: `${id}-error`, hidden: true });
      control.setAttribute('aria-describedby', `${id}-error`);
      return kind === 'bool'
        ? h('label', { class: 'inline', for: id }, control, label, errors[key])
        : h('label', { for: id, class: kind === 'wide' ? 'wide' : null }, label, control, errors[key]);
    });
    const itemError = h('div', { class: 'error', hidden: true });
    const row = { controls, errors, itemError };
    const up = h('button', { type: 'button', class: 'small', 'aria-label': `Move ${noun.toLowerCase()} up`, onclick: () => move(row, -1) }, '↑');
    const down = h('button', { type: 'button', class: 'small', 'aria-label': `Move ${noun.toLowerCase()} down`, onclick: () => move(row, 1) }, '↓');
    const remove = h('button', { type: 'button', class: 'small danger', 'aria-label': `Remove ${noun.toLowerCase()}`, onclick: () => {
      rows.splice(rows.indexOf(row), 1); row.element.remove(); add.focus();
    } }, 'Remove');
    row.element = h('div', { class: 'item', role: 'group', 'aria-label': noun },
      h('div', { class: 'grid' }, cells), itemError, h('div', { class: 'row' }, up, down, remove));
    row.extra = Object.fromEntries(Object.entries(item).filter(([key]) => !fields.some(([f]) => f === key)));
    rows.push(row);
    container.append(row.element);
  }

  function move(row, by) {
    const at = rows.indexOf(row);
    const to = at + by;
    if (to < 0 || to >= rows.length) return;
    rows.splice(at, 1);
    rows.splice(to, 0, row);
    container.replaceChildren(...rows.map(r => r.element));
    row.element.querySelector(by < 0 ? 'button[aria-label^="Move"]' : 'button[aria-label*="down"]').focus();
  }

  for (const item of items) addItem(item);
  return {
    element,
    read() {
      return rows.map(row => {
        const out = { ...row.extra };
        for (const [key, , kind] of fields) {
          const control = row.controls[key];
          if (kind === 'bool') { if (control.checked) out[key] = true; continue; }
          const value = control.value.trim();
          if (!value) continue;
          out[key] = kind === 'list' ? value.split(',').map(s => s.trim()).filter(Boolean) : value;
        }
        return out;
      });
    },
    showError(index, key, message) {
      const row = rows[index];
      if (!row) return null;
      if (key && row.errors[key]) {
        row.errors[key].textContent = message;
        row.errors[key].hidden = false;
        row.controls[key].setAttribute('aria-invalid', 'true');
        return row.controls[key];
      }
      row.itemError.textContent = message;
      row.itemError.hidden = false;
      return row.controls.name;
    },
  };
}
