// After tsc: @kubernetes/client-node as one file, and every compiled import of it pointed there.
// The package is about 2,800 modules (every API and model, which its serializer imports), and
// loading them one by one was 0.6 s of every Regatta command; as one bundle it is about 0.25 s.
// Its own dependencies stay packages of their own (external), found in node_modules as before.
// Everything in dist/ (src, test, bench) is pointed at the same bundle: one copy of its classes,
// so `instanceof k8s.ApiException` holds across them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const bundle = join(dist, 'vendor', 'client-node.js');

await build({
  entryPoints: [join(root, 'node_modules', '@kubernetes', 'client-node', 'dist', 'index.js')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: bundle,
  logLevel: 'warning',
});

const SPECIFIER = /(from\s*|import\(\s*)(['"])@kubernetes\/client-node\2/g;
// Any other use of the package (a bare import, a subpath) would load a second copy of it.
const ANY_USE = /(['"])@kubernetes\/client-node[/'"]/;
let pointed = 0;
const missed = [];
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const file = join(entry.parentPath ?? entry.path, entry.name);
  if (file === bundle) continue;
  const text = readFileSync(file, 'utf8');
  if (!ANY_USE.test(text)) continue;
  let path = relative(dirname(file), bundle);
  if (!path.startsWith('.')) path = `./${path}`;
  const pointedAt = text.replace(SPECIFIER, (_, lead, quote) => `${lead}${quote}${path}${quote}`);
  if (ANY_USE.test(pointedAt)) missed.push(relative(root, file));
  if (pointedAt === text) continue;
  writeFileSync(file, pointedAt);
  pointed++;
}
if (missed.length > 0) {
  console.error(
    `import @kubernetes/client-node as \`from '@kubernetes/client-node'\` only: ${missed.join(', ')}`,
  );
  process.exit(1);
}
console.log(`@kubernetes/client-node bundled into dist/vendor/client-node.js; ${pointed} files point at it`);
