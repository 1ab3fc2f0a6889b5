// Who the person is. With Auth:Mode=None they name themselves (kept in this browser) and the name is their user_id.
// With Jwt they sign in at the authority: the authorization code flow with PKCE, as a public client. The tokens stay
// in this tab's session storage, never in local storage or cookies, and go only to the service.

const NAME_KEY = 'image-service.user';
const SESSION_KEY = 'image-service.session';
const PENDING_KEY = 'image-service.sign-in';

function base64Url(bytes) {
  let text = '';
  for (const byte of bytes) {
    text += String.fromCharCode(byte);
  }
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomToken() {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

function claimsOf(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(Array.from(atob(part), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
    return JSON.parse(json);
  } catch {
    return {};
  }
}

function readJson(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) || 'null');
  } catch {
    return null;
  }
}

/** Anonymous mode: the person's chosen name, or '' when they have not chosen one. */
export class NamedIdentity {
  constructor() {
    this.mode = 'none';
  }

  get user() {
    return localStorage.getItem(NAME_KEY) || '';
  }

  set user(name) {
    if (name) {
      localStorage.setItem(NAME_KEY, name);
    } else {
      localStorage.removeItem(NAME_KEY);
    }
  }

  get label() {
    return this.user;
  }

  token() {
    return null;
  }

  owns(image) {
    return this.user !== '' && image.user_id === this.user;
  }
}

/** Jwt mode: a session from the authority, or none. */
export class SignedInIdentity {
  constructor(signIn, unavailable) {
    this.mode = 'jwt';
    this.signIn = signIn;
    this.unavailable = unavailable;
    this.session = readJson(sessionStorage, SESSION_KEY);
    if (this.session && this.session.expires_at <= Date.now()) {
      this.forget();
    }
  }

  get user() {
    return this.session?.sub || '';
  }

  get label() {
    return this.session?.name || this.user;
  }

  token() {
    if (this.session && this.session.expires_at <= Date.now()) {
      this.forget();
    }
    return this.session?.access_token || null;
  }

  owns(image) {
    return this.user !== '' && image.user_id === this.user;
  }

  forget() {
    this.session = null;
    sessionStorage.removeItem(SESSION_KEY);
  }

  redirectUri() {
    return `${location.origin}/`;
  }

  /** Leaves for the authority's sign-in page; the app comes back to the current view afterwards. */
  async begin() {
    const verifier = randomToken();
    const state = randomToken();
    const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, back: location.pathname + location.search }));
    const url = new URL(this.signIn.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.signIn.client_id,
      redirect_uri: this.redirectUri(),
      scope: this.signIn.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    location.assign(url.toString());
  }

  /**
   * On the way back from the authority (?code=…&state=…, or ?error=…): trades the code for tokens and puts the
   * address back as it was. Answers true when this page load was such a return.
   */
  async complete() {
    const query = new URLSearchParams(location.search);
    if (!query.has('state') || !(query.has('code') || query.has('error'))) {
      return false;
    }
    const pending = readJson(sessionStorage, PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    history.replaceState(null, '', pending?.back || '/');
    if (!pending || pending.state !== query.get('state')) {
      throw new Error('The sign-in answer did not belong to a sign-in started here. Please sign in again.');
    }
    if (query.has('error')) {
      throw new Error(`Sign-in did not complete: ${query.get('error_description') || query.get('error')}.`);
    }
    const response = await fetch(this.signIn.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: query.get('code'),
        redirect_uri: this.redirectUri(),
        client_id: this.signIn.client_id,
        code_verifier: pending.verifier,
      }),
    });
    const tokens = await response.json().catch(() => ({}));
    if (!response.ok || !tokens.access_token) {
      throw new Error(`Sign-in failed at the authority: ${tokens.error_description || tokens.error || response.status}.`);
    }
    const access = claimsOf(tokens.access_token);
    const id = tokens.id_token ? claimsOf(tokens.id_token) : {};
    this.session = {
      access_token: tokens.access_token,
      id_token: tokens.id_token || null,
      sub: access.sub || id.sub,
      name: id.name || id.email || id['cognito:username'] || access.username || access.sub,
      expires_at: Date.now() + Math.max(0, (tokens.expires_in || 300) - 30) * 1000,
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(this.session));
    return true;
  }

  /** Forgets the session here and, when the authority offers it, ends it there too. */
  end() {
    const idToken = this.session?.id_token;
    this.forget();
    if (this.signIn?.end_session_endpoint && idToken) {
      const url = new URL(this.signIn.end_session_endpoint);
      // The standard's parameters, and Cognito's own name for where to come back to (its /logout takes logout_uri).
      url.search = new URLSearchParams({
        id_token_hint: idToken,
        post_logout_redirect_uri: this.redirectUri(),
        client_id: this.signIn.client_id,
        logout_uri: this.redirectUri(),
      }).toString();
      location.assign(url.toString());
      return true;
    }
    return false;
  }
}
