import cliProgress from 'cli-progress';
import { type Run, settled } from '../shared/runs/run-store.js';

/**
 * One progress line for a run. While the scan is still listing, the total is only what it has
 * found so far: the line says "scanning…" with that count, and shows a bar only once there is
 * something to measure against (a bar over 0 objects would read as full, as if the run were done).
 * `bar` draws a fraction in [0, 1].
 */
export function progressLine(
  label: string,
  run: Run,
  ratePerSecond: number,
  bar: (fraction: number) => string,
): string {
  const c = run.counts;
  const outcomes = `${run.mode === 'rewrap' ? 're-wrapped' : 'encrypted'} ${c.encrypted} · compliant ${c.compliant} · skipped ${c.skipped} · failed ${c.failed}`;
  const done = settled(c);
  const total = Math.max(run.discovered, done);
  if (total === 0) {
    return run.scanComplete
      ? `${label}: no objects found`
      : `${label}: scanning… ${run.discovered} objects found so far`;
  }
  const scanning = run.scanComplete ? '' : ` | scanning… ${run.discovered} found so far`;
  return `${label} [${bar(done / total)}] ${done}/${total}${run.scanComplete ? '' : '+'} objects | ${ratePerSecond.toFixed(1)}/s | ${outcomes}${scanning}`;
}

/**
 * A progress bar on `stream` (stderr): objects settled / discovered so far, rate, and outcome
 * counts. Off a terminal (CI, pipes) it prints a plain line every two seconds instead of redrawing.
 */
export function createRunProgress(label: string, stream: NodeJS.WritableStream = process.stderr) {
  let latest: { run: Run; rate: number } | undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: (options) =>
        latest
          ? progressLine(label, latest.run, latest.rate, (f) => cliProgress.Format.BarFormat(f, options))
          : '',
      stream,
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
      latest = { run, rate: done / Math.max(0.001, (Date.now() - started) / 1000) };
      const total = Math.max(run.discovered, done);
      if (!begun) {
        bar.start(total, done);
        begun = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (begun) bar.stop();
    },
  };
}
