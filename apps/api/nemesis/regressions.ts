import type { RedisTopology } from "./support/schedule.js";

/**
 * Seeds whose run found a bug, kept to replay once it is fixed. Set `fixed`
 * when the fix lands: `pnpm test:nemesis --regressions` then runs them (and
 * fails if the bug is back).
 */
export interface Regression {
  seed: number;
  durationMs: number;
  redis?: RedisTopology;
  finding: string;
  fixed: boolean;
}

export const REGRESSIONS: Regression[] = [];
