// Building elements. Every piece of text becomes a text node: nothing a user wrote is ever parsed as HTML.

/** The page's element with this id. */
export const $ = (id) => document.getElementById(id);

/** `el('a', { href: '/', className: 'x' }, 'text', child)`: properties set as properties, `dataset` and `on*` handled. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (name.startsWith('on')) {
      node.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name.startsWith('aria-') || name === 'role') {
      node.setAttribute(name, value);
    } else {
      node[name] = value;
    }
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// The service's hashtag rule: '#' then letters, marks, digits or '_', not right after one of those or '&'.
const HASHTAG = /(?<![\p{L}\p{M}\p{Nd}_&])#([\p{L}\p{M}\p{Nd}_]+)/gu;

/** A caption as text with each hashtag a link to that tag's photos. */
export function captionNodes(caption, linkForTag) {
  const nodes = [];
  let last = 0;
  for (const match of caption.matchAll(HASHTAG)) {
    nodes.push(caption.slice(last, match.index));
    nodes.push(linkForTag(match[1].toLowerCase(), match[0]));
    last = match.index + match[0].length;
  }
  nodes.push(caption.slice(last));
  return nodes.filter((n) => n !== '');
}

export function formatBytes(bytes) {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
