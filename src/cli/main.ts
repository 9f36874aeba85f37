import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { terminateChildren } from '../adapters/process.js';
import { stopAtOnce } from '../adapters/shutdown.js';
import { Interrupts } from '../interrupts.js';
import { renderError } from '../report/errors.js';
import { redact } from '../report/redact.js';
import type { CommandResult } from './result.js';

type Done = (result: CommandResult) => void;

/**
 * Each command module, imported only when one of its commands runs: loading every module cost
 * every command (`--version` too) the Kubernetes client's ~0.4 s, and a deploy the sandbox's,
 * charts' and migration's modules. In the order `--help` lists them.
 */
export const COMMAND_MODULES = {
  sandbox: async () => [(await import('./sandbox.js')).sandboxCommand],
  deploy: async () => {
    const { deployCommands } = await import('./deploy.js');
    return [(done: Done, interrupts: Interrupts) => deployCommands(done, interrupts)];
  },
  migrate: async () => [(await import('./migrate.js')).migrateCommand],
  secrets: async () => [(await import('./secrets.js')).secretsCommand],
  chart: async () => [(await import('./chart.js')).chartCommand],
  schema: async () => [(await import('./schema.js')).schemaCommand],
  gitops: async () => [(await import('./gitops.js')).gitopsCommand],
} satisfies Record<string, () => Promise<((done: Done, interrupts: Interrupts) => Command | Command[])[]>>;

/** Which module defines each command; any other first argument (help, a typo) loads them all. */
export const MODULE_OF: Record<string, keyof typeof COMMAND_MODULES> = {
  sandbox: 'sandbox',
  plan: 'deploy',
  diff: 'deploy',
  deploy: 'deploy',
  rollback: 'deploy',
  recover: 'deploy',
  abort: 'deploy',
  status: 'deploy',
  history: 'deploy',
  migrate: 'migrate',
  secrets: 'secrets',
  chart: 'chart',
  schema: 'schema',
  gitops: 'gitops',
};

/** The command modules the arguments need: none for `--version`, one for a command, else all. */
export function modulesFor(argv: readonly string[]): (keyof typeof COMMAND_MODULES)[] {
  const [first] = argv;
  if (first === '--version' || first === '-V') return [];
  const module = first === undefined ? undefined : MODULE_OF[first];
  return module ? [module] : (Object.keys(COMMAND_MODULES) as (keyof typeof COMMAND_MODULES)[]);
}

/** Commander must throw (not exit, not print) so errors are rendered in one place. */
function quietOnError(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) quietOnError(sub);
}

export async function buildProgram(
  argv: readonly string[],
  done: Done,
  interrupts: Interrupts,
): Promise<Command> {
  const program = new Command('regatta')
    .description('Ship Helm charts to many Kubernetes clusters at once, and take them back together.')
    .version('0.1.0');
  const modules = await Promise.all(modulesFor(argv).map((name) => COMMAND_MODULES[name]()));
  for (const make of modules.flat())
    for (const command of [make(done, interrupts)].flat()) program.addCommand(command);
  quietOnError(program);
  return program;
}

/**
 * A first Ctrl-C / SIGTERM during a command that can wind down (a deploy) is handed to it: it
 * stops new work and puts back what it changed. Otherwise — or on a second signal — stop the
 * programs we started and every API request at once, say where things were left, and exit.
 */
function handleSignals(interrupts: Interrupts): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupts.receive(signal)) {
        process.stderr.write(
          `${signal}: stopping; every cluster this run changed goes back to its last good revision (${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to stop at once)\n`,
        );
        return;
      }
      terminateChildren();
      stopAtOnce.abort(new Error('stopped'));
      const state = interrupts.state();
      process.stderr.write(
        `interrupted (${signal})${state ? `: stopped at once; where each target was left:\n${redact(state)}\nrun \`regatta recover RELEASE --env ENV\` (or deploy again) to bring them back to last good` : ''}\n`,
      );
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * The process's command is over: a request still in flight ends now instead of holding the exit
 * for its timeout (a lock's heartbeat renewal to a cluster that stopped answering held a failed
 * deploy 10 s past its last line). For bin/regatta.js only: main() runs many times in tests.
 */
export function endRequestsInFlight(): void {
  stopAtOnce.abort(new Error('the command is over'));
}

/** Runs the CLI and returns the exit code; the only place that knows about process exit. */
export async function main(argv: readonly string[]): Promise<number> {
  const interrupts = new Interrupts();
  handleSignals(interrupts);
  let result: CommandResult = {};
  const program = await buildProgram(argv, (r) => (result = r), interrupts);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      const { text } = renderError(new UserError(error.message.replace(/^error: /, '')));
      process.stderr.write(`${redact(text)}\n`);
      return 2;
    }
    // A failed deploy still prints its table of what happened in each cluster.
    if (result.stdout !== undefined) process.stdout.write(`${redact(result.stdout)}\n`);
    const { text, exitCode } = renderError(error);
    process.stderr.write(`${redact(text)}\n`);
    return exitCode;
  }
  if (result.stdout !== undefined) process.stdout.write(`${redact(result.stdout)}\n`);
  return result.exitCode ?? 0;
}
