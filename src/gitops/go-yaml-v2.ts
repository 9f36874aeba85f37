/**
 * Pure: YAML exactly as go.yaml.in/yaml/v2 v2.4.2 encodes it (the encoder helm-controller hashes
 * values with, see config-digest.ts), byte for byte. A port of that library's emitter
 * (emitterc.go) reduced to what a values tree needs — block mappings and sequences, empty `{}`
 * and `[]`, plain / single-quoted / double-quoted / literal scalars — with its quirks kept:
 * lines folded past column 80, YAML 1.1 look-alikes (`yes`, `1_000`, `2024-01-02`) quoted, keys
 * over 128 bytes written as `? key`, characters outside the Basic Multilingual Plane escaped.
 * Works on UTF-8 bytes, as the Go code does; columns count characters.
 */

/** A value as the Go encoder sees it: a sorted MapSlice, a slice, or a scalar with its text. */
export type GoYamlNode =
  | { kind: 'map'; items: [string, GoYamlNode][] }
  | { kind: 'seq'; items: GoYamlNode[] }
  | { kind: 'scalar'; text: string; isString: boolean };

type Style = 'plain' | 'single' | 'double' | 'literal';

const BEST_INDENT = 2;
const BEST_WIDTH = 80;
const SPACE = 0x20;
const LF = 0x0a;

const width = (b: number) =>
  (b & 0x80) === 0 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 0;
const at = (s: Uint8Array, i: number) => s[i] ?? 0;
const isSpace = (s: Uint8Array, i: number) => at(s, i) === SPACE;
const isBlank = (s: Uint8Array, i: number) => at(s, i) === SPACE || at(s, i) === 0x09;
const isBreak = (s: Uint8Array, i: number) =>
  at(s, i) === 0x0d ||
  at(s, i) === LF ||
  (at(s, i) === 0xc2 && at(s, i + 1) === 0x85) ||
  (at(s, i) === 0xe2 && at(s, i + 1) === 0x80 && (at(s, i + 2) === 0xa8 || at(s, i + 2) === 0xa9));
const isBlankz = (s: Uint8Array, i: number) => isBlank(s, i) || isBreak(s, i) || at(s, i) === 0;
/** Quirk kept: libyaml checks for a BOM at the start of the value, whatever `i` is. */
const isBom = (s: Uint8Array) => at(s, 0) === 0xef && at(s, 1) === 0xbb && at(s, 2) === 0xbf;
function isPrintable(s: Uint8Array, i: number): boolean {
  const b = at(s, i);
  return (
    b === LF ||
    (b >= 0x20 && b <= 0x7e) ||
    (b === 0xc2 && at(s, i + 1) >= 0xa0) ||
    (b > 0xc2 && b < 0xed) ||
    (b === 0xed && at(s, i + 1) < 0xa0) ||
    b === 0xee ||
    (b === 0xef &&
      !(at(s, i + 1) === 0xbb && at(s, i + 2) === 0xbf) &&
      !(at(s, i + 1) === 0xbf && (at(s, i + 2) === 0xbe || at(s, i + 2) === 0xbf)))
  );
}

interface Analysis {
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

/** yaml_emitter_analyze_scalar. */
function analyze(value: Uint8Array): Analysis {
  if (value.length === 0)
    return { multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true, block: false };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  const head = String.fromCharCode(...value.subarray(0, 3));
  if (head === '---' || head === '...') {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  for (let i = 0, w = 0; i < value.length; i += w) {
    w = width(at(value, i));
    const followedByWhitespace = i + w >= value.length || isBlank(value, i + w);
    const c = String.fromCharCode(at(value, i));
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === '?' || c === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (',?[]{}'.includes(c)) {
      flowIndicators = true;
    } else if (c === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isPrintable(value, i)) special = true;
    if (isSpace(value, i)) {
      if (i === 0) leadingSpace = true;
      if (i + w === value.length) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(value, i)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i + w === value.length) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(value, i);
  }
  const result: Analysis = {
    multiline: lineBreaks,
    flowPlain: true,
    blockPlain: true,
    singleQuoted: true,
    block: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak)
    result.flowPlain = result.blockPlain = false;
  if (trailingSpace) result.block = false;
  if (breakSpace) result.flowPlain = result.blockPlain = result.singleQuoted = false;
  if (spaceBreak || special)
    result.flowPlain = result.blockPlain = result.singleQuoted = result.block = false;
  if (lineBreaks) result.flowPlain = result.blockPlain = false;
  if (flowIndicators) result.flowPlain = false;
  if (blockIndicators) result.blockPlain = false;
  return result;
}

class Emitter {
  private readonly out: number[] = [];
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;
  private flowLevel = 0;
  private mappingContext = false;
  private simpleKeyContext = false;

  bytes(): Buffer {
    return Buffer.from(this.out);
  }

  private put(byte: number) {
    this.out.push(byte);
    this.column++;
  }

  private putBreak() {
    this.out.push(LF);
    this.column = 0;
  }

  /** Copies one character; returns the index after it. */
  private write(s: Uint8Array, i: number): number {
    const w = width(at(s, i));
    for (let k = 0; k < w; k++) this.out.push(at(s, i + k));
    this.column++;
    return i + w;
  }

  private writeBreak(s: Uint8Array, i: number): number {
    if (at(s, i) === LF) {
      this.putBreak();
      return i + 1;
    }
    const next = this.write(s, i);
    this.column = 0;
    return next;
  }

  private increaseIndent(flow: boolean, indentless: boolean) {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent() {
    this.indent = this.indents.pop() ?? -1;
  }

  writeIndent() {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.putBreak();
    while (this.column < indent) this.put(SPACE);
    this.whitespace = true;
    this.indention = true;
  }

  private indicator(text: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean) {
    if (needWhitespace && !this.whitespace) this.put(SPACE);
    for (const c of Buffer.from(text)) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  node(node: GoYamlNode, context: { mapping?: boolean; simpleKey?: boolean }) {
    this.mappingContext = context.mapping ?? false;
    this.simpleKeyContext = context.simpleKey ?? false;
    if (node.kind === 'scalar') this.scalar(node);
    else if (node.kind === 'seq') this.sequence(node.items);
    else this.mapping(node.items);
  }

  private sequence(items: GoYamlNode[]) {
    if (this.flowLevel > 0 || items.length === 0) {
      this.indicator('[', true, true, false);
      this.increaseIndent(true, false);
      this.popIndent();
      this.indicator(']', false, false, false);
      return;
    }
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.indicator('-', true, false, true);
      this.node(item, {});
    }
    this.popIndent();
  }

  private mapping(items: [string, GoYamlNode][]) {
    if (this.flowLevel > 0 || items.length === 0) {
      this.indicator('{', true, true, false);
      this.increaseIndent(true, false);
      this.popIndent();
      this.indicator('}', false, false, false);
      return;
    }
    this.increaseIndent(false, false);
    for (const [key, value] of items) {
      this.writeIndent();
      const keyNode = stringNode(key);
      const bytes = Buffer.from(key, 'utf8');
      // yaml_emitter_check_simple_key: one line, at most 128 bytes.
      if (!analyze(bytes).multiline && bytes.length <= 128) {
        this.node(keyNode, { mapping: true, simpleKey: true });
        this.indicator(':', false, false, false);
      } else {
        this.indicator('?', true, false, true);
        this.node(keyNode, { mapping: true });
        this.writeIndent();
        this.indicator(':', true, false, true);
      }
      this.node(value, { mapping: true });
    }
    this.popIndent();
  }

  private scalar(node: Extract<GoYamlNode, { kind: 'scalar' }>) {
    const value = Buffer.from(node.text, 'utf8');
    const analysis = analyze(value);
    // encoder.stringv asks for literal (a newline), plain (reads back as a string), else double quotes.
    let style: Style = !node.isString
      ? 'plain'
      : node.text.includes('\n')
        ? 'literal'
        : plainReadsAsString(node.text)
          ? 'plain'
          : 'double';
    // yaml_emitter_select_scalar_style.
    if (this.simpleKeyContext && analysis.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !analysis.flowPlain) || (this.flowLevel === 0 && !analysis.blockPlain))
        style = 'single';
      if (value.length === 0 && (this.flowLevel > 0 || this.simpleKeyContext)) style = 'single';
    }
    if (style === 'single' && !analysis.singleQuoted) style = 'double';
    if (style === 'literal' && (!analysis.block || this.flowLevel > 0 || this.simpleKeyContext))
      style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    if (style === 'plain') this.plain(value, allowBreaks);
    else if (style === 'single') this.singleQuoted(value, allowBreaks);
    else if (style === 'double') this.doubleQuoted(value, allowBreaks);
    else this.literal(value);
    this.popIndent();
  }

  private plain(value: Uint8Array, allowBreaks: boolean) {
    if (!this.whitespace) this.put(SPACE);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length;) {
      if (isSpace(value, i)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && !isSpace(value, i + 1)) {
          this.writeIndent();
          i += width(at(value, i));
        } else i = this.write(value, i);
        spaces = true;
      } else if (isBreak(value, i)) {
        if (!breaks && at(value, i) === LF) this.putBreak();
        i = this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i = this.write(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private singleQuoted(value: Uint8Array, allowBreaks: boolean) {
    this.indicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length;) {
      if (isSpace(value, i)) {
        if (
          allowBreaks &&
          !spaces &&
          this.column > BEST_WIDTH &&
          i > 0 &&
          i < value.length - 1 &&
          !isSpace(value, i + 1)
        ) {
          this.writeIndent();
          i += width(at(value, i));
        } else i = this.write(value, i);
        spaces = true;
      } else if (isBreak(value, i)) {
        if (!breaks && at(value, i) === LF) this.putBreak();
        i = this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (at(value, i) === 0x27) this.put(0x27);
        i = this.write(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.indicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private doubleQuoted(value: Uint8Array, allowBreaks: boolean) {
    let spaces = false;
    this.indicator('"', true, false, false);
    for (let i = 0; i < value.length;) {
      const b = at(value, i);
      if (!isPrintable(value, i) || isBom(value) || isBreak(value, i) || b === 0x22 || b === 0x5c) {
        const w = width(b);
        let v = w === 1 ? b & 0x7f : w === 2 ? b & 0x1f : w === 3 ? b & 0x0f : b & 0x07;
        for (let k = 1; k < w; k++) v = (v << 6) + (at(value, i + k) & 0x3f);
        i += w;
        this.put(0x5c);
        const short = ESCAPES.get(v);
        if (short) this.put(short.charCodeAt(0));
        else {
          const [letter, digits] = v <= 0xff ? ['x', 2] : v <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter.charCodeAt(0));
          for (const c of v.toString(16).toUpperCase().padStart(digits, '0')) this.put(c.charCodeAt(0));
        }
        spaces = false;
      } else if (isSpace(value, i)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < value.length - 1) {
          this.writeIndent();
          if (isSpace(value, i + 1)) this.put(0x5c);
          i += width(b);
        } else i = this.write(value, i);
        spaces = true;
      } else {
        i = this.write(value, i);
        spaces = false;
      }
    }
    this.indicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private literal(value: Uint8Array) {
    this.indicator('|', true, false, false);
    if (isSpace(value, 0) || isBreak(value, 0)) this.indicator(String(BEST_INDENT), false, false, false);
    const chomp = chompHint(value);
    if (chomp) this.indicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (let i = 0; i < value.length;) {
      if (isBreak(value, i)) {
        i = this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i = this.write(value, i);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

const ESCAPES = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

/** yaml_emitter_write_block_scalar_hints' chomping indicator. */
function chompHint(value: Uint8Array): string | undefined {
  if (value.length === 0) return '-';
  let i = value.length - 1;
  while ((at(value, i) & 0xc0) === 0x80) i--;
  if (!isBreak(value, i)) return '-';
  if (i === 0) return '+';
  i--;
  while ((at(value, i) & 0xc0) === 0x80) i--;
  return isBreak(value, i) ? '+' : undefined;
}

const stringNode = (text: string): GoYamlNode => ({ kind: 'scalar', text, isString: true });

/** The whole document, as `yaml.NewEncoder(w).Encode(mapSlice)` writes it (no `---`, ends with a newline). */
export function encodeGoYaml(root: GoYamlNode): Buffer {
  const emitter = new Emitter();
  emitter.node(root, {});
  emitter.writeIndent(); // the implicit document end
  return emitter.bytes();
}

// --- resolve.go: would the string, unquoted, read back as something else than a string?

const YAML11_WORDS = new Set(
  [
    ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'],
    ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'],
    ...['', '~', 'null', 'Null', 'NULL'],
    ...['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF'],
  ].map(String),
);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** strconv.ParseInt / ParseUint with base 0 (underscores already removed): in range of either. */
function parsesAsGoInt(text: string): boolean {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return false;
  const [, sign, digits = ''] = match;
  const body = /^0[0-7]+$/.test(digits)
    ? `0o${digits.slice(1)}`
    : digits.replace(/^0([XOB])/, (_, p: string) => `0${p.toLowerCase()}`);
  const magnitude = BigInt(body);
  const value = sign === '-' ? -magnitude : magnitude;
  if (value >= INT64_MIN && value <= INT64_MAX) return true;
  return sign === '' && value <= UINT64_MAX;
}

const daysIn = (month: number, year: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/** parseTimestamp: the four layouts go-yaml v2 tries with time.Parse. */
function parsesAsTimestamp(text: string): boolean {
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])| )(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
      text,
    );
  if (!match) return false;
  const [, year, month, day, t, hour, minute, second, zone] = match;
  // "2006-1-2T15:4:5…Z07:00" needs a zone; "2006-1-2 15:4:5…" has none.
  if (hour !== undefined && (t !== undefined) !== (zone !== undefined)) return false;
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  if (m < 1 || m > 12 || d < 1 || d > daysIn(m, y)) return false;
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)) return false;
  if (zone && zone !== 'Z' && (Number(zone.slice(1, 3)) > 24 || Number(zone.slice(4, 6)) > 60)) return false;
  return true;
}

/** resolve("", s) == !!str and not a base 60 float: go-yaml v2 may write it unquoted. */
export function plainReadsAsString(text: string): boolean {
  if (text === '' || BASE60_FLOAT.test(text)) return false;
  const first = text[0] ?? '';
  const hint = /[-+]/.test(first)
    ? 'S'
    : /[0-9]/.test(first)
      ? 'D'
      : 'yYnNtTfFoO~'.includes(first)
        ? 'M'
        : first === '.'
          ? '.'
          : '';
  if (hint === '') return true;
  if (YAML11_WORDS.has(text)) return false;
  if (hint === '.') return !(/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) && Number.isFinite(Number(text)));
  if (hint !== 'D' && hint !== 'S') return true;
  if (parsesAsTimestamp(text)) return false;
  const plain = text.replaceAll('_', '');
  if (parsesAsGoInt(plain)) return false;
  if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return false;
  // Go's own 0b/-0b retry only accepts what ParseInt/ParseUint above did.
  return true;
}
