// A real OpenID Provider for the Opus sign-in tests: panva's certified oidc-provider (pinned in
// package.json) with one confidential client, password-less sign-in pages of our own and keys made at start.
//
//   node server.mjs --port P --client-id ID --client-secret SECRET --redirect-uri URI [--redirect-uri URI2 ...]
//
// Listens on 127.0.0.1:P only; the issuer is http://127.0.0.1:P. Prints exactly one line, "ready", to stdout
// once listening; everything else goes to stderr. Everything is in memory and lost when the process ends.
//
// Sign-in, as a browser or an HTTP client sees it (tests/unit/Opus.Server.Tests/Infrastructure/IdentityProvider.cs
// walks it with regexes, Playwright by the ids):
//   GET  /interaction/{uid}          the login page: <form id="login" action="/interaction/{uid}/login">,
//                                    a text input name="login" (id="login-name"), any login is accepted;
//                                    or, once signed in, the consent page:
//                                    <form id="consent" action="/interaction/{uid}/confirm"> (button "Continue")
//                                    and <form id="abort" action="/interaction/{uid}/abort"> (button "Cancel").
//   POST /interaction/{uid}/login    login=NAME; NAME "deny" ends the request with error=access_denied
//                                    (sent back to the redirect URI); "disabled-*" signs in like anyone else.
//   POST /interaction/{uid}/confirm  grants the requested scopes and claims.
//   POST /interaction/{uid}/abort    ends the request with error=access_denied.
// Claims of a login: sub = a stable opaque id (a SHA-256 of the login), preferred_username = the login,
// name, email = login@example.org, email_verified = true. They are in the id_token as well as at userinfo.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

// stdout carries the one line "ready"; oidc-provider's notices (console.info) go to stderr with the rest.
console.info = console.warn;
console.log = console.warn;

function usage(message) {
  process.stderr.write(`${message}\nusage: node server.mjs --port P --client-id ID --client-secret SECRET --redirect-uri URI [--redirect-uri URI2 ...]\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  usage(error.message);
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) usage('--port must be a TCP port number');
if (!args['client-id']) usage('--client-id is required');
if (!args['client-secret']) usage('--client-secret is required');
if (!args['redirect-uri']?.length) usage('at least one --redirect-uri is required');

const issuer = `http://127.0.0.1:${port}`;

// The signing key, made for this run: the id_tokens are RS256.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

// Accounts exist from their first sign-in: sub -> login.
const accounts = new Map();
const subjectOf = (login) => createHash('sha256').update(`opus-test-idp:${login}`).digest('hex').slice(0, 32);

// oidc-provider's own in-memory adapter logs a "development-only" warning; this one is as small.
const store = new Map();
class MemoryAdapter {
  constructor(model) { this.model = model; }

  static get(key) {
    const entry = store.get(key);
    if (entry && entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry?.value;
  }

  static set(key, value, expiresIn) {
    store.set(key, { value, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload, expiresIn) {
    MemoryAdapter.set(this.key(id), payload, expiresIn);
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const ids = MemoryAdapter.get(grantKey) ?? [];
      ids.push(this.key(id));
      MemoryAdapter.set(grantKey, ids, expiresIn);
    }
    if (payload.uid) MemoryAdapter.set(`sessionUid:${payload.uid}`, id, expiresIn);
    if (payload.userCode) MemoryAdapter.set(`userCode:${payload.userCode}`, id, expiresIn);
  }

  async find(id) { return MemoryAdapter.get(this.key(id)); }

  async findByUid(uid) {
    const id = MemoryAdapter.get(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = MemoryAdapter.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = MemoryAdapter.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of MemoryAdapter.get(`grant:${grantId}`) ?? []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    // client_secret_post is accepted too: oidc-provider treats the two as one registered method.
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingKey] },
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  pkce: { methods: ['S256'], required: () => true },
  scopes: ['openid', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  // Put the profile and email claims into the id_token of the code flow too, not only at userinfo.
  conformIdTokenClaims: false,
  async findAccount(ctx, sub) {
    const login = accounts.get(sub);
    if (login === undefined) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          preferred_username: login,
          name: login.charAt(0).toUpperCase() + login.slice(1),
          email: `${login}@example.org`,
          email_verified: true,
        };
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Seconds. Set, rather than left to defaults that log a notice when first used.
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    DeviceCode: 600,
    BackchannelAuthenticationRequest: 600,
    Grant: 8 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 8 * 3600,
    Session: 8 * 3600,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = html('Sign-in failed', `<p id="error">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
  },
  features: { devInteractions: { enabled: false } },
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    // The default SameSite=None of the session cookie needs Secure, which plain http cannot have:
    // browsers would drop it. The relying party is on the same host (another port), so Lax does.
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error', 'jwks.error', 'discovery.error']) {
  provider.on(event, (...details) => {
    const error = details.find((d) => d instanceof Error);
    process.stderr.write(`idp ${event}: ${error ? `${error.name}: ${error.message}${error.error_description ? ` (${error.error_description})` : ''}` : ''}\n`);
  });
}

const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1>
${body}
</body></html>
`;
}

function page(res, status, title, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html(title, body));
}

function loginPage(res, uid, clientId, message) {
  page(res, 200, 'Sign in to the test IdP', `<p>Client: ${escape(clientId)}. Any login signs in; "deny" is refused.</p>
${message ? `<p id="error">${escape(message)}</p>\n` : ''}<form id="login" method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<input type="hidden" name="step" value="login">
<label for="login-name">Login</label>
<input type="text" id="login-name" name="login" required autofocus>
<button type="submit" id="sign-in">Sign in</button>
</form>`);
}

function consentPage(res, uid, clientId, scopes, login) {
  page(res, 200, 'Authorize', `<p>Signed in as <span id="user">${escape(login)}</span>.
${escape(clientId)} asks for: <span id="scopes">${escape(scopes.join(' '))}</span>.</p>
<form id="consent" method="post" action="/interaction/${escape(uid)}/confirm">
<input type="hidden" name="step" value="consent">
<button type="submit" id="continue">Continue</button>
</form>
<form id="abort" method="post" action="/interaction/${escape(uid)}/abort">
<input type="hidden" name="step" value="abort">
<button type="submit" id="cancel">Cancel</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  // interactionDetails checks the interaction cookie against the uid of the path.
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const { prompt, params } = details;

  if (req.method === 'GET' && action === undefined) {
    if (prompt.name === 'login') return loginPage(res, uid, params.client_id);
    const login = accounts.get(details.session?.accountId) ?? details.session?.accountId;
    return consentPage(res, uid, params.client_id, String(params.scope ?? '').split(' ').filter(Boolean), login);
  }
  if (req.method !== 'POST') return page(res, 405, 'Method not allowed', '');

  const form = await readForm(req);
  switch (action) {
    case 'login': {
      if (prompt.name !== 'login') return page(res, 400, 'Not a login step', '');
      const login = (form.get('login') ?? '').trim();
      if (!login || login.length > 200) return loginPage(res, uid, params.client_id, 'Enter a login.');
      if (login === 'deny') {
        return provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'the test IdP refuses the login "deny"',
        }, { mergeWithLastSubmission: false });
      }
      const sub = subjectOf(login);
      accounts.set(sub, login);
      return provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
    }
    case 'confirm': {
      if (prompt.name !== 'consent') return page(res, 400, 'Not a consent step', '');
      const { details: missing } = prompt;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      const consent = details.grantId ? {} : { grantId };
      return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
    }
    case 'abort':
      return provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'the user cancelled the sign-in',
      }, { mergeWithLastSubmission: false });
    default:
      return page(res, 404, 'Not found', '');
  }
}

const providerCallback = provider.callback();
const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, issuer);
  const match = /^\/interaction\/([^/]+)(?:\/([a-z]+))?$/.exec(pathname);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    process.stderr.write(`idp interaction error: ${error.name}: ${error.message}\n`);
    if (!res.headersSent) page(res, error.statusCode ?? 400, 'Sign-in failed', `<p id="error">${escape(error.message)}</p>`);
    else res.end();
  });
});

server.on('error', (error) => {
  process.stderr.write(`idp: ${error.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
