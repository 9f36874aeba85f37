// After tsc and the client-node bundle: the command line as a few files in dist/cli/, what
// bin/regatta.js runs. Node resolving, reading and translating the ~400 modules of Regatta and
// its dependencies one by one was about 0.3 s of every command's start: a no-op redeploy's first
// helm started 0.7-0.9 s after the process, and starts 0.45-0.5 s after it from this bundle
// (split at each command group's lazy import). dist/src stays as tsc wrote it, for the tests and
// the programs run on their own (the post-renderer, the sandbox's git server).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Two folders below the root, like dist/src/paths.js: `packageRoot` is found from import.meta.url.
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir,
  chunkNames: '[name]-[hash]',
  // CommonJS packages inside (ws, node-fetch) require optional peers in a try: give them a require.
  banner: {
    js: "import { createRequire as regattaCreateRequire } from 'node:module'; const require = regattaCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
console.log('the command line bundled into dist/cli/');
