// What the tests drive in the page: one Uppy with the S3 plugin, uploading one file the way a web app would,
// and reporting back what Uppy itself said about it.
import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';

/**
 * Uploads `file` (a File, e.g. from an <input type="file">) with Uppy's AwsS3 plugin in single-request mode.
 * `signRequest(request, arg)` answers Uppy's PutObject signing request: `{ url, fields }` makes Uppy send an S3
 * POST policy form (fields first, the file last). Resolves, never rejects, with what Uppy reported.
 */
async function upload(file, signRequest, arg) {
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(AwsS3, {
    shouldUseMultipart: false,
    signRequest: (request) => signRequest(request, arg),
  });

  const report = { succeeded: false, status: null, error: null, serviceCode: null, key: null, location: null, bytesUploaded: 0 };
  uppy.on('upload-progress', (_, progress) => { report.bytesUploaded = progress.bytesUploaded; });
  uppy.on('upload-success', (_, response) => {
    report.succeeded = true;
    report.status = response.status;
    report.key = response.body?.key ?? null;
    report.location = response.uploadURL ?? null;
  });
  uppy.on('upload-error', (_, error) => {
    report.error = error?.message ?? String(error);
    // S3ServiceError carries the HTTP status and S3's code; a request the browser blocked (CORS) has neither.
    report.status = typeof error?.status === 'number' ? error.status : 0;
    report.serviceCode = error?.serviceCode ?? null;
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

window.UppyClient = { upload, version: Uppy.VERSION, awsS3Version: AwsS3.VERSION };
