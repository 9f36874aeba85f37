import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { terminateChildren } from '../adapters/process.js';
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

function buildProgram(done: (result: CommandResult) => void): Command {
  const program = new Command('regatta')
    .description('Ship Helm charts to many Kubernetes clusters at once, and take them back together.')
    .version('0.1.0');
  program.addCommand(sandboxCommand(done));
  for (const command of deployCommands(done)) program.addCommand(command);
  program.addCommand(migrateCommand(done));
  program.addCommand(secretsCommand(done));
  program.addCommand(chartCommand(done));
  program.addCommand(schemaCommand(done));
  program.addCommand(gitopsCommand(done));
  quietOnError(program);
  return program;
}

/** Interrupted: stop the helm (and other) processes we started, then exit like a shell would. */
let signalsHandled = false;
function exitOnSignals(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      terminateChildren();
      process.stderr.write(`interrupted (${signal})\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Runs the CLI and returns the exit code; the only place that knows about process exit. */
export async function main(argv: readonly string[]): Promise<number> {
  exitOnSignals();
  let result: CommandResult = {};
  const program = buildProgram((r) => (result = r));
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
