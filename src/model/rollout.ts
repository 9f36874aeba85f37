import type { SourcePosition } from '../errors.js';

/** A command run between waves, in each cluster of the wave that passed (exit 0 = healthy). */
export interface CheckSpec {
  run: string;
  timeoutSeconds: number;
}

/** One wave of a progressive rollout. */
export interface WaveSpec {
  name: string;
  /** Clusters named here, or (selector) every not yet placed cluster whose labels match; `{}`: all left. */
  names?: string[];
  selector?: Record<string, string>;
  /** Every workload must stay Available, with no container restarting, this long. */
  soakSeconds: number;
  checks: CheckSpec[];
  helmTest: boolean;
  /** Clusters at once in this wave (default: all of them). */
  maxParallel?: number;
  position: SourcePosition;
}

export interface RolloutStrategy {
  waves: WaveSpec[];
  /** A manual approval before this wave: the deploy pauses there until `--resume`. */
  approvalBefore?: string;
  position: SourcePosition;
}
