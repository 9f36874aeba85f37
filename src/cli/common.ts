import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { detectHelm, type HelmBinary } from '../adapters/helm.js';
import { credentialVariables, findFleetFile, loadFleet } from '../config/fleet.js';
import { expandReleasePaths, loadReleases } from '../config/release.js';
import { UserError } from '../errors.js';
import type { Fleet } from '../model/fleet.js';
import type { Release } from '../model/release.js';
import { checkSelection, parseLabelSelectors, type Selection } from '../plan/select.js';

export interface FleetOptions {
  fleet?: string;
  env?: string;
  cluster: string[];
  selector: string[];
  output: 'text' | 'json';
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addFleetOptions(command: Command): Command {
  return command
    .option('--fleet <file>', 'fleet file (default: ./regatta.yaml)')
    .option('--env <env>', 'environment')
    .option('--cluster <name>', 'only this cluster (repeatable)', collect, [])
    .option('-l, --selector <key=value>', 'only clusters with this label (repeatable)', collect, [])
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'));
}

export function loadSelection(options: FleetOptions): { fleet: Fleet; selection: Selection } {
  const fleet = loadFleet(findFleetFile(options.fleet, process.cwd()));
  const selection = {
    env: options.env,
    clusters: options.cluster,
    labels: parseLabelSelectors(options.selector),
  };
  checkSelection(fleet, selection);
  return { fleet, selection };
}

/** Release files from the arguments, or the `releases/` folder beside the fleet file. */
export function loadReleaseFiles(fleet: Fleet, paths: readonly string[]): Release[] {
  let inputs = [...paths];
  if (inputs.length === 0) {
    const folder = join(dirname(fleet.file), 'releases');
    if (!existsSync(folder))
      throw new UserError('no release files given', { hint: 'pass release files or folders as arguments' });
    inputs = [folder];
  }
  const files = expandReleasePaths(inputs, process.cwd());
  if (files.length === 0) {
    throw new UserError(`no release files in ${inputs.join(', ')}`, {
      position: { file: resolve(process.cwd(), inputs[0] ?? '.') },
      hint: 'add *.yaml release files there, or pass them as arguments',
    });
  }
  return loadReleases(files, fleet);
}

/** The helm binary to run, without the credentials the fleet file names (when given) in its environment. */
export function helmBinary(fleet?: Fleet): Promise<HelmBinary> {
  return detectHelm(process.env.REGATTA_HELM || 'helm', process.env, fleet ? credentialVariables(fleet) : []);
}

export function requireEnv(selection: Selection, command: string): string {
  if (!selection.env) throw new UserError(`${command} needs --env`, { hint: `pass --env ENVIRONMENT` });
  return selection.env;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** A duration flag (`300`, `90s`, `5m`, `1m30s`, `1h`) in seconds; anything else is the user's to fix. */
export function parseDuration(flag: string, value: string, options: { allowZero?: boolean } = {}): number {
  const parts = /^\d+$/.test(value) ? [[value, value, 's']] : [...value.matchAll(/(\d+)([smh])/g)];
  const whole = parts.map((p) => p[0]).join('');
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
  if (
    parts.length === 0 ||
    (whole !== value && !/^\d+$/.test(value)) ||
    (!options.allowZero && seconds === 0)
  )
    throw new UserError(`${flag} ${value}: not a duration`, {
      hint: `give seconds or units, like ${flag} 300, 90s, 5m or 1m30s${options.allowZero ? '' : ' (more than 0)'}`,
    });
  return seconds;
}

/** A count flag: a whole number from 1 up. */
export function parsePositiveInteger(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
    throw new UserError(`${flag} ${value}: not a whole number of at least 1`, {
      hint: `for example ${flag} 10`,
    });
  return Number(value);
}
