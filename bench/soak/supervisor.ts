import { type ChildProcess, spawn } from 'node:child_process';
import { type FaultKind, NO_FAULTS } from '../../shared/faults.js';

export interface SupervisorStats {
  restarts: number;
  faults: Record<FaultKind, number>;
  /** Crashes the workers drew but passed over, an upload being mid-body (shared/fault-middleware.ts). */
  crashesHeld: number;
}

/**
 * Runs `count` `s3-seal worker` processes with `env` and restarts any that dies (an injected crash
 * exits on the spot, as a Lambda timeout or an OOM kill would), until `stop()`: SIGTERM, then the
 * workers finish their batches in hand and exit. Each slot's first process gets `firstEnv` instead
 * when given (the soak's `first=1`: its restarts draw at random only).
 */
export function superviseWorkers(options: {
  count: number;
  args: string[];
  env: NodeJS.ProcessEnv;
  firstEnv?: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** What each worker runs (node arguments); `s3-seal worker` unless a test gives a stand-in. */
  command?: string[];
}) {
  const command = options.command ?? ['bin/s3-seal.js', 'worker'];
  const stats: SupervisorStats = { restarts: 0, faults: { ...NO_FAULTS }, crashesHeld: 0 };
  const children = new Set<ChildProcess>();
  let stopping = false;

  const start = (slot: number, first: boolean) => {
    const child = spawn(process.execPath, [...command, ...options.args], {
      env: first ? (options.firstEnv ?? options.env) : options.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(child);
    let buffered = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        // Each worker reports what it injected when it exits, by crash or by SIGTERM.
        if (line.startsWith('fault-stats ')) {
          const counts = JSON.parse(line.slice('fault-stats '.length)) as Partial<
            Record<FaultKind | 'crashHeld', number>
          >;
          for (const kind of Object.keys(stats.faults) as FaultKind[])
            stats.faults[kind] += counts[kind] ?? 0;
          stats.crashesHeld += counts.crashHeld ?? 0;
        }
      }
    });
    // 'close', not 'exit': a child's last stderr lines (its fault-stats) may still be unread at
    // 'exit', and a report read after stop() would then miss them.
    child.on('close', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      stats.restarts++;
      options.log(`worker ${slot} exited (${signal ?? code}); restarting`);
      start(slot, false);
    });
  };
  for (let slot = 1; slot <= options.count; slot++) start(slot, true);

  return {
    stats,
    async stop(): Promise<void> {
      stopping = true;
      const exited = [...children].map((child) => new Promise((resolve) => child.once('close', resolve)));
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(exited);
    },
  };
}
