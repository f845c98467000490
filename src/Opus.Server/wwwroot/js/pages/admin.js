// Admin pages: users (SCIM /scim/v2/Users, tokens at /users/NAME/tokens), definitions (publish,
// export, withdraw through /jdl) and the server status (/status).
import { h, replace, field, toast, confirmDialog, time, bytes, phaseBadge, uid } from '../dom.js';
import { getJson, request, enc, me, download, form, ApiError, PHASES } from '../api.js';
import { setQuery } from '../app.js';

const SCIM = 'application/scim+json';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export async function render(main, route) {
  document.title = 'Admin · Opus';
  if (!me || !me.admin) {
    replace(main, h('h1', {}, 'Admin'), h('div', { class: 'alert' }, 'Only admins may use these pages.'));
    return;
  }
  const tabs = [['users', 'Users'], ['definitions', 'Definitions'], ['status', 'Server status']];
  const current = tabs.some(([key]) => key === route.query.get('tab')) ? route.query.get('tab') : 'users';
  const panel = h('div', { role: 'tabpanel', id: 'admin-panel', tabindex: 0 });
  const buttons = tabs.map(([key, label]) => h('button', {
    type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': 'admin-panel', 'aria-selected': String(key === current), tabindex: key === current ? 0 : -1,
    onclick: () => select(key),
  }, label));
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Admin' }, buttons);
  tablist.addEventListener('keydown', event => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0 || !['ArrowLeft', 'ArrowRight'].includes(event.key)) return;
    const next = buttons[(at + (event.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length];
    next.focus();
    next.click();
  });
  replace(main, h('h1', {}, 'Admin'), tablist, panel);

  async function select(key) {
    for (const b of buttons) {
      const on = b.id === `tab-${key}`;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `tab-${key}`);
    setQuery(new URLSearchParams({ tab: key }));
    replace(panel, h('p', { class: 'muted' }, 'Loading…'));
    try {
      if (key === 'users') await users(panel);
      else if (key === 'definitions') await definitions(panel);
      else await status(panel);
    } catch (e) { replace(panel, h('div', { class: 'alert' }, e.message)); }
  }
  await select(current);
}

async function users(panel) {
  const list = await getJson('/scim/v2/Users?startIndex=1&count=500', { accept: SCIM });
  const tokens = h('div', { 'data-slot': 'tokens' });
  const patch = (user, operations) => request('PATCH', `/scim/v2/Users/${enc(user.id)}`, {
    body: JSON.stringify({ schemas: [PATCH], Operations: operations }), contentType: SCIM,
  });

  const rows = list.Resources.map(user => {
    const roles = h('input', { value: (user.roles || []).map(r => r.value).join(', '), 'aria-label': `Roles of ${user.userName}`, size: 24 });
    const active = h('input', { type: 'checkbox', checked: user.active !== false, 'aria-label': `${user.userName} is active` });
    active.addEventListener('change', async () => {
      try { await patch(user, [{ op: 'replace', path: 'active', value: active.checked }]); toast(`${user.userName} ${active.checked ? 'activated' : 'deactivated'}`); } catch (e) { active.checked = !active.checked; toast(e.message, true); }
    });
    const saveRoles = h('button', { type: 'button', class: 'small', onclick: async () => {
      const values = roles.value.split(',').map(r => r.trim()).filter(Boolean).map(value => ({ value }));
      try { await patch(user, [{ op: 'replace', path: 'roles', value: values }]); toast(`Roles of ${user.userName} saved`); } catch (e) { toast(e.message, true); }
    } }, 'Save roles');
    const email = (user.emails || [])[0];
    const extension = user['urn:opus:scim:schemas:extension:2.0:User'] || {};
    return h('tr', { dataset: { user: user.userName } },
      h('td', {}, h('strong', {}, user.userName), user.displayName ? h('div', { class: 'muted' }, user.displayName) : null,
        extension.createdByPortal ? h('div', { class: 'muted' }, `created by portal ${extension.createdByPortal}`) : null),
      h('td', {}, email ? email.value : ''),
      h('td', {}, active),
      h('td', {}, h('div', { class: 'row' }, roles, saveRoles)),
      h('td', {}, externalIdEditor(user, patch)),
      // The SLURM account the user's jobs are charged to (sbatch --account), and the last authenticated request or
      // token use (not the record's last change): both from Opus's SCIM extension.
      h('td', { class: 'mono', 'data-testid': 'slurm-account' }, extension.slurmAccount || '—'),
      h('td', {}, time(extension.lastSeen)),
      h('td', { class: 'actions' },
        h('button', { type: 'button', class: 'small', onclick: () => showTokens(user.userName) }, 'Tokens'),
        user.userName === me.userName ? null : h('button', { type: 'button', class: 'small danger', onclick: async () => {
          if (!await confirmDialog(`Delete user ${user.userName}? Their tokens are revoked; their jobs stay.`)) return;
          try { await request('DELETE', `/scim/v2/Users/${enc(user.id)}`); toast(`Deleted ${user.userName}`); await users(panel); } catch (e) { toast(e.message, true); }
        } }, 'Delete')));
  });

  const userName = h('input', { name: 'userName', required: true, autocomplete: 'off' });
  const displayName = h('input', { name: 'displayName' });
  const emailInput = h('input', { name: 'email', type: 'email' });
  const rolesInput = h('input', { name: 'roles', placeholder: 'admin, *, copy' });
  const externalIdInput = h('input', { name: 'externalId', autocomplete: 'off', spellcheck: 'false' });
  const externalIdField = field('OIDC subject (externalId)', externalIdInput,
    { hint: "The user's sub at the identity provider: links the account at their first sign-in." });
  const problem = h('div', { class: 'alert', hidden: true, role: 'alert' });
  const create = h('form', { class: 'panel', 'aria-labelledby': 'new-user' },
    h('h2', { id: 'new-user' }, 'New user'),
    field('User name', userName, { required: true, hint: 'Letters, digits and . _ @ + -' }),
    field('Display name', displayName), field('E-mail', emailInput),
    field('Roles', rolesInput, { hint: 'Comma-separated: admin, * (every definition) or definition names.' }),
    externalIdField,
    problem, h('button', { type: 'submit', class: 'primary' }, 'Create user'));
  create.addEventListener('submit', async event => {
    event.preventDefault();
    problem.hidden = true;
    externalIdField.showError(null);
    const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: userName.value.trim(), active: true,
      roles: rolesInput.value.split(',').map(r => r.trim()).filter(Boolean).map(value => ({ value })) };
    if (displayName.value.trim()) body.displayName = displayName.value.trim();
    if (emailInput.value.trim()) body.emails = [{ value: emailInput.value.trim(), primary: true }];
    if (externalIdInput.value.trim()) body.externalId = externalIdInput.value.trim();
    try {
      await request('POST', '/scim/v2/Users', { body: JSON.stringify(body), contentType: SCIM });
      toast(`Created ${body.userName}`);
      const name = body.userName;
      await users(panel);
      await showTokensIn(panel, name);
    } catch (e) {
      // An externalId that is taken (409) or invalid (400) is shown at its field; anything else above the button.
      if (isExternalIdError(e)) { externalIdField.showError(e.message); externalIdInput.focus(); }
      else { problem.textContent = e.message; problem.hidden = false; userName.focus(); }
    }
  });

  replace(panel,
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Users', 'data-testid': 'users' },
      h('thead', {}, h('tr', {}, ['User', 'E-mail', 'Active', 'Roles', 'OIDC subject (externalId)', 'SLURM account', 'Last active', ''].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))),
    h('p', { class: 'muted' }, `${list.totalResults} users.`),
    tokens, create);

  async function showTokens(name) { await tokenPanel(tokens, name); }
}

/** The SCIM error of a refused externalId: 409 another user has it, 400 it is not a valid subject. */
const isExternalIdError = e => e instanceof ApiError && (e.status === 409 || e.status === 400) && /externalId/i.test(e.message);

/**
 * A user's externalId (the OIDC sub) in the users table: shown in an input ("—" when none), saved or
 * cleared (empty) by PATCH; a refusal is shown under the input, tied to it by aria-describedby.
 */
function externalIdEditor(user, patch) {
  const input = h('input', { value: user.externalId || '', placeholder: '—', 'aria-label': `OIDC subject of ${user.userName}`,
    size: 18, autocomplete: 'off', spellcheck: 'false', 'data-testid': 'external-id' });
  const error = h('div', { class: 'error', id: uid('xid-error'), hidden: true, role: 'alert' });
  input.setAttribute('aria-describedby', error.id);
  const showError = message => {
    error.textContent = message || '';
    error.hidden = !message;
    input.setAttribute('aria-invalid', message ? 'true' : 'false');
  };
  const save = h('button', { type: 'button', class: 'small', onclick: async () => {
    const value = input.value.trim();
    showError(null);
    try {
      const updated = await (await patch(user, [value ? { op: 'replace', path: 'externalId', value } : { op: 'remove', path: 'externalId' }])).json();
      user.externalId = updated.externalId;
      input.value = updated.externalId || '';
      toast(updated.externalId ? `OIDC subject of ${user.userName} saved` : `OIDC subject of ${user.userName} cleared`);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 400)) { showError(e.message); input.focus(); } else toast(e.message, true);
    }
  } }, 'Save subject');
  input.addEventListener('keydown', event => { if (event.key === 'Enter') { event.preventDefault(); save.click(); } });
  return h('div', {}, h('div', { class: 'row' }, input, save), error);
}

async function showTokensIn(panel, name) {
  const slot = panel.querySelector('[data-slot="tokens"]') || panel;
  await tokenPanel(slot, name);
}

async function tokenPanel(slot, name) {
  let list;
  try { list = (await getJson(`/users/${enc(name)}/tokens`)).tokens; } catch (e) {
    replace(slot, h('div', { class: 'panel' }, h('h2', {}, `Tokens of ${name}`),
      h('p', { class: 'note' }, e instanceof ApiError && e.status === 404 && /no resource/.test(e.message) ? 'This server has no token endpoint.' : e.message)));
    return;
  }
  const tokenName = h('input', { name: 'tokenName', required: true, value: 'web', autocomplete: 'off' });
  const expires = h('input', { name: 'expires', type: 'datetime-local' });
  const secret = h('div', { 'aria-live': 'polite' });
  const issue = h('form', { 'aria-label': `Issue a token to ${name}` },
    h('div', { class: 'row' }, field('Token name', tokenName), field('Expires (UTC)', expires, { hint: 'Empty: never.' })),
    h('button', { type: 'submit', class: 'primary' }, 'Issue token'), secret);
  issue.addEventListener('submit', async event => {
    event.preventDefault();
    const entries = [['name', tokenName.value.trim()]];
    if (expires.value) entries.push(['expires', `${expires.value.length === 16 ? expires.value + ':00' : expires.value}Z`]);
    try {
      const issued = await (await request('POST', `/users/${enc(name)}/tokens`, { body: form(entries) })).json();
      await tokenPanel(slot, name);
      const shown = h('output', { class: 'secret', 'data-testid': 'new-token' }, issued.token);
      const copy = h('button', { type: 'button', class: 'small', onclick: () => navigator.clipboard.writeText(issued.token).then(() => toast('Copied'), () => toast('Copy it by hand', true)) }, 'Copy');
      replace(slot.querySelector('[aria-live]'), h('p', {}, 'The new token, shown this once: '), shown, ' ', copy);
    } catch (e) { toast(e.message, true); }
  });
  replace(slot, h('div', { class: 'panel', 'data-testid': 'tokens' }, h('h2', {}, `Tokens of ${name}`),
    list.length === 0 ? h('p', { class: 'muted' }, 'No tokens.') : h('div', { class: 'table-wrap' }, h('table', { 'aria-label': `Tokens of ${name}` },
      h('thead', {}, h('tr', {}, ['Name', 'Created', 'Expires', 'Last used', 'State', ''].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map(t => h('tr', { dataset: { token: t.name } },
        h('td', {}, t.name), h('td', {}, time(t.createdAt)), h('td', {}, t.expiresAt ? time(t.expiresAt) : 'never'),
        h('td', {}, time(t.lastUsedAt)), h('td', {}, t.revokedAt ? 'revoked' : 'active'),
        h('td', { class: 'actions' }, t.revokedAt ? null : h('button', { type: 'button', class: 'small danger', onclick: async () => {
          if (!await confirmDialog(`Revoke token ${t.name} of ${name}? Whatever uses it stops working.`, 'Revoke')) return;
          try { await request('DELETE', `/users/${enc(name)}/tokens/${enc(t.id)}`); toast(`Revoked ${t.name}`); await tokenPanel(slot, name); } catch (e) { toast(e.message, true); }
        } }, 'Revoke'))))))),
    issue));
}

async function definitions(panel) {
  const list = (await getJson('/jdl')).definitions;
  const versions = await Promise.all(list.map(d => getJson(`/jdl/${enc(d.name)}/versions`).then(v => v.versions, () => [])));
  const format = h('select', { 'aria-label': 'Export format', id: uid('fmt') }, [['yaml', 'YAML'], ['json', 'JSON'], ['votable', 'VOTable'], ['wadl', 'WADL']].map(([v, l]) => h('option', { value: v }, l)));
  const suffix = { yaml: '.yaml', json: '.json', votable: '_vot.xml', wadl: '.wadl' };
  replace(panel,
    h('div', { class: 'row' }, h('label', { for: format.id }, 'Export as'), format, h('a', { class: 'button', href: '#/definitions/new' }, 'New definition')),
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Definitions' },
      h('thead', {}, h('tr', {}, ['Name', 'Current', 'Proposed versions', 'Contact', ''].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((d, i) => {
        const proposed = versions[i].filter(v => v.status === 'proposed');
        return h('tr', {},
          h('td', {}, h('a', { href: `#/definitions/${enc(d.name)}` }, d.name)),
          h('td', {}, d.version),
          h('td', {}, proposed.length === 0 ? h('span', { class: 'muted' }, 'none') : proposed.map(v => h('div', { class: 'row' }, v.version, ' ', h('span', { class: 'muted' }, v.createdBy || ''),
            h('button', { type: 'button', class: 'small', onclick: async () => {
              try { await request('POST', `/jdl/${enc(d.name)}/publish`, { body: form([['version', v.version]]) }); toast(`Published ${d.name} ${v.version}`); await definitions(panel); } catch (e) { toast(e.message, true); }
            } }, 'Publish')))),
          h('td', {}, d.contactName || ''),
          h('td', { class: 'actions' },
            h('a', { class: 'button small', href: `#/definitions/${enc(d.name)}` }, 'Edit'),
            h('button', { type: 'button', class: 'small', onclick: () => download(`/jdl/${enc(d.name)}?format=${format.value}`, `${d.name}${suffix[format.value]}`).catch(e => toast(e.message, true)) }, 'Export'),
            h('button', { type: 'button', class: 'small danger', onclick: async () => {
              if (!await confirmDialog(`Withdraw ${d.name}? Its jobs stay readable; no new job can be created.`, 'Withdraw')) return;
              try { await request('DELETE', `/jdl/${enc(d.name)}`); toast(`Withdrew ${d.name}`); await definitions(panel); } catch (e) { toast(e.message, true); }
            } }, 'Withdraw')));
      })))));
}

async function status(panel) {
  const s = await getJson('/status');
  const total = Object.values(s.jobs).reduce((a, b) => a + b, 0);
  const refresh = h('button', { type: 'button', onclick: () => status(panel).catch(e => toast(e.message, true)) }, 'Refresh');
  replace(panel,
    h('div', { class: 'row spread' }, h('h2', {}, 'Server status'), refresh),
    h('div', { class: 'panel', 'data-testid': 'status' }, h('dl', { class: 'summary' },
      h('dt', {}, 'Version'), h('dd', {}, s.version || '—'),
      h('dt', {}, 'Running since'), h('dd', {}, time(s.startedAt)),
      h('dt', {}, 'Job managers'), h('dd', {}, (s.managers || []).join(', ')),
      // The SLURM cluster (null without SLURM): whether its login node, slurmrestd or slurmctld answered last time it was asked.
      s.cluster ? h('dt', {}, 'SLURM cluster') : null,
      s.cluster ? h('dd', { 'data-testid': 'cluster' }, s.cluster.reachable
        ? `reachable (${s.cluster.transport})`
        : h('div', { class: 'alert', role: 'status' }, s.cluster.reason, s.cluster.since ? h('span', {}, ' since ', time(s.cluster.since)) : null)) : null,
      h('dt', {}, 'Jobs at once'), h('dd', {}, String(s.maxConcurrentJobs)),
      h('dt', {}, 'Active jobs per user'), h('dd', {}, String(s.maxActiveJobsPerUser)),
      h('dt', {}, 'Definitions'), h('dd', {}, String(s.definitions)),
      h('dt', {}, 'Live clients'), h('dd', {}, String(s.liveClients)),
      h('dt', {}, 'Database'), h('dd', {}, `${s.storage.provider}${s.storage.databaseBytes ? `, ${bytes(s.storage.databaseBytes)}` : ''}`),
      h('dt', {}, 'Store'), h('dd', {}, `${s.storage.storeFiles}${s.storage.storeCounted ? '' : '+'} files, ${bytes(s.storage.storeBytes)}`),
      h('dt', {}, 'Free space'), h('dd', {}, bytes(s.storage.freeBytes)),
      h('dt', {}, 'Data folder'), h('dd', { class: 'mono' }, s.storage.dataPath))),
    h('h3', {}, `Jobs per phase (${total})`),
    h('table', { 'aria-label': 'Jobs per phase' }, h('tbody', {}, PHASES.map(p => h('tr', {},
      h('td', {}, phaseBadge(p)), h('td', { 'data-testid': `status-${p}` }, String(s.jobs[p] || 0)))))));
}
