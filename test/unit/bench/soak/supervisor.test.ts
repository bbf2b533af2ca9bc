import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { superviseWorkers } from '../../../../bench/soak/supervisor.js';

/**
 * A stand-in worker: once its SIGTERM handler is in place it leaves a file in the directory it is
 * given; on SIGTERM it writes a few hundred log lines and then its fault report, as a worker's
 * last lines and `fault-stats` come just before it exits.
 */
const standIn = `
const { writeFileSync } = require('node:fs');
process.on('SIGTERM', () => {
  for (let i = 0; i < 300; i++) process.stderr.write('worker: a long goodbye line to fill the pipe ' + i + '\\n');
  process.stderr.write('fault-stats ' + JSON.stringify({ batchretry: 1, duplicate: 2, crashHeld: 4 }) + '\\n');
  clearInterval(alive); // ends with its output flushed (test/unit/shared/process-output.test.ts)
});
const alive = setInterval(() => undefined, 1000);
writeFileSync(require('node:path').join(process.argv[1], String(process.pid)), '');
`;

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) throw new Error('stand-in workers did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('superviseWorkers', () => {
  it('counts the fault report each worker prints as it stops, after its last log lines', async () => {
    const ready = mkdtempSync(join(tmpdir(), 'supervisor-'));
    const workers = superviseWorkers({
      count: 3,
      args: [ready],
      env: process.env,
      log: () => undefined,
      command: ['-e', standIn],
    });
    await until(() => readdirSync(ready).length === 3);
    await workers.stop();
    expect(workers.stats.faults.batchretry).toBe(3);
    expect(workers.stats.faults.duplicate).toBe(6);
    expect(workers.stats.crashesHeld).toBe(12);
    expect(workers.stats.restarts).toBe(0);
  });

  it("gives each slot's first process firstEnv and its restarts env", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
    // Leaves a file named after its MARK; the first process of a slot then dies, as a crash would.
    const marking = `
      const { writeFileSync } = require('node:fs');
      writeFileSync(require('node:path').join(process.argv[1], process.env.MARK + '-' + process.pid), '');
      if (process.env.MARK === 'first') process.exit(70);
      const alive = setInterval(() => undefined, 1000);
      process.on('SIGTERM', () => clearInterval(alive));
    `;
    const workers = superviseWorkers({
      count: 3,
      args: [dir],
      env: { ...process.env, MARK: 'later' },
      firstEnv: { ...process.env, MARK: 'first' },
      log: () => undefined,
      command: ['-e', marking],
    });
    await until(() => readdirSync(dir).filter((name) => name.startsWith('later-')).length === 3);
    await workers.stop();
    const marks = readdirSync(dir).map((name) => name.split('-')[0]);
    expect(marks.filter((mark) => mark === 'first')).toHaveLength(3);
    expect(marks.filter((mark) => mark === 'later')).toHaveLength(3);
    expect(workers.stats.restarts).toBe(3);
  });
});
