import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { findFleetFile, loadFleet } from '../config/fleet.js';
import { convertLegacy, isLegacyDocument } from '../config/legacy.js';
import { parseYamlFile } from '../config/yaml-source.js';
import { UserError } from '../errors.js';
import type { CommandResult } from './result.js';

export function migrateCommand(done: (result: CommandResult) => void): Command {
  return new Command('migrate')
    .description("turn the seed's old releases file into one release file per service")
    .argument('<files...>', 'old-format files (a top-level `releases:` list)')
    .requiredOption('--out <dir>', 'folder for the new release files')
    .option('--fleet <file>', "fleet file, for each context's environment (default: ./regatta.yaml)")
    .option('--force', 'overwrite existing files')
    .action((files: string[], options: { out: string; fleet?: string; force?: boolean }) => {
      const fleet = loadFleet(findFleetFile(options.fleet, process.cwd()));
      const converted = files.flatMap((file) =>
        parseYamlFile(resolve(file)).flatMap((source) => {
          if (!isLegacyDocument(source.value)) {
            throw new UserError('not an old-format file (no top-level `releases:` list)', {
              position: source.positionOf([]),
            });
          }
          return convertLegacy(source, fleet);
        }),
      );
      const out = resolve(options.out);
      mkdirSync(out, { recursive: true });
      const written: string[] = [];
      for (const release of converted) {
        const target = join(out, release.fileName);
        if (existsSync(target) && !options.force) {
          throw new UserError(`${target} exists`, { hint: 'pass --force to overwrite, or another --out' });
        }
        writeFileSync(target, `# ${release.comment}\n${stringify(release.document)}`);
        written.push(target);
      }
      done({ stdout: written.map((file) => `wrote ${file}`).join('\n') });
    });
}
