import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { findFleetFile, loadFleet } from '../config/fleet.js';
import { convertLegacy, isLegacyDocument } from '../config/legacy.js';
import { checkConverted } from '../config/release.js';
import { parseYamlFile } from '../config/yaml-source.js';
import { UserError } from '../errors.js';
import type { CommandResult } from './result.js';

/** `--out` must be a folder (or not exist yet). */
function checkOutFolder(out: string): void {
  let stats;
  try {
    stats = statSync(out);
  } catch {
    return; // created below
  }
  if (!stats.isDirectory()) {
    throw new UserError(`--out ${out} is a file, not a folder`, {
      position: { file: out },
      hint: 'pass a folder (it is created if missing)',
    });
  }
}

export function migrateCommand(done: (result: CommandResult) => void): Command {
  return new Command('migrate')
    .description("turn the seed's old releases file into one release file per service")
    .argument('<files...>', 'old-format files (a top-level `releases:` list)')
    .requiredOption('--out <dir>', 'folder for the new release files')
    .option('--fleet <file>', "fleet file, for each context's environment (default: ./regatta.yaml)")
    .option('--force', 'overwrite existing files')
    .action((files: string[], options: { out: string; fleet?: string; force?: boolean }) => {
      const out = resolve(options.out);
      checkOutFolder(out);
      const fleet = loadFleet(findFleetFile(options.fleet, process.cwd()));
      // Everything is converted and checked (schema, fleet, targets) before the first file is written.
      const converted = files.flatMap((file) => {
        const sources = parseYamlFile(resolve(file));
        if (sources.length === 0) {
          throw new UserError('this file is empty (or only comments)', {
            position: { file: resolve(file), line: 1, col: 1 },
            hint: 'pass an old-format file with a top-level releases: list',
          });
        }
        return sources.flatMap((source) => {
          if (!isLegacyDocument(source.value)) {
            throw new UserError('not an old-format file (no top-level `releases:` list)', {
              position: source.positionOf([]),
              hint: 'regatta migrate reads only the old format; other release files need no migration',
            });
          }
          return convertLegacy(source, fleet);
        });
      });
      for (const release of converted) checkConverted(release, fleet);
      const targets = new Map<string, (typeof converted)[number]>();
      for (const release of converted) {
        const target = join(out, release.fileName);
        const earlier = targets.get(target);
        if (earlier) {
          throw new UserError(`two services would both be written to ${release.fileName}`, {
            position: release.positionOf([]),
            hint: `rename one of them (the other is at ${earlier.positionOf([]).line ?? 1}:${earlier.positionOf([]).col ?? 1})`,
          });
        }
        if (existsSync(target) && !options.force) {
          throw new UserError(`${target} exists`, {
            position: release.positionOf([]),
            hint: 'pass --force to overwrite, or another --out; nothing was written',
          });
        }
        targets.set(target, release);
      }
      const written: string[] = [];
      try {
        mkdirSync(out, { recursive: true });
        for (const [target, release] of targets) {
          writeFileSync(target, `# ${release.comment}\n${stringify(release.document)}`);
          written.push(target);
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'failed';
        throw new UserError(
          `cannot write into ${out} (${code})${written.length > 0 ? `; written before that: ${written.join(', ')}` : '; nothing was written'}`,
          { position: { file: out }, hint: 'check that --out is a writable folder' },
        );
      }
      done({ stdout: written.map((file) => `wrote ${file}`).join('\n') });
    });
}
