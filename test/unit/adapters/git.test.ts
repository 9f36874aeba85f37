import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  BranchMovedError,
  checkoutBranch,
  commitEmpty,
  commitPaths,
  pushBranch,
  revertCommits,
  RevertConflictError,
} from '../../../src/adapters/git.js';
import { run } from '../../../src/adapters/process.js';

// Real git on a real (local, bare) repository: the fleet branch two people push to.
const work = mkdtempSync(join(tmpdir(), 'regatta-git-test-'));
after(() => rmSync(work, { recursive: true, force: true }));
const git = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout.trim();
let repos = 0;

async function fleetRepo(): Promise<{ url: string; clone: (name: string) => Promise<string> }> {
  const url = join(work, `fleet-${++repos}.git`);
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', url]);
  const clone = async (name: string) => {
    const dir = join(work, `${repos}-${name}`);
    await checkoutBranch(url, 'main', dir);
    await git(dir, 'config', 'user.name', name);
    await git(dir, 'config', 'user.email', `${name}@example.com`);
    return dir;
  };
  const seed = await clone('seed');
  writeFileSync(join(seed, 'a.yaml'), 'replicas: 1\n');
  writeFileSync(join(seed, 'b.yaml'), 'replicas: 1\n');
  await commitPaths(seed, ['.'], 'first');
  await pushBranch(seed, 'main');
  return { url, clone };
}

describe('pushing to a fleet branch that moved', () => {
  it('replays our commit on top of another file’s change and returns the commit pushed', async () => {
    const { clone } = await fleetRepo();
    const [ours, theirs] = [await clone('ours'), await clone('theirs')];
    writeFileSync(join(theirs, 'b.yaml'), 'replicas: 2\n');
    const theirCommit = await commitPaths(theirs, ['b.yaml'], 'theirs: b');
    await pushBranch(theirs, 'main');
    writeFileSync(join(ours, 'a.yaml'), 'replicas: 3\n');
    const local = await commitPaths(ours, ['a.yaml'], 'ours: a');
    const pushed = await pushBranch(ours, 'main');
    assert.notEqual(pushed, local, 'replayed: a new commit');
    assert.equal(await git(ours, 'rev-parse', `${pushed}^`), theirCommit);
    assert.equal(
      await git(ours, 'ls-remote', 'origin', 'refs/heads/main').then((l) => l.split('\t')[0]),
      pushed,
    );
  });

  it('keeps an empty record commit (a pause) when replaying it', async () => {
    const { clone } = await fleetRepo();
    const [ours, theirs] = [await clone('ours'), await clone('theirs')];
    writeFileSync(join(theirs, 'b.yaml'), 'replicas: 2\n');
    await commitPaths(theirs, ['b.yaml'], 'theirs: b');
    await pushBranch(theirs, 'main');
    await commitEmpty(ours, 'regatta pause D1: prod, waiting for approval before wave rest');
    const pushed = await pushBranch(ours, 'main');
    assert.equal(
      await git(ours, 'log', '-1', '--format=%s', pushed),
      'regatta pause D1: prod, waiting for approval before wave rest',
    );
  });

  it('gives up on a conflict: nothing of ours is pushed and the checkout holds the branch as it is', async () => {
    const { clone } = await fleetRepo();
    const [ours, theirs] = [await clone('ours'), await clone('theirs')];
    writeFileSync(join(theirs, 'a.yaml'), 'replicas: 2\n');
    const theirCommit = await commitPaths(theirs, ['a.yaml'], 'theirs: a');
    await pushBranch(theirs, 'main');
    writeFileSync(join(ours, 'a.yaml'), 'replicas: 3\n');
    await commitPaths(ours, ['a.yaml'], 'ours: a');
    await assert.rejects(
      pushBranch(ours, 'main'),
      (error: unknown) =>
        error instanceof BranchMovedError && /main moved meanwhile .*theirs: theirs: a/.test(error.message),
    );
    assert.equal(await git(ours, 'rev-parse', 'HEAD'), theirCommit);
    assert.equal(await git(ours, 'status', '--porcelain'), '');
  });
});

describe('reverting a deploy’s commits', () => {
  it('fails cleanly when a later commit changed the same lines', async () => {
    const { clone } = await fleetRepo();
    const dir = await clone('ours');
    writeFileSync(join(dir, 'a.yaml'), 'replicas: 3\n');
    const wave = (await commitPaths(dir, ['a.yaml'], 'deploy'))!;
    writeFileSync(join(dir, 'a.yaml'), 'replicas: 4\n');
    const later = (await commitPaths(dir, ['a.yaml'], 'someone else'))!;
    await assert.rejects(revertCommits(dir, [wave], 'revert'), RevertConflictError);
    assert.equal(await git(dir, 'rev-parse', 'HEAD'), later, 'nothing committed');
    assert.equal(await git(dir, 'status', '--porcelain'), '', 'no half-done revert left');
  });
});
