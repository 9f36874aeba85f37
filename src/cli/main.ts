import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { terminateChildren } from '../adapters/process.js';
import { abortKubeRequests } from '../adapters/kube.js';
import { Interrupts } from '../interrupts.js';
import { renderError } from '../report/errors.js';
import { redact } from '../report/redact.js';
import type { CommandResult } from './result.js';
import { deployCommands } from './deploy.js';
import { migrateCommand } from './migrate.js';
import { schemaCommand } from './schema.js';
import { secretsCommand } from './secrets.js';
import { chartCommand } from './chart.js';
import { sandboxCommand } from './sandbox.js';
import { gitopsCommand } from './gitops.js';

/** Commander must throw (not exit, not print) so errors are rendered in one place. */
function quietOnError(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) quietOnError(sub);
}

function buildProgram(done: (result: CommandResult) => void, interrupts: Interrupts): Command {
  const program = new Command('regatta')
    .description('Ship Helm charts to many Kubernetes clusters at once, and take them back together.')
    .version('0.1.0');
  program.addCommand(sandboxCommand(done));
  for (const command of deployCommands(done, interrupts)) program.addCommand(command);
  program.addCommand(migrateCommand(done));
  program.addCommand(secretsCommand(done));
  program.addCommand(chartCommand(done));
  program.addCommand(schemaCommand(done));
  program.addCommand(gitopsCommand(done));
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
      abortKubeRequests();
      const state = interrupts.state();
      process.stderr.write(
        `interrupted (${signal})${state ? `: stopped at once; where each target was left:\n${redact(state)}\nrun \`regatta recover RELEASE --env ENV\` (or deploy again) to bring them back to last good` : ''}\n`,
      );
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Runs the CLI and returns the exit code; the only place that knows about process exit. */
export async function main(argv: readonly string[]): Promise<number> {
  const interrupts = new Interrupts();
  handleSignals(interrupts);
  let result: CommandResult = {};
  const program = buildProgram((r) => (result = r), interrupts);
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
