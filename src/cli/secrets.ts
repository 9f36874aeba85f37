import { resolve } from 'node:path';
import { Command } from 'commander';
import { mountOf } from '../adapters/vault.js';
import { findFleetFile, loadFleet } from '../config/fleet.js';
import { loadReleases } from '../config/release.js';
import { connectVault, readSecrets, secretRequests } from '../deploy/secrets.js';
import { UserError } from '../errors.js';
import { normalizeVaultPath, secretSourceFor, vaultPolicy } from '../plan/secrets.js';
import { selectTargets } from '../plan/select.js';
import { renderTable } from '../report/table.js';
import { addFleetOptions, loadReleaseFiles, loadSelection, requireEnv, type FleetOptions } from './common.js';
import type { CommandResult } from './result.js';

export function secretsCommand(done: (result: CommandResult) => void): Command {
  const secrets = new Command('secrets').description(
    'Vault secrets of releases: least-privilege policies and checks',
  );

  secrets
    .command('policy')
    .description('print a Vault policy (HCL) reading exactly the paths a release maps')
    .argument('<release-file>')
    .option('--fleet <file>', 'fleet file (default: ./regatta.yaml)')
    .action(async (file: string, options: { fleet?: string }) => {
      const fleet = loadFleet(findFleetFile(options.fleet, process.cwd()));
      const releases = loadReleases([resolve(file)], fleet);
      const connection = await connectVault(fleet, process.env);
      const policies: string[] = [];
      for (const release of releases) {
        const paths = [
          ...new Set(release.secrets.flatMap((s) => s.contexts.map((c) => normalizeVaultPath(c.vaultPath)))),
        ];
        if (paths.length === 0)
          throw new UserError(`release ${release.name} maps no secrets`, { position: release.position });
        const resolved = await Promise.all(
          paths.map(async (path) => {
            const mount = await mountOf(connection, path).catch((error: Error) => {
              throw new UserError(`cannot find the Vault mount of ${path}: ${error.message}`);
            });
            return { mount: mount.mount, version: mount.version, rest: path.slice(mount.mount.length) };
          }),
        );
        policies.push(vaultPolicy(`${release.name}.${release.namespace}`, resolved));
      }
      done({ stdout: policies.join('\n').trimEnd() });
    });

  addFleetOptions(secrets.command('check'))
    .description('secrets × clusters: ✓ when resolvable, ✗ and why not (never a value); exit 1 if any ✗')
    .argument('[releases...]', 'release files or folders')
    .action(async (paths: string[], options: FleetOptions) => {
      const { fleet, selection } = loadSelection(options);
      requireEnv(selection, 'secrets check');
      const targets = selectTargets(fleet, loadReleaseFiles(fleet, paths), selection);
      const clusters = [...new Set(targets.flatMap((t) => t.clusters.map((c) => c.name)))];
      const requests = targets.flatMap(({ release, clusters: releaseClusters }) =>
        secretRequests([
          {
            release,
            clusters: releaseClusters.filter((c) => release.secrets.every((s) => secretSourceFor(s, c.name))),
          },
        ]),
      );
      const outcomes = await readSecrets(await connectVault(fleet, process.env), requests);
      const rows = targets.flatMap(({ release }) =>
        release.secrets.map((mapping) => [
          `${release.name}.${release.namespace}/${mapping.secretId}`,
          ...clusters.map((cluster) => {
            if (!targets.find((t) => t.release === release)?.clusters.some((c) => c.name === cluster))
              return '-';
            if (!secretSourceFor(mapping, cluster)) return '✗ no entry, no default';
            const request = requests.find(
              (r) => r.release === release && r.cluster === cluster && r.secretId === mapping.secretId,
            );
            const outcome = request && outcomes.get(request);
            return outcome?.ok ? '✓' : `✗ ${outcome ? outcome.reason : 'not checked'}`;
          }),
        ]),
      );
      const failed = rows.some((row) => row.some((cell) => cell.startsWith('✗')));
      done({ stdout: renderTable(['SECRET', ...clusters], rows), exitCode: failed ? 1 : 0 });
    });

  return secrets;
}
