// The test command: unit tests, plus integration tests against one real sandbox started for
// the run (global setup) and stopped after it, whatever happens. Prints `N passed, N failed` last.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const regatta = join(root, 'bin', 'regatta.js');
const work = mkdtempSync(join(tmpdir(), 'regatta-test-'));
const sandboxDir = join(work, 'sandbox');
const tap = join(work, 'results.tap');
const unitOnly = process.argv.includes('--unit');
// --faults: only the fault suite (its own sandbox); the default runs unit, integration and faults.
const faultsOnly = process.argv.includes('--faults');

let stopped = false;
function stopSandbox() {
  if (stopped || unitOnly) return;
  stopped = true;
  spawnSync(process.execPath, [regatta, 'sandbox', 'down', '--dir', sandboxDir], { stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopSandbox();
    process.exit(130);
  });
}

const suites = faultsOnly ? [] : [join(root, 'dist', 'test', 'unit')];
const env = { ...process.env };
if (!unitOnly) {
  console.log(`starting the test sandbox in ${sandboxDir}`);
  const up = spawnSync(process.execPath, [regatta, 'sandbox', 'up', '--clusters', '3', '--dir', sandboxDir], {
    stdio: 'inherit',
  });
  if (up.status !== 0) console.log('sandbox up failed: the integration tests will fail');
  env.REGATTA_TEST_SANDBOX_DIR = sandboxDir;
  if (!faultsOnly) suites.push(join(root, 'dist', 'test', 'integration'));
  suites.push(join(root, 'dist', 'test', 'faults'));
}

let status = 1;
try {
  const result = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...suites,
    ],
    { stdio: 'inherit', env },
  );
  status = result.status ?? 1;
  const summary = readFileSync(tap, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(summary)?.[1] ?? 0);
  stopSandbox();
  console.log(`${count('pass')} passed, ${count('fail') + count('cancelled')} failed`);
} finally {
  stopSandbox();
}
process.exit(status);
