// The job list: one page at a time from GET /jobs (paged and sorted on the server, with counts per
// phase), kept live by the /events stream: rows change phase as it happens, and the page and counts
// are fetched again at most once a second while jobs change.
//
// Speed with many rows (10,000 jobs, pages of up to 1,000): every row is a copy of one template row
// filled through textContent and attributes, and one click listener on the table serves the buttons
// of every row. The counts and the pager are built once and updated in place: replacing them would
// remove the focused button (after a click on "Next page"), and Chrome answers the removal of the
// focused element with a synchronous style and layout pass over the whole page, the new rows
// included, inside the script; the user's focus was lost with it.
import { h, replace, phaseBadge, time, toast, confirmDialog, throttle, uid } from '../dom.js';
import { getJson, enc, me, download, form, PHASES, canStart, canAbort, setPhase, deleteJob, rerunJob, openEvents } from '../api.js';
import { setQuery } from '../app.js';

// Up to 1,000 a page: the most GET /jobs answers (JobBrowser.MaxLimit).
const SIZES = [25, 50, 100, 200, 500, 1000];
// The filters kept in the page's URL (#/jobs?runId=...), so a filtered list can be shared; GET /jobs takes
// the same names, except runIdMatch, which picks runId or runIdPrefix.
const FILTERS = ['runId', 'runIdMatch', 'param', 'owner', 'createdFrom', 'createdTo'];
// Bulk actions go job by job through the UWS resources (each checked as if done one at a time), at most
// this many at once: browsers open six connections per server, one is the live event stream.
const BULK_PARALLEL = 4;

export async function render(main, route) {
  document.title = 'Jobs · Opus';
  const state = {
    definition: route.query.get('definition') || '',
    phase: route.query.get('phase') || '',
    page: Math.max(1, Number(route.query.get('page')) || 1),
    size: SIZES.includes(Number(route.query.get('size'))) ? Number(route.query.get('size')) : 50,
    order: route.query.get('order') === 'asc' ? 'asc' : 'desc',
    total: 0,
  };
  for (const key of FILTERS) state[key] = route.query.get(key) || '';
  const definitions = (await getJson('/jdl')).definitions;
  const showOwner = me && me.admin;

  const select = h('select', { id: uid('def'), onchange: () => { state.definition = select.value; state.page = 1; reconnect(); refresh(); } },
    h('option', { value: '' }, 'All definitions'),
    definitions.map(d => h('option', { value: d.name, selected: d.name === state.definition }, d.name)));
  const live = h('span', { class: 'live', 'aria-live': 'polite' }, 'connecting…');
  const newJob = h('a', { class: 'button primary', href: '#/new' }, 'New job');
  const counts = h('div', { class: 'counts', role: 'group', 'aria-label': 'Filter by phase' });
  const sortButton = h('button', { class: 'sort', type: 'button', onclick: () => { state.order = state.order === 'desc' ? 'asc' : 'desc'; state.page = 1; refresh(); } });
  // The page's check box: selects or clears every row shown (the selection itself is below).
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every job on this page', 'data-testid': 'select-page' });
  const head = h('tr', {},
    h('th', { scope: 'col', class: 'select' }, selectAll),
    h('th', { scope: 'col' }, 'Job'), h('th', { scope: 'col' }, 'Definition'), h('th', { scope: 'col', class: 'wide-only' }, 'Run ID'),
    showOwner ? h('th', { scope: 'col', class: 'wide-only' }, 'Owner') : null,
    h('th', { scope: 'col', class: 'wide-only', 'aria-sort': 'descending', id: 'created-col' }, sortButton),
    h('th', { scope: 'col' }, 'Phase'), h('th', { scope: 'col' }, h('span', { class: 'muted' }, 'Actions')));
  let body = h('tbody');
  const table = h('table', { 'aria-label': 'Jobs', 'data-testid': 'job-table' }, h('thead', {}, head), body);
  const empty = h('p', { class: 'muted', hidden: true }, 'No jobs here yet.');
  const sizeSelect = h('select', { 'aria-label': 'Jobs per page', onchange: () => { state.size = Number(sizeSelect.value); state.page = 1; refresh(); } },
    SIZES.map(n => h('option', { value: n, selected: n === state.size }, `${n} per page`)));
  // The page each pager button goes to, as of the last page shown.
  const targets = { first: 1, previous: 1, next: 1, last: 1 };
  const pageButton = (label, key, aria) => h('button', { type: 'button', 'aria-label': aria, onclick: () => { state.page = targets[key]; refresh(); } }, label);
  const pagerButtons = {
    first: pageButton('« First', 'first', 'First page'),
    previous: pageButton('‹ Previous', 'previous', 'Previous page'),
    next: pageButton('Next ›', 'next', 'Next page'),
    last: pageButton('Last »', 'last', 'Last page'),
  };
  const pageInfo = h('span', { 'data-testid': 'page-info' });
  const pager = h('div', { class: 'pager' });

  // The filter form: applied on submit (Enter in any field), cleared by Clear; what it holds goes in the URL.
  const inputs = {
    runId: h('input', { id: uid('runid'), name: 'runId', maxlength: 1024, value: state.runId }),
    runIdMatch: h('select', { 'aria-label': 'Run ID match', name: 'runIdMatch' },
      h('option', { value: '', selected: state.runIdMatch !== 'prefix' }, 'is'),
      h('option', { value: 'prefix', selected: state.runIdMatch === 'prefix' }, 'starts with')),
    param: h('input', { id: uid('param'), name: 'param', placeholder: 'name=value', value: state.param }),
    owner: showOwner ? h('input', { id: uid('owner'), name: 'owner', value: state.owner }) : null,
    createdFrom: h('input', { id: uid('from'), name: 'createdFrom', type: 'date', value: state.createdFrom }),
    createdTo: h('input', { id: uid('to'), name: 'createdTo', type: 'date', value: state.createdTo }),
  };
  const labelled = (text, input, ...more) => h('span', { class: 'filter' }, h('label', { for: input.id }, text), input, ...more);
  const filterForm = h('form', { class: 'filters row', role: 'search', 'aria-label': 'Filter jobs', 'data-testid': 'job-filters' },
    labelled('Run ID', inputs.runId, inputs.runIdMatch),
    labelled('Parameter', inputs.param),
    inputs.owner ? labelled('Owner', inputs.owner) : null,
    labelled('Created from', inputs.createdFrom),
    labelled('to', inputs.createdTo),
    h('button', { type: 'submit' }, 'Apply'),
    h('button', { type: 'button', onclick: () => { for (const input of Object.values(inputs)) if (input) input.value = ''; applyFilters(); } }, 'Clear'));
  filterForm.addEventListener('submit', event => { event.preventDefault(); applyFilters(); });
  function applyFilters() {
    for (const key of FILTERS) state[key] = inputs[key] ? inputs[key].value.trim() : '';
    state.page = 1;
    clearSelection();
    refresh().catch(e => toast(e.message, true));
  }

  // The selection: jobs by id (with their definition and last known phase), kept across pages and live
  // updates, forgotten when the filter changes.
  const selected = new Map();
  const selectedInfo = h('span', { 'data-testid': 'selected-count' });
  // Named apart from each row's Start, Abort and Delete ("Abort the selected jobs").
  const bulkButton = (label, action, extra = {}) => h('button', {
    type: 'button', class: 'small', dataset: { bulk: action }, 'aria-label': `${label} the selected jobs`, onclick: () => bulk(action), ...extra,
  }, label);
  const bulkButtons = [bulkButton('Start', 'start'), bulkButton('Abort', 'abort'), bulkButton('Rerun', 'rerun'),
    bulkButton('Delete', 'delete', { class: 'small danger' }), bulkButton('Download all', 'zip', { 'aria-label': 'Download all results of the selected jobs' }),
    h('button', { type: 'button', class: 'small', onclick: () => clearSelection() }, 'Clear selection')];
  const progress = h('p', { role: 'status', 'data-testid': 'bulk-progress' });
  const summary = h('div', { 'data-testid': 'bulk-summary' });
  const bulkBar = h('div', { class: 'bulk', role: 'region', 'aria-label': 'Selected jobs' },
    h('div', { class: 'row' }, selectedInfo, ...bulkButtons), progress, summary);

  replace(main,
    h('div', { class: 'row spread' }, h('h1', {}, 'Jobs'), h('div', { class: 'row' }, live, newJob)),
    h('div', { class: 'row' }, h('label', { for: select.id }, 'Definition'), select),
    filterForm,
    counts,
    bulkBar,
    h('div', { class: 'table-wrap' }, table),
    empty,
    pager);

  const rows = new Map();
  let generation = 0;

  // The check boxes of every row and the page's, through one listener.
  table.addEventListener('change', event => {
    const box = event.target;
    if (box === selectAll) {
      for (const row of rows.values()) {
        row.check.checked = selectAll.checked;
        if (selectAll.checked) selected.set(row.job.id, row.job);
        else selected.delete(row.job.id);
      }
    } else if (box.dataset && box.dataset.action === 'select') {
      const row = rows.get(box.closest('tr[data-id]').dataset.id);
      if (!row) return;
      if (box.checked) selected.set(row.job.id, row.job);
      else selected.delete(row.job.id);
    }
    renderSelection();
  });

  let running = false;
  function renderSelection() {
    const onPage = [...rows.keys()].filter(id => selected.has(id)).length;
    selectAll.checked = rows.size > 0 && onPage === rows.size;
    selectAll.indeterminate = onPage > 0 && onPage < rows.size;
    selectedInfo.textContent = `${selected.size} selected`;
    for (const button of bulkButtons.slice(0, -1)) button.disabled = selected.size === 0 || running;
  }

  function clearSelection() {
    selected.clear();
    for (const row of rows.values()) row.check.checked = false;
    renderSelection();
  }

  // One action on every selected job, BULK_PARALLEL at a time, with "n of m" as it goes and, at the end,
  // what failed and why (the server's own message for each job).
  const ACTIONS = {
    start: { verb: 'Starting', done: 'started', run: job => setPhase(job.definition, job.id, 'RUN') },
    abort: { verb: 'Aborting', done: 'aborted', run: job => setPhase(job.definition, job.id, 'ABORT') },
    rerun: { verb: 'Rerunning', done: 'rerun', run: job => rerunJob(job.definition, job.id) },
    delete: { verb: 'Deleting', done: 'deleted', run: job => deleteJob(job.definition, job.id) },
  };
  async function bulk(action) {
    const jobs = [...selected.values()];
    if (jobs.length === 0 || running) return;
    if (action === 'zip') {
      const body = form(jobs.map(job => ['job', `${job.definition}/${job.id}`]));
      progress.textContent = `Preparing a zip of ${jobs.length} jobs…`;
      try { await download('/jobs/results.zip', 'jobs-results.zip', body); progress.textContent = `Downloaded the results of ${jobs.length} jobs`; }
      catch (e) { progress.textContent = `Download failed: ${e.message}`; }
      return;
    }
    const { verb, done, run } = ACTIONS[action];
    if (action === 'delete' && !await confirmDialog(`Delete ${jobs.length} jobs? Their results are removed with them.`)) return;
    running = true;
    renderSelection();
    replace(summary);
    const failures = [];
    let finished = 0;
    progress.textContent = `${verb}: 0 of ${jobs.length}`;
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        try {
          await run(job);
          if (action === 'delete') selected.delete(job.id);
        } catch (e) {
          failures.push({ job, message: e.message });
        }
        finished++;
        progress.textContent = `${verb}: ${finished} of ${jobs.length}`;
      }
    };
    await Promise.all(Array.from({ length: Math.min(BULK_PARALLEL, jobs.length) }, worker));
    running = false;
    progress.textContent = `${jobs.length - failures.length} of ${jobs.length} ${done}` + (failures.length ? `; ${failures.length} failed` : '');
    if (failures.length) {
      replace(summary, h('ul', { class: 'failures' }, failures.map(f =>
        h('li', {}, h('a', { class: 'mono', href: `#/job/${enc(f.job.definition)}/${enc(f.job.id)}` }, f.job.id.slice(0, 10) + '…'), `: ${f.message}`))));
    }
    renderSelection();
    refreshSoon();
  }

  // The buttons of every row, through one listener (a disabled button gets no click).
  table.addEventListener('click', event => {
    const button = event.target.closest('button[data-action]');
    const tr = button && button.closest('tr[data-id]');
    const row = tr && rows.get(tr.dataset.id);
    if (!row || row.tr !== tr || button.disabled) return;
    if (button === row.start) act(row, 'RUN');
    else if (button === row.abort) act(row, 'ABORT');
    else if (button === row.remove) removeJob(row);
  });

  async function refresh() {
    const mine = ++generation;
    const query = new URLSearchParams();
    if (state.definition) query.set('definition', state.definition);
    if (state.phase) for (const phase of state.phase.split(',')) query.append('phase', phase);
    if (state.runId) query.set(state.runIdMatch === 'prefix' ? 'runIdPrefix' : 'runId', state.runId);
    if (state.param) query.set('param', state.param);
    if (state.owner && showOwner) query.set('owner', state.owner);
    if (state.createdFrom) query.set('createdFrom', state.createdFrom);
    if (state.createdTo) query.set('createdTo', state.createdTo);
    query.set('offset', String((state.page - 1) * state.size));
    query.set('limit', String(state.size));
    query.set('order', state.order);
    const started = performance.now();
    let page;
    try {
      page = await getJson(`/jobs?${query}`);
    } catch (e) {
      // A filter the server refuses (a malformed date, param without "="): said once, in place of the rows.
      if (mine !== generation) return;
      renderRows([]);
      empty.textContent = e.message;
      empty.hidden = false;
      setQuery(urlOfState());
      return;
    }
    const fetched = performance.now();
    if (mine !== generation) return;
    state.total = page.total;
    const pages = Math.max(1, Math.ceil(page.total / state.size));
    if (state.page > pages) { state.page = pages; refresh(); return; }
    renderCounts(page.counts);
    renderRows(page.jobs);
    renderPager(pages);
    const built = performance.now();
    setQuery(urlOfState());
    // Rendering is measured until the frame that shows the rows is done: the animation frame callback
    // runs before that frame's style, layout and paint, the task after it once they are over.
    requestAnimationFrame(() => setTimeout(() => {
      const done = performance.now();
      window.opusMetrics = { listFetchMs: fetched - started, listBuildMs: built - fetched, listRenderMs: done - fetched, listTotalMs: done - started, rows: page.jobs.length, total: page.total, hash: location.hash };
      table.dataset.renderMs = String(Math.round(done - started));
    }));
  }

  function urlOfState() {
    const url = new URLSearchParams();
    for (const key of ['definition', 'phase', ...FILTERS]) if (state[key]) url.set(key, state[key]);
    if (state.page > 1) url.set('page', String(state.page));
    if (state.size !== 50) url.set('size', String(state.size));
    if (state.order !== 'desc') url.set('order', state.order);
    return url;
  }

  // One chip per phase ('' for all), kept across refreshes so that the focused one stays.
  const chips = new Map();
  function chip(phase) {
    let made = chips.get(phase);
    if (!made) {
      const count = h('strong', { 'data-testid': `count-${phase || 'ALL'}` });
      const button = h('button', {
        type: 'button', dataset: { phase: phase || 'ALL' },
        onclick: () => { state.phase = phase; state.page = 1; refresh(); },
      }, `${phase || 'All'} `, count);
      made = { button, count };
      chips.set(phase, made);
    }
    return made;
  }

  function renderCounts(byPhase) {
    const all = PHASES.filter(p => p !== 'ARCHIVED').reduce((sum, p) => sum + (byPhase[p] || 0), 0);
    const shown = ['', ...PHASES.filter(p => byPhase[p] > 0 || p === state.phase)];
    for (const [phase, { button }] of chips) if (!shown.includes(phase)) button.remove();
    // The chips left are in phase order already: new ones go in between, none moves.
    let next = counts.firstChild;
    for (const phase of shown) {
      const { button, count } = chip(phase);
      button.setAttribute('aria-pressed', String(state.phase === phase));
      const text = String(phase ? byPhase[phase] || 0 : all);
      if (count.textContent !== text) count.textContent = text;
      if (button === next) next = next.nextSibling;
      else counts.insertBefore(button, next);
    }
  }

  function renderRows(jobs) {
    sortButton.textContent = `Created ${state.order === 'desc' ? '↓' : '↑'}`;
    sortButton.setAttribute('aria-label', `Created, sorted ${state.order === 'desc' ? 'newest first' : 'oldest first'}; activate to reverse`);
    head.querySelector('#created-col').setAttribute('aria-sort', state.order === 'desc' ? 'descending' : 'ascending');
    const same = jobs.length === rows.size && jobs.every((j, i) => body.rows[i] && body.rows[i].dataset.id === j.id);
    if (same) {
      for (const job of jobs) updateRow(rows.get(job.id), job.phase);
    } else {
      const focused = document.activeElement && document.activeElement.closest('tr[data-id]');
      const focusKey = focused ? [focused.dataset.id, document.activeElement.dataset.action] : null;
      rows.clear();
      // A new tbody in place of the old one: one removal of the old rows rather than one per row.
      const fresh = document.createElement('tbody');
      for (const job of jobs) fresh.append(buildRow(job));
      body.replaceWith(fresh);
      body = fresh;
      if (focusKey) {
        const again = rows.get(focusKey[0]);
        const target = again && again.tr.querySelector(`[data-action="${focusKey[1]}"]`);
        if (target) target.focus();
      }
    }
    empty.textContent = 'No jobs here yet.';
    empty.hidden = jobs.length > 0;
    renderSelection();
  }

  // The row without data: cells, the job link, the three buttons (their clicks reach the table's listener).
  const template = h('tr', {},
    h('td', { class: 'select' }, h('input', { type: 'checkbox', dataset: { action: 'select' } })),
    h('td', {}, h('a', { class: 'mono' })),
    h('td'),
    h('td', { class: 'wide-only' }),
    showOwner ? h('td', { class: 'wide-only' }) : null,
    h('td', { class: 'wide-only' }),
    h('td', { class: 'phase-cell' }),
    h('td', { class: 'actions' },
      h('button', { class: 'small', type: 'button', dataset: { action: 'start' } }, 'Start'),
      h('button', { class: 'small', type: 'button', dataset: { action: 'abort' } }, 'Abort'),
      h('button', { class: 'small danger', type: 'button', dataset: { action: 'delete' } }, 'Delete')));

  function buildRow(job) {
    const tr = template.cloneNode(true);
    tr.dataset.id = job.id;
    const cells = tr.cells;
    let i = 0;
    const check = cells[i++].firstChild;
    check.setAttribute('aria-label', `Select job ${job.id}`);
    check.checked = selected.has(job.id);
    const link = cells[i++].firstChild;
    link.setAttribute('href', `#/job/${enc(job.definition)}/${enc(job.id)}`);
    link.textContent = job.id.slice(0, 10) + '…';
    cells[i++].textContent = job.definition;
    cells[i++].textContent = job.runId || '';
    if (showOwner) {
      const owner = cells[i++];
      if (job.owner) owner.textContent = job.owner;
      else owner.append(h('span', { class: 'muted' }, 'anonymous'));
    }
    cells[i++].append(time(job.creationTime));
    const phaseCell = cells[i++];
    phaseCell.append(phaseBadge(job.phase));
    const [start, abort, remove] = cells[i].children;
    start.setAttribute('aria-label', `Start job ${job.id}`);
    abort.setAttribute('aria-label', `Abort job ${job.id}`);
    remove.setAttribute('aria-label', `Delete job ${job.id}`);
    const row = { job, tr, check, phaseCell, start, abort, remove };
    updateRow(row, job.phase);
    rows.set(job.id, row);
    return tr;
  }

  function updateRow(row, phase) {
    if (!row) return;
    if (row.job.phase !== phase || !row.phaseCell.firstChild) replace(row.phaseCell, phaseBadge(phase));
    row.job.phase = phase;
    if (selected.has(row.job.id)) selected.set(row.job.id, row.job);
    row.tr.dataset.phase = phase;
    row.start.disabled = !canStart(phase);
    row.abort.disabled = !canAbort(phase);
  }

  async function act(row, phase) {
    try {
      const job = await setPhase(row.job.definition, row.job.id, phase);
      updateRow(row, job.phase);
      toast(`${phase === 'RUN' ? 'Started' : 'Aborted'} ${row.job.id.slice(0, 10)}…`);
    } catch (e) {
      toast(e.message, true);
    }
    refreshSoon();
  }

  async function removeJob(row) {
    if (!await confirmDialog(`Delete job ${row.job.id}? Its results are removed with it.`)) { row.remove.focus(); return; }
    try {
      await deleteJob(row.job.definition, row.job.id);
      row.tr.remove();
      rows.delete(row.job.id);
      toast(`Deleted ${row.job.id.slice(0, 10)}…`);
    } catch (e) {
      toast(e.message, true);
    }
    refreshSoon();
  }

  function renderPager(pages) {
    const from = state.total === 0 ? 0 : (state.page - 1) * state.size + 1;
    const to = Math.min(state.total, state.page * state.size);
    Object.assign(targets, { first: 1, previous: state.page - 1, next: state.page + 1, last: pages });
    if (!pager.firstChild) pager.append(pagerButtons.first, pagerButtons.previous, pageInfo, pagerButtons.next, pagerButtons.last, sizeSelect);
    const focused = document.activeElement;
    pagerButtons.first.disabled = pagerButtons.previous.disabled = state.page === 1;
    pagerButtons.next.disabled = pagerButtons.last.disabled = state.page >= pages;
    pageInfo.textContent = `${from}–${to} of ${state.total} · page ${state.page} of ${pages}`;
    // At the first or last page the button just used is disabled: the keyboard focus goes to the way back.
    if (focused && focused.disabled && focused.parentNode === pager) {
      const back = focused === pagerButtons.next || focused === pagerButtons.last ? pagerButtons.previous : pagerButtons.next;
      if (!back.disabled) back.focus();
    }
  }

  const refreshSoon = throttle(() => refresh().catch(e => toast(e.message, true)), 1000);

  let events = null;
  function reconnect() {
    if (events) events.close();
    events = openEvents(state.definition, (type, change) => {
      if (type !== 'job') return;
      const row = rows.get(change.id);
      if (row && change.deleted) { row.tr.classList.add('muted'); row.start.disabled = row.abort.disabled = row.remove.disabled = true; }
      else if (row) updateRow(row, change.phase);
      refreshSoon();
    }, on => {
      live.classList.toggle('on', on);
      live.textContent = on ? 'live' : 'reconnecting…';
      if (on) refreshSoon();
    });
  }

  reconnect();
  await refresh();
  return () => events && events.close();
}
