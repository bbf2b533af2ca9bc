import cliProgress from 'cli-progress';
import { type Run, settled } from '../shared/runs/run-store.js';

/**
 * A progress bar on stderr: objects settled / discovered so far, rate, and outcome counts. Off a
 * terminal (CI, pipes) it prints a plain line every two seconds instead of redrawing.
 */
export function createRunProgress(label: string) {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} objects | {rate}/s | encrypted {encrypted} · compliant {compliant} · skipped {skipped} · failed {failed}{scan}`,
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let begun = false;
  return {
    update(run: Run) {
      const done = settled(run.counts);
      const total = Math.max(run.discovered, done);
      const payload = {
        rate: (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1),
        ...run.counts,
        scan: run.scanComplete ? '' : ' | scanning…',
      };
      if (!begun) {
        bar.start(total, done, payload);
        begun = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (begun) bar.stop();
    },
  };
}
