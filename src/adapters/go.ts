import { run } from './process.js';

export interface GoBuildOptions {
  /** Folder of the wrapper module (go.mod, go.sum). */
  moduleDir: string;
  pkg: string;
  output: string;
  ldflags: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Packages compiled so far (not served from Go's build cache) out of the total. */
  onProgress?: (compiled: number, total: number) => void;
}

function goEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-mod=mod',
    // These modules are not in sum.golang.org (OpenBao's kms wrappers, ChartMuseum under its
    // GitHub path, Flux's controllers); go.sum in the wrapper module pins their hashes instead.
    GONOSUMDB: ['github.com/openbao/*', 'github.com/helm/chartmuseum', 'github.com/fluxcd', env.GONOSUMDB]
      .filter(Boolean)
      .join(','),
  };
}

export async function goVersion(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const result = await run('go', ['env', 'GOVERSION'], { env: goEnv(env) });
    return result.stdout.trim();
  } catch {
    return undefined;
  }
}

/** `go build` of one main package, reporting how many packages it compiled. */
export async function goBuild(options: GoBuildOptions): Promise<void> {
  const env = goEnv(options.env);
  const listed = await run('go', ['list', '-deps', options.pkg], { cwd: options.moduleDir, env });
  const total = listed.stdout.split('\n').filter(Boolean).length;
  let compiled = 0;
  let pending = '';
  const args = ['build', '-v', '-o', options.output];
  if (options.ldflags.length > 0) args.push(`-ldflags=${options.ldflags.join(' ')}`);
  args.push(options.pkg);
  await run('go', args, {
    cwd: options.moduleDir,
    env,
    onStderr: (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      compiled += lines.filter(Boolean).length;
      options.onProgress?.(Math.min(compiled, total), total);
    },
  });
}

/**
 * The source folder of a module the wrapper module requires (at the version its go.mod pins),
 * downloading it into Go's module cache if needed: where files a build leaves out (CRDs) are read.
 */
export async function moduleSourceDir(
  moduleDir: string,
  module: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const result = await run('go', ['mod', 'download', '-json', module], { cwd: moduleDir, env: goEnv(env) });
  const info = JSON.parse(result.stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? 'no source folder'}`);
  return info.Dir;
}
