// The client's shell: who is signed in, the navigation, and a hash router (#/jobs, #/job/copy/ID ...).
import { h, replace, toast } from './dom.js';
import { ApiError, whoAmI, forget, me, request } from './api.js';

const pages = {
  signin: () => import('./pages/signin.js'),
  jobs: () => import('./pages/joblist.js'),
  new: () => import('./pages/jobform.js'),
  job: () => import('./pages/jobdetail.js'),
  definitions: () => import('./pages/editor.js'),
  admin: () => import('./pages/admin.js'),
};

let cleanup = null;
let renderCount = 0;

/** "#/job/copy/abc?x=1" -> { name: 'job', parts: ['copy', 'abc'], query: URLSearchParams } */
export function parseRoute(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, search = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || 'jobs', parts: parts.slice(1), query: new URLSearchParams(search) };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Changes the query of the current page without a new history entry or a re-render. */
export function setQuery(query) {
  const { name, parts } = parseRoute();
  const path = ['#', name, ...parts.map(encodeURIComponent)].join('/');
  const search = query.toString();
  history.replaceState(null, '', search ? `${path}?${search}` : path);
}

async function route() {
  const main = document.getElementById('main');
  const current = parseRoute();
  if (cleanup) { try { cleanup(); } catch { /* the page is gone anyway */ } cleanup = null; }
  if (!me && current.name !== 'signin') {
    try {
      await whoAmI();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        sessionStorage.setItem('opus.after', location.hash || '#/jobs');
        forget();
        location.hash = '#/signin';
        return;
      }
      replace(main, h('div', { class: 'alert' }, `The server did not answer: ${e.message}`));
      return;
    }
  }
  showWho();
  const load = pages[current.name];
  if (!load) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page here. '), h('a', { href: '#/jobs' }, 'Back to the jobs'));
    return;
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.route === current.name || (current.name === 'job' && link.dataset.route === 'jobs')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const mine = ++renderCount;
  try {
    const module = await load();
    if (mine !== renderCount) return;
    replace(main);
    document.title = 'Opus';
    cleanup = (await module.render(main, current)) || null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      forget();
      sessionStorage.setItem('opus.after', location.hash);
      location.hash = '#/signin';
      return;
    }
    replace(main, h('h1', {}, 'Something went wrong'), h('div', { class: 'alert' }, e.message || String(e)));
  }
  main.focus({ preventScroll: true });
}

export function showWho() {
  const who = document.getElementById('who');
  document.getElementById('nav-admin').hidden = !(me && me.admin);
  if (!me) { replace(who); return; }
  const signOut = h('button', { class: 'small', type: 'button', onclick: () => signOutNow() },
    me.anonymous ? 'Sign in' : 'Sign out');
  replace(who, h('span', { 'data-testid': 'who' }, me.anonymous ? 'anonymous' : me.userName, me.admin ? ' (admin)' : ''), signOut);
}

/** Ends a web sign-in on the server too (its token is revoked); an API token is only forgotten here. */
async function signOutNow() {
  if (me && !me.anonymous) {
    try { await request('POST', '/auth/signout'); } catch { /* forgotten below anyway */ }
  }
  forget();
  toast('Signed out');
  go('#/signin');
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', event => {
  const message = event.reason && event.reason.message ? event.reason.message : String(event.reason);
  toast(message, true);
});
route();
