// The web app: a gallery of the service's photos. The filters live in the address (?user_id=…&tag=…), so back and
// forward, reload and shared links show the same photos.

import { getJson, listImages, useToken } from './api.js';
import { $, el } from './dom.js';
import { Gallery } from './gallery.js';
import { NamedIdentity, SignedInIdentity } from './identity.js';
import { Lightbox } from './lightbox.js';
import { UploadDialog } from './upload.js';

const USER_ID = /^[A-Za-z0-9._-]{1,128}$/;

function filtersOf(search) {
  const query = new URLSearchParams(search);
  return { user_id: query.get('user_id') || '', tag: (query.get('tag') || '').replace(/^#/, '').toLowerCase() };
}

class App {
  constructor(config, limits, identity) {
    this.config = config;
    this.limits = limits;
    this.identity = identity;
    this.filters = filtersOf(location.search);
    this.gallery = new Gallery(this, $('grid'), $('status'), $('more'));
    this.lightbox = new Lightbox(this);
    this.uploads = new UploadDialog(this);
    useToken(() => identity.token());

    document.addEventListener('click', (event) => {
      const link = event.target.closest('a[data-nav]');
      if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
        event.preventDefault();
        this.navigate(link.getAttribute('href'));
      }
    });
    addEventListener('popstate', () => this.route());
    $('tag-search').addEventListener('submit', (event) => {
      event.preventDefault();
      const tag = $('tag-input').value.trim().replace(/^#/, '').toLowerCase();
      this.navigate(this.href({ ...this.filters, tag }));
    });
    $('open-upload').addEventListener('click', () => {
      if (!this.identity.user) {
        this.askForIdentity();
      } else {
        this.uploads.open();
      }
    });
    this.renderIdentity();
  }

  href(filters) {
    const query = new URLSearchParams();
    if (filters.user_id) {
      query.set('user_id', filters.user_id);
    }
    if (filters.tag) {
      query.set('tag', filters.tag);
    }
    const text = query.toString();
    return text ? `/?${text}` : '/';
  }

  userLink(user) {
    return el('a', { className: 'user', href: this.href({ user_id: user }), dataset: { nav: '' } }, user);
  }

  tagLink(tag, text = `#${tag}`) {
    return el('a', { className: 'tag', href: this.href({ tag }), dataset: { nav: '' } }, text);
  }

  navigate(url) {
    if (url !== location.pathname + location.search) {
      history.pushState(null, '', url);
    }
    this.route();
  }

  route(early = null) {
    if (this.lightbox.dialog.open) {
      this.lightbox.dialog.close();
    }
    this.filters = filtersOf(location.search);
    const { user_id: user, tag } = this.filters;
    $('tag-input').value = tag;
    const parts = [];
    if (user) {
      parts.push(`photos by ${user}`);
    }
    if (tag) {
      parts.push(`tagged #${tag}`);
    }
    $('filters').hidden = parts.length === 0;
    $('filter-text').textContent = parts.length ? `Showing ${parts.join(', ')}.` : '';
    document.title = parts.length ? `${parts.join(', ')} · Images` : 'Images';
    return this.gallery.show(this.filters, early);
  }

  emptyText() {
    return this.filters.user_id || this.filters.tag ? 'No photos match.' : 'No photos yet. Upload the first one.';
  }

  notify(text) {
    const notice = $('notice');
    notice.textContent = text;
    notice.hidden = !text;
  }

  open(id) {
    return this.lightbox.open(id);
  }

  uploaded(image) {
    this.gallery.prepend(image, this.filters);
  }

  edited(image) {
    this.gallery.replace(image, this.filters);
  }

  askForIdentity() {
    if (this.identity.mode === 'jwt') {
      if (this.identity.signIn) {
        this.identity.begin();
      } else {
        this.notify(this.identity.unavailable);
      }
      return;
    }
    this.renderIdentity(true);
    $('name-input')?.focus();
  }

  renderIdentity(editing = false) {
    const box = $('identity');
    const identity = this.identity;
    if (identity.mode === 'jwt') {
      if (!identity.signIn) {
        box.replaceChildren(el('span', { className: 'hint', title: identity.unavailable }, 'Sign-in unavailable'));
      } else if (identity.user) {
        box.replaceChildren(
          el('span', {}, 'Signed in as ', this.userLink(identity.user), identity.label !== identity.user ? ` (${identity.label})` : ''),
          el('button', { type: 'button', onclick: () => this.signOut() }, 'Sign out'));
      } else {
        box.replaceChildren(el('button', { type: 'button', onclick: () => identity.begin() }, 'Sign in'));
      }
      return;
    }
    if (identity.user && !editing) {
      box.replaceChildren(
        el('span', {}, 'You are ', this.userLink(identity.user)),
        el('button', { type: 'button', onclick: () => this.renderIdentity(true) }, 'Change'));
      return;
    }
    const input = el('input', { id: 'name-input', value: identity.user, autocomplete: 'username', spellcheck: false, required: true, maxLength: 128 });
    const problem = el('span', { className: 'error', role: 'alert' });
    const form = el('form', {
      className: 'name-form',
      onsubmit: (event) => {
        event.preventDefault();
        const name = input.value.trim();
        if (!USER_ID.test(name)) {
          problem.textContent = 'Use letters, digits, dots, dashes or underscores.';
          return;
        }
        identity.user = name;
        this.renderIdentity();
        if (this.lightbox.current) {
          this.lightbox.render(this.lightbox.current, this.lightbox.etag);
        }
      },
    }, el('label', { htmlFor: 'name-input' }, 'Your name'), input, el('button', { type: 'submit' }, 'Save'), problem);
    box.replaceChildren(form);
  }

  signOut() {
    if (!this.identity.end()) {
      this.renderIdentity();
      this.notify('Signed out.');
    }
  }
}

async function start() {
  // The first page of photos is asked for at once, beside the settings, not after them.
  const url = Gallery.firstPage(filtersOf(location.search));
  const early = { url, page: listImages(url) };
  early.page.catch(() => {}); // Its failure is shown when the grid reads it.
  const [config, limits] = await Promise.all([getJson('/app/config'), getJson('/limits')]);
  const identity = config.auth_mode === 'jwt' ? new SignedInIdentity(config.sign_in, config.sign_in_unavailable) : new NamedIdentity();
  let signInProblem = '';
  if (identity.mode === 'jwt' && identity.signIn) {
    try {
      await identity.complete();
    } catch (error) {
      signInProblem = error.message;
    }
  }
  const app = new App(config, limits, identity);
  if (signInProblem) {
    app.notify(signInProblem);
  }
  await app.route(early);
  document.body.dataset.ready = 'true';
}

start().catch((error) => {
  $('status').textContent = `The app could not start: ${error.message}`;
});
