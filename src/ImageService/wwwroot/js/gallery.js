// The grid: square tiles, newest first, one page at a time as the person scrolls (the list's Link header). Each tile
// keeps its box from the start and shows the image's dominant colour and ThumbHash until the thumbnail has loaded.

import { listImages, ApiError } from './api.js';
import { el } from './dom.js';
import { placeholderDataUrl } from './thumbhash.js';

const PAGE_SIZE = 30;
// Thumbnails of the first rows load at once; the rest when they come near the screen.
const EAGER_TILES = 12;

export function altTextOf(image) {
  return image.alt_text || image.caption || `Photo by ${image.user_id}`;
}

/** Paints what is known of an image before its pixels: its colour and its ThumbHash. */
export function paintPlaceholder(node, image) {
  if (image.dominant_color) {
    node.style.backgroundColor = image.dominant_color;
  }
  if (image.placeholder) {
    try {
      const url = placeholderDataUrl(image.placeholder);
      if (url) {
        node.style.backgroundImage = `url("${url}")`;
      }
    } catch {
      // A placeholder this app cannot read leaves the colour alone.
    }
  }
}

export class Gallery {
  constructor(app, grid, status, more) {
    this.app = app;
    this.grid = grid;
    this.status = status;
    this.items = [];
    this.next = null;
    this.loading = null;
    this.generation = 0;
    this.firstThumbnail = false;
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        this.loadMore();
      }
    }, { rootMargin: '800px 0px' });
    this.observer.observe(more);
  }

  /** The first page's address for these filters. */
  static firstPage(filters) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filters.user_id) {
      query.set('user_id', filters.user_id);
    }
    if (filters.tag) {
      query.set('tag', filters.tag);
    }
    return `/images?${query}`;
  }

  /** Starts over with these filters; `early` is the first page already asked for, as { url, page: Promise }. */
  async show(filters, early = null) {
    this.generation += 1;
    this.items = [];
    this.grid.replaceChildren();
    this.next = Gallery.firstPage(filters);
    this.loading = null;
    await this.loadMore(early?.url === this.next ? early.page : null);
  }

  async loadMore(early = null) {
    if (this.loading || !this.next) {
      return this.loading;
    }
    const generation = this.generation;
    const url = this.next;
    this.status.textContent = 'Loading…';
    this.loading = (async () => {
      try {
        const page = await (early || listImages(url));
        if (generation !== this.generation) {
          return;
        }
        this.next = page.next;
        for (const image of page.items) {
          if (!this.items.some((i) => i.image_id === image.image_id)) {
            this.items.push(image);
            this.grid.append(this.tile(image));
          }
        }
        this.status.textContent = this.items.length === 0
          ? this.app.emptyText()
          : this.next ? '' : `${this.items.length} ${this.items.length === 1 ? 'photo' : 'photos'}`;
      } catch (error) {
        if (generation === this.generation) {
          this.status.textContent = error instanceof ApiError ? error.message : 'The photos could not be loaded.';
        }
      } finally {
        if (generation === this.generation) {
          this.loading = null;
        }
      }
    })();
    await this.loading;
    // A short page may leave the end of the grid on screen: keep going until it is not, or nothing is left.
    if (generation === this.generation && this.next && this.grid.getBoundingClientRect().bottom < innerHeight + 800) {
      await this.loadMore();
    }
  }

  tile(image) {
    const index = this.grid.children.length;
    const picture = el('img', {
      alt: altTextOf(image),
      width: 320,
      height: 320,
      decoding: 'async',
      loading: index < EAGER_TILES ? 'eager' : 'lazy',
    });
    picture.addEventListener('load', () => {
      picture.classList.add('loaded');
      if (!this.firstThumbnail) {
        this.firstThumbnail = true;
        performance.mark('first-thumbnail');
      }
    }, { once: true });
    picture.src = image.thumbnail_url;
    const frame = el('button', {
      type: 'button',
      className: 'frame',
      'aria-label': `Open the photo by ${image.user_id}${image.caption ? `: ${image.caption.slice(0, 80)}` : ''}`,
      onclick: () => this.app.open(image.image_id),
    }, picture);
    paintPlaceholder(frame, image);
    const meta = el('p', { className: 'meta' },
      this.app.userLink(image.user_id),
      image.tags.slice(0, 3).map((tag) => [' ', this.app.tagLink(tag)]));
    return el('li', { className: 'tile', dataset: { id: image.image_id } }, frame, meta);
  }

  tileOf(id) {
    return this.grid.querySelector(`li[data-id="${CSS.escape(id)}"]`);
  }

  /** A new image at the top, when it belongs to what is shown. */
  prepend(image, filters) {
    if ((filters.user_id && image.user_id !== filters.user_id) || (filters.tag && !image.tags.includes(filters.tag))) {
      return;
    }
    this.items.unshift(image);
    this.grid.prepend(this.tile(image));
    this.status.textContent = '';
  }

  /** An edited image: its tile redrawn, or gone when it no longer belongs to what is shown. */
  replace(image, filters) {
    const at = this.items.findIndex((i) => i.image_id === image.image_id);
    const tile = this.tileOf(image.image_id);
    if (at < 0 || !tile) {
      return;
    }
    if (filters.tag && !image.tags.includes(filters.tag)) {
      this.remove(image.image_id);
      return;
    }
    this.items[at] = { ...this.items[at], ...image };
    tile.replaceWith(this.tile(this.items[at]));
  }

  remove(id) {
    this.items = this.items.filter((i) => i.image_id !== id);
    this.tileOf(id)?.remove();
    if (this.items.length === 0 && !this.next) {
      this.status.textContent = this.app.emptyText();
    }
  }
}
