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
import { getJson, enc, me, PHASES, canStart, canAbort, setPhase, deleteJob, openEvents } from '../api.js';
import { setQuery } from '../app.js';

// Up to 1,000 a page: the most GET /jobs answers (JobBrowser.MaxLimit).
const SIZES = [25, 50, 100, 200, 500, 1000];

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
  const definitions = (await getJson('/jdl')).definitions;
  const showOwner = me && me.admin;

  const select = h('select', { id: uid('def'), onchange: () => { state.definition = select.value; state.page = 1; reconnect(); refresh(); } },
    h('option', { value: '' }, 'All definitions'),
    definitions.map(d => h('option', { value: d.name, selected: d.name === state.definition }, d.name)));
  const live = h('span', { class: 'live', 'aria-live': 'polite' }, 'connecting…');
  const newJob = h('a', { class: 'button primary', href: '#/new' }, 'New job');
  const counts = h('div', { class: 'counts', role: 'group', 'aria-label': 'Filter by phase' });
  const sortButton = h('button', { class: 'sort', type: 'button', onclick: () => { state.order = state.order === 'desc' ? 'asc' : 'desc'; state.page = 1; refresh(); } });
  const head = h('tr', {},
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

  replace(main,
    h('div', { class: 'row spread' }, h('h1', {}, 'Jobs'), h('div', { class: 'row' }, live, newJob)),
    h('div', { class: 'row' }, h('label', { for: select.id }, 'Definition'), select),
    counts,
    h('div', { class: 'table-wrap' }, table),
    empty,
    pager);

  const rows = new Map();
  let generation = 0;

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
    if (state.phase) query.set('phase', state.phase);
    query.set('offset', String((state.page - 1) * state.size));
    query.set('limit', String(state.size));
    query.set('order', state.order);
    const started = performance.now();
    const page = await getJson(`/jobs?${query}`);
    const fetched = performance.now();
    if (mine !== generation) return;
    state.total = page.total;
    const pages = Math.max(1, Math.ceil(page.total / state.size));
    if (state.page > pages) { state.page = pages; refresh(); return; }
    renderCounts(page.counts);
    renderRows(page.jobs);
    renderPager(pages);
    const built = performance.now();
    const url = new URLSearchParams();
    for (const key of ['definition', 'phase']) if (state[key]) url.set(key, state[key]);
    if (state.page > 1) url.set('page', String(state.page));
    if (state.size !== 50) url.set('size', String(state.size));
    if (state.order !== 'desc') url.set('order', state.order);
    setQuery(url);
    // Rendering is measured until the frame that shows the rows is done: the animation frame callback
    // runs before that frame's style, layout and paint, the task after it once they are over.
    requestAnimationFrame(() => setTimeout(() => {
      const done = performance.now();
      window.opusMetrics = { listFetchMs: fetched - started, listBuildMs: built - fetched, listRenderMs: done - fetched, listTotalMs: done - started, rows: page.jobs.length, total: page.total, hash: location.hash };
      table.dataset.renderMs = String(Math.round(done - started));
    }));
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
    empty.hidden = jobs.length > 0;
  }

  // The row without data: cells, the job link, the three buttons (their clicks reach the table's listener).
  const template = h('tr', {},
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
    const row = { job, tr, phaseCell, start, abort, remove };
    updateRow(row, job.phase);
    rows.set(job.id, row);
    return tr;
  }

  function updateRow(row, phase) {
    if (!row) return;
    if (row.job.phase !== phase || !row.phaseCell.firstChild) replace(row.phaseCell, phaseBadge(phase));
    row.job.phase = phase;
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
