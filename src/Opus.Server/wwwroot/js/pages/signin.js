// Sign in with a user name and an API token (or an OIDC access token): checked against /me, then kept
// in memory and this tab's sessionStorage and sent as "Authorization: Bearer".
// When the server offers it, password-less sign-in by redirect to the OIDC provider: the server runs
// the code flow and comes back here (#/signin?oidc=done) with a short-lived Opus token in a cookie
// that this page reads once and deletes.
import { h, field, replace } from '../dom.js';
import { setToken, whoAmI, forget, getJson, ApiError } from '../api.js';
import { showWho } from '../app.js';

const HANDOFF = 'opus.signin';

// Codes the server's callback sends back; the text shown is always ours, never the URL's.
const problems = {
  expired: 'The sign-in took too long or was started in another tab. Try again.',
  provider: 'The identity provider did not sign you in',
  failed: 'Signing in with the identity provider failed. The server log says why.',
  unavailable: 'The identity provider cannot be reached just now. Try again later, or sign in with a token.',
  claim: 'The identity provider did not tell Opus your user name.',
  inactive: 'Your Opus account is not active. Ask an admin.',
  taken: 'Your user name at the identity provider belongs to another Opus account. Ask an admin to link them.',
};

/** The token the OIDC callback left, removed from the cookie jar as it is read. */
function takeHandoff() {
  const entry = document.cookie.split(';').map(c => c.trim()).find(c => c.startsWith(`${HANDOFF}=`));
  if (!entry) return null;
  document.cookie = `${HANDOFF}=; Max-Age=0; Path=/client/; SameSite=Strict${location.protocol === 'https:' ? '; Secure' : ''}`;
  return decodeURIComponent(entry.slice(HANDOFF.length + 1)) || null;
}

function goOn() {
  showWho();
  const after = sessionStorage.getItem('opus.after');
  sessionStorage.removeItem('opus.after');
  location.hash = after && !after.startsWith('#/signin') ? after : '#/jobs';
}

async function methods() {
  try {
    return await getJson('/auth/methods');
  } catch {
    return {};
  }
}

export async function render(main, route) {
  document.title = 'Sign in · Opus';
  const query = route ? route.query : new URLSearchParams();
  const handoff = takeHandoff();
  if (handoff) {
    setToken(handoff);
    try {
      await whoAmI();
      goOn();
      return;
    } catch {
      forget();
    }
  }
  const user = h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' });
  const token = h('input', { name: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const problem = h('div', { class: 'alert', role: 'alert', hidden: true });
  const submit = h('button', { class: 'primary', type: 'submit' }, 'Sign in');
  const offered = (await methods()).oidc;
  const signIn = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'signin-title' },
    offered ? h('h2', { id: 'signin-title' }, 'With an API token') : h('h1', { id: 'signin-title' }, 'Sign in to Opus'),
    field('User name', user, { hint: 'Leave empty to sign in with an OIDC access token.' }),
    field('API token', token, { required: true, hint: 'Your Opus API token (ask an admin), or an access token of the configured OIDC provider.' }),
    problem,
    h('div', { class: 'row' }, submit));
  signIn.addEventListener('submit', async event => {
    event.preventDefault();
    problem.hidden = true;
    if (!token.value.trim()) { token.fieldWrap.showError('Give your token.'); token.focus(); return; }
    token.fieldWrap.showError('');
    submit.disabled = true;
    try {
      setToken(token.value.trim());
      const who = await whoAmI();
      if (who.anonymous || (user.value.trim() && who.userName !== user.value.trim())) {
        forget();
        throw new ApiError(401, 'This token does not belong to that user.');
      }
      goOn();
    } catch (e) {
      forget();
      problem.textContent = e instanceof ApiError && e.status === 401 ? 'The user name or token is not valid.' : e.message;
      problem.hidden = false;
      token.focus();
    } finally {
      submit.disabled = false;
    }
  });
  const ssoProblem = h('div', { class: 'alert', role: 'alert', hidden: true });
  const single = offered && offered.url
    ? h('div', { class: 'panel oidc' },
      h('h1', {}, 'Sign in to Opus'),
      h('a', { class: 'button primary', href: offered.url, 'data-testid': 'oidc-signin' }, `Sign in with ${offered.name || 'single sign-on'}`),
      h('p', { class: 'muted' }, 'No password here: you sign in at your identity provider and come back signed in.'),
      ssoProblem)
    : null;
  const code = query.get('problem');
  const shown = single ? ssoProblem : problem;
  if (code) {
    const providerError = query.get('error');
    shown.textContent = code === 'provider'
      ? `${problems.provider}${providerError && /^[A-Za-z0-9_.-]{1,64}$/.test(providerError) ? ` (${providerError})` : ''}.`
      : problems[code] || 'The sign-in did not succeed. Try again.';
    shown.hidden = false;
  } else if (query.get('oidc') === 'done' && !handoff) {
    shown.textContent = problems.expired;
    shown.hidden = false;
  }
  replace(main, h('div', { class: 'signin' }, single, signIn,
    h('p', { class: 'muted' }, 'The token is kept for this browser tab only and sent to this server alone.')));
  if (single && !code) single.querySelector('a').focus();
  else (user.value ? token : user).focus();
}
