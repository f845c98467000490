// The portal example: loads opus-uws.js from the Opus server the user names, then creates, runs, waits for,
// aborts and deletes jobs, shows their results, makes signed links and follows the job events.
const $ = id => document.getElementById(id);
const query = new URLSearchParams(location.search);
$('server').value = query.get('opus') || '';

let opus = null;
let events = null;
const rows = new Map();

function el(name, attributes = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter(c => c !== null && c !== undefined));
  return node;
}

function problem(target, e) {
  target.replaceChildren(el('span', { class: 'problem', role: 'alert' }, e.message || String(e)));
}

$('connect').addEventListener('submit', async event => {
  event.preventDefault();
  const server = $('server').value.replace(/\/+$/, '');
  try {
    // The module comes from the server it talks to: its root is taken from the module's own address.
    const lib = await import(`${server}/client/lib/opus-uws.js`);
    opus = new lib.OpusClient({ token: $('token').value.trim() || undefined });
    const me = await opus.me();
    $('status').textContent = `Signed in to ${opus.baseUrl} as ${me.userName} (opus-uws ${lib.VERSION})`;
    $('status').dataset.version = lib.VERSION;
    for (const id of ['create', 'jobs-section', 'events-section']) $(id).hidden = false;
    follow();
  } catch (e) {
    problem($('status'), e);
  }
});

function follow() {
  if (events) events.close();
  events = opus.events({
    onEvent: (type, change) => {
      if (type !== 'job') return;
      $('events').append(el('li', { 'data-job': change.id }, `${change.id} ${change.deleted ? 'deleted' : change.phase}`));
      const row = rows.get(change.id);
      if (row && !change.deleted) row.phase.textContent = change.phase;
    },
    onState: on => { $('live').textContent = on ? '(live)' : '(reconnecting)'; },
  });
}

$('create').addEventListener('submit', async event => {
  event.preventDefault();
  const parameters = $('parameters').value.split('\n').filter(line => line.includes('='))
    .map(line => [line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1)]);
  try {
    const job = await opus.create($('definition').value.trim(), parameters, { run: $('run').checked });
    show($('definition').value.trim(), job);
  } catch (e) {
    problem($('status'), e);
  }
});

$('refresh').addEventListener('click', async () => {
  try {
    const page = await opus.list({ limit: 20 });
    $('total').textContent = `${page.total} jobs`;
    for (const job of page.jobs) if (!rows.has(job.id)) show(job.definition, { jobId: job.id, phase: job.phase, parameters: [] });
  } catch (e) {
    problem($('total'), e);
  }
});

/** One job's box: its phase, its buttons, and a place for its results and messages. */
function show(definition, job) {
  const id = job.jobId;
  const phase = el('strong', { class: 'phase' }, job.phase);
  const out = el('div', { class: 'out' });
  const act = work => async () => {
    try { await work(); } catch (e) { problem(out, e); }
  };
  const setPhase = j => { phase.textContent = j.phase; };
  const box = el('article', { class: 'job', 'data-job': id, 'aria-label': `Job ${id}` },
    el('p', {}, `${definition} `, el('code', {}, id), ' ', phase),
    el('p', {},
      el('button', { type: 'button', onclick: act(async () => setPhase(await opus.run(definition, id))) }, 'Run'), ' ',
      el('button', { type: 'button', onclick: act(async () => setPhase(await opus.waitForEnd(definition, id, { timeoutSeconds: 300 }))) }, 'Wait'), ' ',
      el('button', { type: 'button', onclick: act(() => results(definition, id, out)) }, 'Results'), ' ',
      el('button', { type: 'button', onclick: act(async () => setPhase(await opus.abort(definition, id))) }, 'Abort'), ' ',
      el('button', { type: 'button', onclick: act(async () => {
        await opus.delete(definition, id);
        rows.delete(id);
        box.remove();
      }) }, 'Delete')),
    out);
  rows.set(id, { phase, box });
  $('jobs').prepend(box);
}

async function results(definition, id, out) {
  const list = await opus.results(definition, id);
  out.replaceChildren(...list.map(result => {
    const slot = el('div', { class: 'result', 'data-result': result.id });
    const text = el('pre');
    const link = el('p');
    slot.append(el('p', {}, `${result.id} (${result.mimeType}, ${result.size ?? '?'} bytes) `,
      el('button', { type: 'button', onclick: async () => {
        try { text.textContent = await (await opus.result(definition, id, result.id, { range: 'bytes=0-4095' })).text(); } catch (e) { problem(text, e); }
      } }, `Show ${result.id}`), ' ',
      el('button', { type: 'button', onclick: async () => {
        try {
          const url = await opus.link(definition, id, result.id, { expiresSeconds: 3600 });
          link.replaceChildren('Signed link (an hour, no credentials): ', el('a', { href: url, class: 'signed' }, url));
        } catch (e) { problem(link, e); }
      } }, `Link ${result.id}`)), text, link);
    return slot;
  }));
  if (list.length === 0) out.textContent = 'No results.';
}
