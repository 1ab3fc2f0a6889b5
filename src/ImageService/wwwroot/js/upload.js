// The upload dialog: pick or drop photos, see them, give each a caption, tags and a description, and watch each
// one's bytes leave. Files over POST /images' limit go straight to storage (the direct-upload flow). A refusal shows
// the service's own words next to the file it concerns; the others carry on.

import { uploadImage } from './api.js';
import { $, el, formatBytes } from './dom.js';


export class UploadDialog {
  constructor(app) {
    this.app = app;
    this.dialog = $('upload-dialog');
    this.queue = $('queue');
    this.start = $('start-upload');
    this.entries = [];
    this.busy = false;
    // Ids only ever go up, so a label never points at another photo's field after one was removed.
    this.counter = 0;

    const input = $('file-input');
    input.accept = app.limits.accepted_content_types.join(',');
    input.addEventListener('change', () => {
      this.add(input.files);
      input.value = '';
    });
    const drop = $('drop');
    drop.addEventListener('dragover', (event) => {
      event.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (event) => {
      event.preventDefault();
      drop.classList.remove('over');
      this.add(event.dataTransfer.files);
    });
    this.start.addEventListener('click', () => this.uploadAll());
    this.dialog.addEventListener('close', () => {
      // What is being sent, or waits its turn, stays (and shows when the dialog opens again); the rest is forgotten.
      const keep = (e) => e.state === 'sending' || e.state === 'queued';
      for (const entry of this.entries.filter((e) => !keep(e))) {
        this.forget(entry);
      }
      this.entries = this.entries.filter(keep);
      this.refresh();
      $('open-upload').focus();
    });

    const limits = app.limits;
    $('upload-hint').textContent = `JPEG, PNG, WebP, GIF or AVIF, up to ${formatBytes(Math.max(limits.max_upload_bytes, limits.max_direct_upload_bytes))} each.`;
  }

  open() {
    const who = this.app.identity.user;
    $('upload-who').textContent = who ? `Posting as ${this.app.identity.label}.` : '';
    this.refresh();
    this.dialog.showModal();
  }

  add(files) {
    for (const file of files) {
      this.counter += 1;
      const number = this.counter;
      // The upload's identity across retries: the same Idempotency-Key, and the direct upload already started.
      const entry = { file, state: 'ready', preview: URL.createObjectURL(file), attempt: {} };
      const id = (name) => `upload-${number}-${name}`;
      entry.caption = el('textarea', { id: id('caption'), rows: 2, maxLength: this.app.limits.max_caption_length });
      entry.tags = el('input', { id: id('tags'), autocomplete: 'off' });
      entry.alt = el('textarea', { id: id('alt'), rows: 2, maxLength: this.app.limits.max_alt_text_length });
      entry.progress = el('progress', { max: file.size, value: 0, 'aria-label': `Upload progress of ${file.name}` });
      entry.message = el('p', { className: 'message', role: 'status' });
      entry.remove = el('button', {
        type: 'button',
        className: 'icon',
        'aria-label': `Remove ${file.name}`,
        onclick: () => this.discard(entry),
      }, '×');
      entry.node = el('li', { className: 'entry' },
        el('img', { className: 'preview', src: entry.preview, alt: `Preview of ${file.name}` }),
        el('div', { className: 'fields' },
          el('p', { className: 'file' }, el('strong', {}, file.name), ` · ${formatBytes(file.size)}`, entry.remove),
          el('label', { htmlFor: id('caption') }, 'Caption'), entry.caption,
          el('label', { htmlFor: id('tags') }, 'Tags ', el('span', { className: 'hint' }, '(separated by spaces or commas)')), entry.tags,
          el('label', { htmlFor: id('alt') }, 'Description for people who cannot see it'), entry.alt,
          entry.progress, entry.message));
      this.entries.push(entry);
      this.queue.append(entry.node);
    }
    this.refresh();
  }

  discard(entry) {
    this.forget(entry);
    this.entries = this.entries.filter((e) => e !== entry);
    this.refresh();
  }

  forget(entry) {
    entry.state = 'discarded';
    URL.revokeObjectURL(entry.preview);
    entry.node.remove();
  }

  refresh() {
    const waiting = this.entries.filter((e) => e.state === 'ready' || e.state === 'failed').length;
    this.start.disabled = this.busy || waiting === 0;
    this.start.textContent = waiting > 1 ? `Upload ${waiting} photos` : 'Upload';
  }

  async uploadAll() {
    if (!this.app.identity.user) {
      this.app.askForIdentity();
      return;
    }
    this.busy = true;
    this.refresh();
    // Two at a time: enough to keep the line busy, few enough that each shows steady progress.
    const pending = this.entries.filter((e) => e.state === 'ready' || e.state === 'failed');
    for (const entry of pending) {
      entry.state = 'queued';
      entry.remove.disabled = true;
      entry.message.textContent = 'Waiting…';
    }
    const workers = [0, 1].map(async () => {
      while (pending.length > 0) {
        const entry = pending.shift();
        if (entry.state === 'queued') {
          await this.send(entry);
        }
      }
    });
    await Promise.all(workers);
    this.busy = false;
    this.refresh();
  }

  async send(entry) {
    entry.state = 'sending';
    entry.node.classList.remove('failed');
    entry.remove.disabled = true;
    entry.message.textContent = 'Uploading…';
    const metadata = {
      user_id: this.app.identity.user,
      caption: entry.caption.value,
      tags: entry.tags.value.split(/[\s,]+/).filter(Boolean),
      alt_text: entry.alt.value,
    };
    try {
      const image = await uploadImage(entry.file, metadata, this.app.limits, entry.attempt, (sent, total) => {
        entry.progress.max = total;
        entry.progress.value = sent;
        entry.message.textContent = sent < total ? `Uploading… ${Math.floor((sent / total) * 100)} %` : 'Processing…';
      });
      entry.state = 'done';
      entry.progress.value = entry.progress.max;
      entry.message.textContent = 'Uploaded.';
      entry.node.classList.add('done');
      this.app.uploaded(image);
    } catch (error) {
      entry.state = 'failed';
      entry.remove.disabled = false;
      entry.progress.value = 0;
      // Once storage has the file, its caption, tags and description are those it was started with.
      const fixed = Boolean(entry.attempt.posted);
      for (const field of [entry.caption, entry.tags, entry.alt]) {
        field.readOnly = fixed;
      }
      entry.node.classList.add('failed');
      entry.message.textContent = fixed
        ? `${error.message} The file is already stored, so its caption and tags stay as sent; change them in the photo's view once it is uploaded.`
        : error.message;
      entry.message.setAttribute('role', 'alert');
    }
  }
}
