// What the tests drive in the page: one Uppy with the S3 plugin, uploading one file the way a web app would,
// and reporting back what Uppy itself said about it.
import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';

/**
 * Uploads `file` (a File, e.g. from an <input type="file">) with Uppy's AwsS3 plugin in single-request mode.
 * `signRequest(request, arg, file)` answers Uppy's PutObject signing request: `{ url, fields }` makes Uppy send an S3
 * POST policy form (fields first, the file last). Resolves, never rejects, with what Uppy reported.
 */
async function upload(file, signRequest, arg) {
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(AwsS3, {
    shouldUseMultipart: false,
    signRequest: (request) => signRequest(request, arg, file),
  });

  const report = {
    succeeded: false, status: null, error: null, serviceCode: null, responseBody: null, key: null, location: null, bytesUploaded: 0,
  };
  uppy.on('upload-progress', (_, progress) => { report.bytesUploaded = progress.bytesUploaded; });
  uppy.on('upload-success', (_, response) => {
    report.succeeded = true;
    report.status = response.status;
    report.key = response.body?.key ?? null;
    report.location = response.uploadURL ?? null;
  });
  uppy.on('upload-error', (_, error) => {
    report.error = error?.message ?? String(error);
    // S3ServiceError carries the HTTP status, S3's code and the answer's text; a request the browser blocked (CORS)
    // has none of them.
    report.status = typeof error?.status === 'number' ? error.status : 0;
    report.serviceCode = error?.serviceCode ?? null;
    report.responseBody = typeof error?.body === 'string' ? error.body : null;
  });

  try {
    uppy.addFile({ name: file.name, type: file.type, data: file, source: 'Local' });
    await uppy.upload();
  } catch (error) {
    report.error ??= error?.message ?? String(error);
  } finally {
    uppy.destroy();
  }

  return report;
}

/** The file's SHA-256 as 64 lowercase hexadecimal digits, as POST /uploads takes it. */
async function sha256Hex(blob) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A same-origin JSON request; resolves with the status and the parsed body (null when it is not JSON). */
async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, body: json, text };
}

/**
 * The image service's direct upload, as its web app does it: Uppy's signRequest declares the file to the service
 * (`POST /uploads` on the page's own origin, with the metadata, the file's size and type and, if `withSha256`, its
 * SHA-256 computed here by crypto.subtle) and hands Uppy the form it answers; Uppy posts the file there; once Uppy
 * reports success, the page posts the upload's `complete_url` (unless `complete` is false: then the caller does, with
 * `postJson`). `declare` overrides what is declared (a hostile or buggy client). Resolves, never rejects, with Uppy's
 * report, both service answers and how long each step took.
 */
async function directUpload(file, { metadata = {}, declare = {}, withSha256 = false, complete = true } = {}) {
  const timings = {};
  let created = null;
  const signRequest = async () => {
    const started = performance.now();
    const declaration = { ...metadata, size_bytes: file.size, content_type: file.type };
    if (withSha256) {
      declaration.sha256 = await sha256Hex(file);
      timings.sha256Ms = performance.now() - started;
    }
    Object.assign(declaration, declare);
    const signStarted = performance.now();
    created = await postJson('/uploads', declaration);
    timings.createMs = performance.now() - signStarted;
    if (created.status !== 201) {
      throw new Error(created.body?.detail ?? `POST /uploads answered ${created.status}`);
    }
    return { url: created.body.url, fields: created.body.fields };
  };

  const uploadStarted = performance.now();
  const report = await upload(file, signRequest);
  timings.uploadMs = performance.now() - uploadStarted - (timings.createMs ?? 0) - (timings.sha256Ms ?? 0);
  let completed = null;
  if (report.succeeded && complete) {
    const completeStarted = performance.now();
    completed = await postJson(created.body.complete_url);
    timings.completeMs = performance.now() - completeStarted;
  }

  for (const name of Object.keys(timings)) timings[name] = Math.round(timings[name]);
  return { report, created, completed, timings };
}

window.UppyClient = { upload, directUpload, postJson, sha256Hex, version: Uppy.VERSION, awsS3Version: AwsS3.VERSION };
