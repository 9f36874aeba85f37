import { Argument, Command } from 'commander';
import { schemas } from '../config/schemas.js';
import type { CommandResult } from './result.js';

export function schemaCommand(done: (result: CommandResult) => void): Command {
  return new Command('schema')
    .description('print the JSON Schema of a file kind (also published in schemas/)')
    .addArgument(new Argument('<kind>').choices(Object.keys(schemas)))
    .action((kind: keyof typeof schemas) => done({ stdout: JSON.stringify(schemas[kind], null, 2) }));
}
