/**
 * What a deploy says while it runs: one event per change of state, then a summary. The live
 * terminal view, the plain CI lines and `--output json` (JSON Lines, schemas/deploy-events.schema.json)
 * are all renderings of this one stream.
 */
export type TargetState =
  | 'waiting'
  | 'unchanged'
  | 'deploying'
  | 'rolling-out'
  | 'healthy'
  | 'soaking'
  | 'failed'
  | 'stopped'
  | 'rolling-back'
  | 'rolled-back'
  | 'rollback-failed'
  | 'left-alone'
  | 'untouched';

export type GateKind = 'soak' | 'check' | 'helm-test' | 'approval';

export interface WaveSummary {
  name: string;
  clusters: string[];
}

export type DeployEvent =
  | {
      type: 'deploy';
      at: string;
      deployId: string;
      /** In order; a deploy without a rollout strategy has one wave named `all`. */
      waves: WaveSummary[];
      releases: string[];
    }
  | {
      type: 'target';
      at: string;
      /** `release.namespace` */
      release: string;
      cluster: string;
      wave: string;
      state: TargetState;
      /** e.g. `2/3 ready`, an error's first line, `revision 4`. Never a value. */
      detail?: string;
      revision?: number;
    }
  | {
      type: 'wave';
      at: string;
      wave: string;
      state: 'started' | 'healthy' | 'failed' | 'skipped';
      detail?: string;
    }
  | {
      type: 'gate';
      at: string;
      wave: string;
      gate: GateKind;
      state: 'waiting' | 'passed' | 'failed' | 'skipped';
      /** What is being waited on: `soak 1:20 of 2:00`, the check's command, `regatta deploy --resume ID`. */
      detail?: string;
    }
  | { type: 'log'; at: string; message: string }
  | {
      type: 'summary';
      at: string;
      deployId: string;
      result: 'succeeded' | 'failed' | 'interrupted' | 'paused' | 'rollback-failed';
      exitCode: number;
      /** Which wave failed, and why, when it did. */
      failedWave?: string;
      reason?: string;
    };
