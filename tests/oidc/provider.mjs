// A real OpenID Connect server for the sign-in tests: oidc-provider (pinned in package.json) on 127.0.0.1 with
// one public client that signs in with the Authorization Code flow and PKCE (S256), and JWT access tokens for one
// API audience. Its development login page takes any login and any password; the login becomes the token's `sub`.
//
//   node provider.mjs --port 4010 --client-id web --audience urn:image-service \
//     --redirect-uri http://127.0.0.1/callback [--redirect-uri ...] [--post-logout-redirect-uri ...]
//
// The port may also come from the PORT environment variable. The client is registered as a native application,
// so a loopback redirect URI matches on any port (RFC 8252, section 7.3): a test can register
// http://127.0.0.1/callback before its web app has a port. Prints `ready http://127.0.0.1:PORT` once listening;
// exits when its standard input closes (the test that started it is gone) or on SIGTERM / SIGINT.

import * as crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT },
    'client-id': { type: 'string', default: 'image-service-web' },
    audience: { type: 'string', default: 'urn:image-service' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  },
  strict: true,
});

const port = Number.parseInt(options.port ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('provider.mjs needs --port (or PORT) between 1 and 65535.');
  process.exit(2);
}

if (options['redirect-uri'].length === 0) {
  console.error('provider.mjs needs at least one --redirect-uri.');
  process.exit(2);
}

// The resource indicator the client's authorization requests default to is the audience itself, so it must be
// an absolute URI (a URN will do), as RFC 8707 requires of resource indicators.
if (!URL.canParse(options.audience)) {
  console.error(`provider.mjs: --audience must be an absolute URI (it is also the resource indicator), not ${options.audience}.`);
  process.exit(2);
}

const issuer = `http://127.0.0.1:${port}`;
const audience = options.audience;

// Fresh signing keys at every start: whatever trusts this server must discover them at /jwks.
const signing = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

/** Loopback origins over http, any port: the web apps the tests run on this machine. */
function isLoopbackOrigin(origin) {
  const url = URL.parse(origin);
  return url !== null
    && url.protocol === 'http:'
    && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
    && url.origin === origin;
}

function htmlSafe(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: options['client-id'],
    // A native application's loopback redirect URIs match on any port (RFC 8252, section 7.3); a browser app on
    // 127.0.0.1 needs nothing else of it. It also means consent is asked at every sign-in.
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: options['redirect-uri'],
    post_logout_redirect_uris: options['post-logout-redirect-uri'],
  }],
  jwks: { keys: [{ ...signing, kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  // Whoever types a login at the development login page is that account; nothing is stored.
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: id }) }),
  claims: { openid: ['sub'], profile: ['name'] },
  scopes: ['openid', 'profile', 'offline_access'],
  pkce: { required: () => true },
  // The default answers only for an origin of a registered redirect URI, port included; a web app on any loopback
  // port may call the token endpoint from the browser.
  clientBasedCORS: (_ctx, origin) => isLoopbackOrigin(origin),
  features: {
    devInteractions: { enabled: true },
    // RP-initiated logout (end_session_endpoint), with pages that load nothing from elsewhere. The confirmation form
    // is the provider's own (its xsrf field included); `logout=yes` signs out, anything else stays signed in.
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx, form) => {
        ctx.body = page('Sign out', `${form}
          <p>Sign out of ${htmlSafe(ctx.host)}?</p>
          <button autofocus type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
          <button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      postLogoutSuccessSource: (ctx) => {
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
    resourceIndicators: {
      enabled: true,
      // An authorization request without `resource` is for the API...
      defaultResource: () => audience,
      // ...and so is the token request that redeems its code, even with `openid` in the scope (which otherwise
      // makes the access token one for the userinfo endpoint, opaque).
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== audience) {
          throw new errors.InvalidTarget(`this server issues access tokens for ${audience} only`);
        }

        return {
          scope: 'openid profile',
          audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

server.on('error', (error) => {
  console.error(`provider.mjs could not listen on ${issuer}: ${error.message}`);
  process.exit(1);
});

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
