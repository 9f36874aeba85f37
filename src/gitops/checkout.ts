import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkoutBranch } from '../adapters/git.js';

/**
 * A fresh working copy of the fleet branch in a temporary folder for `use`, removed afterwards
 * whatever happens (a branch that does not exist yet gives an empty checkout on it).
 */
export async function withBranchCheckout<T>(
  remote: { repo: string; branch: string },
  use: (checkout: string) => Promise<T>,
): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), 'regatta-gitops-'));
  try {
    const checkout = join(work, 'checkout');
    await checkoutBranch(remote.repo, remote.branch, checkout);
    return await use(checkout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Makes the checkout's cluster folders exactly the rendered files (a folder is replaced whole). */
export function writeFolders(
  checkout: string,
  files: readonly { path: string; content: string }[],
  folders: readonly string[],
): void {
  for (const folder of folders) rmSync(join(checkout, folder), { recursive: true, force: true });
  for (const file of files.filter((f) => folders.some((folder) => f.path.startsWith(`${folder}/`)))) {
    mkdirSync(dirname(join(checkout, file.path)), { recursive: true });
    writeFileSync(join(checkout, file.path), file.content);
  }
}
