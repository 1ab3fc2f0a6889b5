// Bundles src/uppy-client.js and the Uppy packages it imports into dist/uppy-client.js, one classic script
// that sets window.UppyClient. Pinned esbuild, no minification, no timestamps: the same input gives the same bytes.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('./src/uppy-client.js', import.meta.url).pathname],
  outfile: new URL('./dist/uppy-client.js', import.meta.url).pathname,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  legalComments: 'none',
  logLevel: 'warning',
});
