import { readFileSync, statSync, type Stats } from 'node:fs';
import { UserError } from '../errors.js';

/** Fleet, release, values and secrets files are small; anything larger is not one of them. */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** Rendered manifests (`chart validate`) may be large, but not unbounded. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function cannotRead(file: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOTDIR'
          ? 'a part of the path is not a folder'
          : (code ?? 'unreadable');
  return new UserError(`cannot read it: ${why}`, {
    position: { file },
    hint: code === 'ENOENT' ? 'check the path' : 'check the path and its permissions',
  });
}

/**
 * The bytes of a user's file: only a regular file (a FIFO would block, /dev/zero never ends),
 * and at most `maxBytes` of it.
 */
export function readInputBytes(file: string, maxBytes = MAX_INPUT_BYTES): Buffer {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw cannotRead(file, error);
  }
  if (!stats.isFile()) {
    throw new UserError(`this is ${kindOf(stats)}, not a file`, {
      position: { file },
      hint: 'pass a regular file',
    });
  }
  if (stats.size > maxBytes) {
    throw new UserError(`larger than ${mib(maxBytes)}, too large for this kind of file`, {
      position: { file },
      hint: 'is this the right file? split it if it really is one',
    });
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw cannotRead(file, error);
  }
  if (bytes.length > maxBytes) {
    throw new UserError(`larger than ${mib(maxBytes)}, too large for this kind of file`, {
      position: { file },
      hint: 'is this the right file?',
    });
  }
  return bytes;
}

/** Index of the first byte that does not start a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let length: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [length, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [length, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [length, min] = [4, 0x10000];
    else return i;
    if (i + length > bytes.length) return i;
    let code = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k]!;
      if ((next & 0xc0) !== 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return -1;
}

/** Text of a user's file: invalid UTF-8 is an error at its line and column, never a silent U+FFFD. */
export function decodeUtf8(bytes: Buffer, file: string): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    const before = bytes.subarray(0, bad).toString('utf8');
    const line = before.split('\n').length;
    const col = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
    throw new UserError(
      `invalid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad})`,
      {
        position: { file, line, col },
        hint: 'save the file as UTF-8',
      },
    );
  }
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

export function readInputText(file: string, maxBytes = MAX_INPUT_BYTES): string {
  return decodeUtf8(readInputBytes(file, maxBytes), file);
}

/** Standard input, at most `maxBytes` of it (then an error: `- < /dev/zero` ends). */
export async function readStandardInput(
  stream: NodeJS.ReadableStream = process.stdin,
  maxBytes = MAX_MANIFEST_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > maxBytes) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new UserError(`standard input is larger than ${mib(maxBytes)}`, {
        position: { file: '<stdin>' },
        hint: 'pass rendered manifests, e.g. helm template … | regatta chart validate -',
      });
    }
    chunks.push(bytes);
  }
  return decodeUtf8(Buffer.concat(chunks), '<stdin>');
}
