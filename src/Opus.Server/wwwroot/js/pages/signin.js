// Sign in with a user name and an API token (or an OIDC access token): checked against /me, then kept
// in memory and this tab's sessionStorage and sent as "Authorization: Bearer".
import { h, field, replace } from '../dom.js';
import { setToken, whoAmI, forget, ApiError } from '../api.js';
import { showWho } from '../app.js';

export async function render(main) {
  document.title = 'Sign in · Opus';
  const user = h('input', { name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' });
  const token = h('input', { name: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const problem = h('div', { class: 'alert', role: 'alert', hidden: true });
  const submit = h('button', { class: 'primary', type: 'submit' }, 'Sign in');
  const signIn = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Opus'),
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
      showWho();
      const after = sessionStorage.getItem('opus.after');
      sessionStorage.removeItem('opus.after');
      location.hash = after && !after.startsWith('#/signin') ? after : '#/jobs';
    } catch (e) {
      forget();
      problem.textContent = e instanceof ApiError && e.status === 401 ? 'The user name or token is not valid.' : e.message;
      problem.hidden = false;
      token.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, h('div', { class: 'signin' }, signIn,
    h('p', { class: 'muted' }, 'The token is kept for this browser tab only and sent to this server alone. It is never stored in a cookie.')));
  (user.value ? token : user).focus();
}
