// One photo, large: the display rendition, its caption with links for its hashtags, tags, owner, date and size, and
// a link to the original. Arrow keys step through the grid, Escape closes, and focus goes back to the tile. The
// owner may edit (sent with the version it was read at, so nobody's change is overwritten unseen) and delete.

import { getImage, editImage, deleteImage, ApiError } from './api.js';
import { $, el, captionNodes } from './dom.js';
import { altTextOf, paintPlaceholder } from './gallery.js';


export class Lightbox {
  constructor(app) {
    this.app = app;
    this.dialog = $('lightbox');
    this.image = $('lightbox-image');
    this.current = null;
    this.etag = null;
    this.returnFocus = null;
    this.opening = 0;

    $('lightbox-close').addEventListener('click', () => this.dialog.close());
    $('previous').addEventListener('click', () => this.step(-1));
    $('next').addEventListener('click', () => this.step(1));
    $('edit-button').addEventListener('click', () => this.startEdit());
    $('edit-cancel').addEventListener('click', () => this.stopEdit());
    $('edit-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.save();
    });
    $('delete-button').addEventListener('click', () => this.confirmDelete());
    this.image.addEventListener('load', () => this.image.classList.add('loaded'));
    this.dialog.addEventListener('keydown', (event) => {
      const typing = event.target.closest('input, textarea');
      if (!typing && event.key === 'ArrowLeft') {
        event.preventDefault();
        this.step(-1);
      } else if (!typing && event.key === 'ArrowRight') {
        event.preventDefault();
        this.step(1);
      }
    });
    this.dialog.addEventListener('close', () => {
      this.current = null;
      this.image.removeAttribute('src');
      delete this.image.dataset.key;
      // After the browser has put focus back where it was when the dialog opened: on the photo last shown instead.
      const id = this.returnFocus;
      setTimeout(() => this.app.gallery.tileOf(id)?.querySelector('.frame')?.focus(), 0);
    });
    // A click on the backdrop closes, as a click outside a photo does on every photo site.
    this.dialog.addEventListener('click', (event) => {
      if (event.target === this.dialog) {
        this.dialog.close();
      }
    });
  }

  async open(id) {
    const summary = this.app.gallery.items.find((i) => i.image_id === id);
    this.returnFocus = id;
    const opening = ++this.opening;
    this.stopEdit();
    this.error('');
    if (summary) {
      this.render(summary, null);
    }
    if (!this.dialog.open) {
      this.dialog.showModal();
      $('lightbox-close').focus();
    }
    try {
      const { image, etag } = await getImage(id);
      if (opening === this.opening) {
        this.render(image, etag);
      }
    } catch (error) {
      if (opening === this.opening) {
        this.error(error.message);
      }
    }
  }

  render(image, etag) {
    const sameImage = this.current?.image_id === image.image_id;
    this.current = image;
    this.etag = etag;
    const display = image.variants?.find((v) => v.name === 'display');
    const stage = $('stage');
    if (!sameImage) {
      this.image.classList.remove('loaded');
      this.image.removeAttribute('src');
      delete this.image.dataset.key;
      stage.style.backgroundImage = '';
      stage.style.backgroundColor = '';
      paintPlaceholder(stage, image);
    }
    this.image.alt = altTextOf(image);
    // The summary's thumbnail first, then the display rendition once the full record has come.
    const key = `${image.image_id}:${display ? 'display' : 'thumbnail'}`;
    const shown = this.image.dataset.key || '';
    const source = display?.url || image.thumbnail_url;
    if (source && shown !== key && shown !== `${image.image_id}:display`) {
      this.image.dataset.key = key;
      this.image.src = source;
    }

    const owner = $('lightbox-owner');
    owner.textContent = image.user_id;
    owner.href = this.app.href({ user_id: image.user_id });
    $('lightbox-caption').replaceChildren(...captionNodes(image.caption || '', (tag, text) => this.app.tagLink(tag, text)));
    $('lightbox-tags').replaceChildren(...image.tags.map((tag) => el('li', {}, this.app.tagLink(tag))));
    const date = $('lightbox-date');
    date.dateTime = image.created_at;
    date.textContent = new Date(image.created_at).toLocaleString();
    $('lightbox-size').textContent = image.width ? `${image.width} × ${image.height} pixels` : '';
    $('lightbox-alt').textContent = image.alt_text || 'None given';
    const download = $('lightbox-download');
    download.href = image.url;
    download.hidden = !image.url;
    $('owner-actions').hidden = !this.app.identity.owns(image) || etag === null;
    const at = this.index();
    $('previous').disabled = at <= 0;
    $('next').disabled = at < 0 || (at >= this.app.gallery.items.length - 1 && !this.app.gallery.next);
    // A button that just went away or off (the last step, Edit before the record came) leaves focus on nothing, and
    // then the arrow keys reach nobody: give it to Close.
    const focused = document.activeElement;
    if (this.dialog.open && (!this.dialog.contains(focused) || focused.disabled || focused.closest('[hidden]'))) {
      $('lightbox-close').focus();
    }
  }

  index() {
    return this.current ? this.app.gallery.items.findIndex((i) => i.image_id === this.current.image_id) : -1;
  }

  async step(by) {
    const items = this.app.gallery.items;
    let at = this.index();
    if (at < 0) {
      return;
    }
    if (at + by >= items.length && this.app.gallery.next) {
      await this.app.gallery.loadMore();
      at = this.index();
    }
    const target = items[at + by];
    if (target) {
      await this.open(target.image_id);
    }
  }

  error(text) {
    const node = $('lightbox-error');
    node.textContent = text;
    node.hidden = !text;
  }

  startEdit() {
    const image = this.current;
    // What the form started from, so that after someone else's edit only the fields this person changed are theirs.
    this.editBase = { caption: image.caption || '', tags: image.tags.join(' '), alt: image.alt_text || '' };
    $('edit-caption').value = this.editBase.caption;
    $('edit-tags').value = this.editBase.tags;
    $('edit-alt').value = this.editBase.alt;
    $('edit-error').hidden = true;
    $('edit-form').hidden = false;
    $('owner-actions').hidden = true;
    $('edit-caption').focus();
  }

  stopEdit() {
    $('edit-form').hidden = true;
    if (this.current) {
      $('owner-actions').hidden = !this.app.identity.owns(this.current) || this.etag === null;
    }
  }

  async save() {
    const image = this.current;
    const problem = $('edit-error');
    problem.hidden = true;
    const patch = {
      caption: $('edit-caption').value,
      tags: $('edit-tags').value.split(/[\s,]+/).filter(Boolean),
      alt_text: $('edit-alt').value,
    };
    try {
      const saved = await editImage(image.image_id, this.etag, patch);
      this.stopEdit();
      this.render(saved.image, saved.etag);
      this.app.edited(saved.image);
      $('edit-button').focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        // Someone else's edit landed first: show theirs, and keep what this person typed in the form, so that saving
        // again applies it over theirs knowingly.
        const typed = { caption: $('edit-caption').value, tags: $('edit-tags').value, alt: $('edit-alt').value };
        const base = this.editBase;
        try {
          const fresh = await getImage(image.image_id);
          this.render(fresh.image, fresh.etag);
          this.app.edited(fresh.image);
          this.startEdit();
          // Their version in the fields this person left alone, this person's in the ones they changed.
          for (const [field, id] of [['caption', 'edit-caption'], ['tags', 'edit-tags'], ['alt', 'edit-alt']]) {
            if (typed[field] !== base[field]) {
              $(id).value = typed[field];
            }
          }
        } catch {
          // The message below still says what happened.
        }
        problem.textContent = 'Someone else changed this photo while you were editing; the photo now shows their version. Your changes are still in the form: save again to apply them.';
      } else {
        problem.textContent = error.message;
      }
      problem.hidden = false;
    }
  }

  async confirmDelete() {
    const confirm = $('confirm-delete');
    confirm.returnValue = '';
    confirm.showModal();
    await new Promise((resolve) => confirm.addEventListener('close', resolve, { once: true }));
    if (confirm.returnValue !== 'delete') {
      $('delete-button').focus();
      return;
    }
    const id = this.current.image_id;
    try {
      await deleteImage(id);
      const at = this.index();
      this.returnFocus = this.app.gallery.items[at + 1]?.image_id || this.app.gallery.items[at - 1]?.image_id || null;
      this.app.gallery.remove(id);
      this.dialog.close();
      this.app.notify('Photo deleted.');
    } catch (error) {
      this.error(error.message);
    }
  }
}
