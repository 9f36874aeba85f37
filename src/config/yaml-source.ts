import { LineCounter, isNode, parseAllDocuments, visit, type Document, type YAMLError } from 'yaml';
import { UserError, type SourcePosition } from '../errors.js';
import { readInputText } from './read-input.js';

/** A parsed YAML document that can say where any of its values is. */
export class YamlSource {
  private cached: { value: unknown } | undefined;

  constructor(
    readonly file: string,
    readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The document as plain data; aliases expanded once (see toPlainData). */
  get value(): unknown {
    this.cached ??= { value: toPlainData(this) };
    return this.cached.value;
  }

  /** Line and column of an offset in the file. */
  at(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Position of the value at `path` (or of its nearest existing parent). */
  positionOf(path: readonly (string | number)[]): SourcePosition {
    for (let length = path.length; length >= 0; length--) {
      const node = this.document.getIn(path.slice(0, length), true);
      if (isNode(node) && node.range) return this.at(node.range[0]);
    }
    return { file: this.file, line: 1, col: 1 };
  }

  /** Position of the key of the map entry at `path` (for "unknown field" errors). */
  keyPositionOf(path: readonly (string | number)[]): SourcePosition {
    const parent = this.document.getIn(path.slice(0, -1), true) as { items?: { key: unknown }[] } | undefined;
    const key = parent?.items?.find(
      (item) => isNode(item.key) && (item.key as { value?: unknown }).value === path.at(-1),
    )?.key;
    if (isNode(key) && key.range) return this.at(key.range[0]);
    return this.positionOf(path);
  }
}

/** Aliases expand to at most this many nodes in all: a "billion laughs" document stops here. */
const MAX_ALIAS_COUNT = 100;

/**
 * `toJS` throws for an alias to an undefined anchor and for a document whose aliases expand
 * exponentially; both become a user error at the alias.
 */
function toPlainData(source: YamlSource): unknown {
  try {
    return source.document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof RangeError) {
      throw new UserError('the document is nested too deeply', {
        position: source.positionOf([]),
        hint: 'nest the values less deeply',
      });
    }
    if (!(error instanceof ReferenceError)) throw error;
    const aliases: { source: string; offset: number }[] = [];
    visit(source.document, {
      Alias(_, node) {
        if (node.range) aliases.push({ source: node.source, offset: node.range[0] });
      },
    });
    const unresolved = /Unresolved alias.*: (.*)$/.exec(error.message)?.[1];
    if (unresolved !== undefined) {
      const alias = aliases.find((a) => a.source === unresolved) ?? aliases[0];
      throw new UserError(`alias *${unresolved} refers to no anchor &${unresolved} before it`, {
        position: alias ? source.at(alias.offset) : source.positionOf([]),
        hint: `define &${unresolved} above this line, or write the value out`,
      });
    }
    throw new UserError(
      `aliases expand to too many values (more than ${MAX_ALIAS_COUNT}): a resource exhaustion ("billion laughs") document?`,
      {
        position: aliases[0] ? source.at(aliases[0].offset) : source.positionOf([]),
        hint: 'write the values out instead of nesting aliases',
      },
    );
  }
}

/** Kept for callers that only need text (e.g. rendered manifests). */
export function readText(file: string): string {
  return readInputText(file);
}

/** Where a parse error is best shown: an unclosed quote at its opening, not at the end of the file. */
function errorOffset(document: Document, error: YAMLError): number {
  // Too deep for the parser: where it gave up depends on the stack size; the document is the mistake.
  if (/call stack/.test(error.message)) return document.range?.[0] ?? 0;
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    let opening: number | undefined;
    visit(document, {
      Scalar(_, node) {
        if (
          (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') &&
          node.range &&
          node.range[0] <= error.pos[0] &&
          (opening === undefined || node.range[0] > opening)
        )
          opening = node.range[0];
      },
    });
    if (opening !== undefined) return opening;
  }
  if (/^Flow (sequence|mapping)/.test(error.message)) {
    // Not closed: the innermost [ or { that opened before the error.
    let opening: number | undefined;
    visit(document, {
      Collection(_, node) {
        if (
          node.flow &&
          node.range &&
          node.range[0] <= error.pos[0] &&
          (opening === undefined || node.range[0] > opening)
        )
          opening = node.range[0];
      },
    });
    if (opening !== undefined) return opening;
  }
  return error.pos[0];
}

function parseHint(error: YAMLError): string {
  if (/call stack/.test(error.message)) return 'nest the values less deeply';
  if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) return 'close the quote on this line';
  if (/^Flow sequence/.test(error.message))
    return 'close this [ with ] on its line, or indent what follows it';
  if (/^Flow mapping/.test(error.message))
    return 'close this { with } on its line, or indent what follows it';
  if (error.code === 'DUPLICATE_KEY') return 'remove one of the two entries';
  if (error.code === 'TAB_AS_INDENT') return 'indent with spaces, not tabs';
  if (error.code === 'BAD_INDENT' || error.code === 'MISSING_CHAR')
    return 'check the indentation and the closing brackets of this block';
  return 'fix the YAML syntax here';
}

/** Every YAML document of a file; malformed YAML is a user error at its line and column. */
export function parseYamlFile(file: string, text = readInputText(file)): YamlSource[] {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [];
  for (const document of list) {
    const error = document.errors[0];
    if (error) {
      const { line, col } = lines.linePos(errorOffset(document, error));
      throw new UserError(`malformed YAML: ${error.message.split('\n')[0]}`, {
        position: { file, line, col },
        hint: parseHint(error),
      });
    }
  }
  const sources = list
    .filter((document) => document.contents !== null)
    .map((document) => new YamlSource(file, document, lines));
  for (const source of sources) void source.value; // alias errors now, not deep inside a command
  return sources;
}
