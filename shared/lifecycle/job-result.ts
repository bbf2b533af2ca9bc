import type { Outcome } from '../runs/run-store.js';

/** What happened to one job. `duplicate`: another delivery owns or already counted it. */
export interface JobResult {
  outcome: Outcome | 'duplicate';
  reason?: string;
  detail?: string;
}
