import { styleText } from 'node:util';

export type Style = Parameters<typeof styleText>[0];

/** Paints text, or leaves it plain (logs, pipes, NO_COLOR). */
export type Paint = (style: Style, text: string) => string;

export const plain: Paint = (_style, text) => text;
/** Always paints: whether to is `paintFor`'s decision, made once per stream. */
export const colours: Paint = (style, text) => styleText(style, text, { validateStream: false });

/**
 * Colours only on a terminal that wants them: Node's `hasColors` already honours NO_COLOR,
 * NODE_DISABLE_COLORS, FORCE_COLOR and TERM=dumb.
 */
export function paintFor(stream: NodeJS.WriteStream): Paint {
  return stream.isTTY === true && typeof stream.hasColors === 'function' && stream.hasColors()
    ? colours
    : plain;
}

/** `m:ss` (or `h:mm:ss`) from seconds. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
