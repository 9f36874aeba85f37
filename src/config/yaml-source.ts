import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments, isNode, type Document } from 'yaml';
import { UserError, type SourcePosition } from '../errors.js';

/** A parsed YAML document that can say where any of its values is. */
export class YamlSource {
  constructor(
    readonly file: string,
    readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  get value(): unknown {
    return this.document.toJS();
  }

  /** Position of the value at `path` (or of its nearest existing parent). */
  positionOf(path: readonly (string | number)[]): SourcePosition {
    for (let length = path.length; length >= 0; length--) {
      const node = this.document.getIn(path.slice(0, length), true);
      if (isNode(node) && node.range) {
        const { line, col } = this.lines.linePos(node.range[0]);
        return { file: this.file, line, col };
      }
    }
    return { file: this.file, line: 1, col: 1 };
  }

  /** Position of the key of the map entry at `path` (for "unknown field" errors). */
  keyPositionOf(path: readonly (string | number)[]): SourcePosition {
    const parent = this.document.getIn(path.slice(0, -1), true) as { items?: { key: unknown }[] } | undefined;
    const key = parent?.items?.find(
      (item) => isNode(item.key) && (item.key as { value?: unknown }).value === path.at(-1),
    )?.key;
    if (isNode(key) && key.range) {
      const { line, col } = this.lines.linePos(key.range[0]);
      return { file: this.file, line, col };
    }
    return this.positionOf(path);
  }
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${file}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
}

/** Every YAML document of a file; malformed YAML is a user error at its line and column. */
export function parseYamlFile(file: string, text = readText(file)): YamlSource[] {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [];
  for (const document of list) {
    const error = document.errors[0];
    if (error) {
      const { line, col } = lines.linePos(error.pos[0]);
      throw new UserError(`malformed YAML: ${error.message.split('\n')[0]}`, {
        position: { file, line, col },
        hint: 'fix the YAML syntax',
      });
    }
  }
  return list
    .filter((document) => document.contents !== null)
    .map((document) => new YamlSource(file, document, lines));
}
