// The service's API as the app uses it. Every failure becomes an ApiError carrying the problem's `detail`, which is
// written for people, so the app can show it as it is.

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `The service answered ${status}.`);
    this.status = status;
    this.title = title;
  }
}

let tokenSource = () => null;

/** Where the bearer token comes from (Jwt mode); a function, so a sign-in or sign-out takes effect at once. */
export function useToken(source) {
  tokenSource = source;
}

function authorize(headers = {}) {
  const token = tokenSource();
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

/** The error for an answer of `status` whose body, read as JSON, is `body` (null when it was not JSON): the problem's
 * own words, or `otherwise` when it has none. */
function problemFrom(status, body, otherwise) {
  if (status === 413 && !body?.detail) {
    return new ApiError(413, 'Too large', 'This file is larger than the service accepts.');
  }
  return new ApiError(status, body?.title, body?.detail || otherwise);
}

async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: storage (S3 answers XML) or a proxy; the status is all there is.
  }
  return problemFrom(response.status, body);
}

async function call(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { ...options, headers: authorize(options.headers) });
  } catch {
    throw new ApiError(0, 'Offline', 'The service cannot be reached. Check your connection and try again.');
  }
  if (!response.ok) {
    throw await problemOf(response);
  }
  return response;
}

export async function getJson(url) {
  return (await call(url)).json();
}

/** One page of the list, and the URL of the next one (from the `Link` header), or null at the end. */
export async function listImages(url) {
  const response = await call(url);
  const next = /<([^>]+)>\s*;\s*rel="next"/.exec(response.headers.get('Link') || '');
  return { items: await response.json(), next: next ? next[1] : null };
}

/** The image with its renditions, and its version as an ETag for If-Match. */
export async function getImage(id) {
  const response = await call(`/images/${encodeURIComponent(id)}`);
  return { image: await response.json(), etag: response.headers.get('ETag') };
}

export async function editImage(id, etag, patch) {
  const response = await call(`/images/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json', ...(etag ? { 'If-Match': etag } : {}) },
    body: JSON.stringify(patch),
  });
  return { image: await response.json(), etag: response.headers.get('ETag') };
}

export async function deleteImage(id) {
  await call(`/images/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

// Uploads go through XMLHttpRequest: fetch reports no upload progress.
function send(method, url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    for (const [name, value] of Object.entries(headers)) {
      request.setRequestHeader(name, value);
    }
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) {
        onProgress(event.loaded, event.total);
      }
    });
    request.addEventListener('load', () => {
      let json = null;
      try {
        json = request.responseText ? JSON.parse(request.responseText) : null;
      } catch {
        // Storage's answers are XML or empty.
      }
      if (request.status >= 200 && request.status < 300) {
        resolve(json);
      } else {
        reject(problemFrom(request.status, json, storageError(request.responseText, request.status)));
      }
    });
    request.addEventListener('error', () =>
      reject(new ApiError(0, 'Offline', 'The upload was cut off. Check your connection and try again.')));
    request.send(body);
  });
}

function storageError(text, status) {
  const message = /<Message>([^<]*)<\/Message>/.exec(text || '');
  return message ? `Storage refused the file: ${message[1]}` : `The upload failed (${status}).`;
}

async function sha256Hex(file) {
  if (!globalThis.crypto?.subtle) {
    return null; // Not a secure context: storage then checks size and type only, and the service checks the rest.
  }
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// The formats the service takes, by their first bytes, for a file the browser could not type (no or an odd
// extension): the direct-upload flow must declare it.
async function sniffType(file) {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const ascii = (from, to) => String.fromCharCode(...head.slice(from, to));
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    return 'image/jpeg';
  }
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') {
    return 'image/png';
  }
  if (ascii(0, 4) === 'GIF8') {
    return 'image/gif';
  }
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') {
    return 'image/webp';
  }
  if (ascii(4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(8, 12))) {
    return 'image/avif';
  }
  return file.type || 'application/octet-stream';
}

/**
 * Uploads one file with its metadata and answers the new image. Files up to `limits.max_upload_bytes` go in one
 * POST /images; larger ones (up to `max_direct_upload_bytes`) straight to storage: POST /uploads, the signed form,
 * then complete. `attempt` is kept by the caller across retries of the same file, so that a retry is the same upload:
 * the same Idempotency-Key, and a direct upload that was started (or whose file arrived) is carried on, not begun
 * again. `onProgress(sent, total)` reports the file's bytes as they leave.
 */
export async function uploadImage(file, metadata, limits, attempt, onProgress) {
  const described = JSON.stringify(metadata);
  if (attempt.keyFor !== described) {
    // A retry with other metadata is another upload: a key names one body.
    attempt.key = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
    attempt.keyFor = described;
  }
  if (file.size <= limits.max_upload_bytes) {
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('file', file, file.name);
    return send('POST', '/images', form, authorize({ 'Idempotency-Key': attempt.key }), onProgress);
  }
  if (file.size > limits.max_direct_upload_bytes) {
    const mib = (limits.max_direct_upload_bytes / 1048576).toFixed(0);
    throw new ApiError(413, 'Too large', `This file is ${(file.size / 1048576).toFixed(1)} MiB; the service takes at most ${mib} MiB.`);
  }
  if (attempt.started && !attempt.posted) {
    // The last try may have stored the file and lost only storage's answer; then this upload is the one to finish
    // (storage's notification or the sweep would finish it anyway). Otherwise its form is of no more use once it is
    // about to expire, or once the caption or tags changed.
    const lifetime = Date.parse(attempt.started.expires_at) - Date.now();
    const margin = Math.min(60_000, Math.max(5_000, lifetime / 4));
    if (lifetime <= margin || attempt.described !== described) {
      const finished = await completed(attempt.started);
      if (finished) {
        return finished;
      }
      attempt.started = null;
    }
  }
  if (!attempt.started) {
    const type = limits.accepted_content_types.includes(file.type) ? file.type : await sniffType(file);
    const sha256 = await sha256Hex(file);
    attempt.started = await (await call('/uploads', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...metadata, size_bytes: file.size, content_type: type, ...(sha256 ? { sha256 } : {}) }),
    })).json();
    attempt.posted = false;
    attempt.described = described;
  }
  const started = attempt.started;
  try {
    if (!attempt.posted) {
      const form = new FormData();
      for (const [name, value] of Object.entries(started.fields)) {
        form.append(name, value);
      }
      form.append('file', file, file.name);
      await send(started.method || 'POST', started.url, form, {}, onProgress);
      attempt.posted = true;
    } else {
      onProgress(file.size, file.size);
    }
    return await complete(started);
  } catch (error) {
    // A refusal (storage's, or complete's other than "not arrived yet") ends this upload: a retry starts a new one.
    // A lost connection keeps it, to be carried on.
    if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 409) {
      attempt.started = null;
      attempt.posted = false;
    }
    throw error;
  }
}

function complete(started) {
  return call(started.complete_url, { method: 'POST' }).then((response) => response.json());
}

/** Completes a started upload whose file may have arrived: the image, or null when it has not arrived. */
async function completed(started) {
  try {
    return await complete(started);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
      return null;
    }
    throw error;
  }
}
