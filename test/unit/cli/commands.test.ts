import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_MODULES, MODULE_OF, modulesFor } from '../../../src/cli/main.js';
import { Interrupts } from '../../../src/interrupts.js';

describe('command modules, loaded on demand', () => {
  it('each command is found in the module that defines it, and every command is listed', async () => {
    const defined: Record<string, string> = {};
    for (const [module, load] of Object.entries(COMMAND_MODULES))
      for (const make of await load())
        for (const command of [make(() => undefined, new Interrupts())].flat())
          defined[command.name()] = module;
    assert.deepEqual(defined, MODULE_OF);
  });

  it('loads one module for a command, none for --version, all for help or an unknown word', () => {
    const all = Object.keys(COMMAND_MODULES);
    assert.deepEqual(modulesFor(['deploy', '--fleet', 'x']), ['deploy']);
    assert.deepEqual(modulesFor(['status']), ['deploy']);
    assert.deepEqual(modulesFor(['sandbox', 'up']), ['sandbox']);
    assert.deepEqual(modulesFor(['--version']), []);
    assert.deepEqual(modulesFor([]), all);
    assert.deepEqual(modulesFor(['--help']), all);
    assert.deepEqual(modulesFor(['help', 'deploy']), all);
    assert.deepEqual(modulesFor(['deplyo']), all);
  });
});
