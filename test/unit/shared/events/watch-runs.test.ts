import { describe, expect, it } from 'vitest';
import { WatchRuns } from '../../../../shared/events/watch-runs.js';

const chunk = {
  runId: 'watch-b-2026-12-06',
  bucket: 'b',
  mode: 'sse-kms' as const,
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
};

describe('WatchRuns', () => {
  it('records the watch run once per process, as an ordinary run naming its bucket, mode and key', async () => {
    const created: unknown[] = [];
    const runs = {
      createOnce: async (run: unknown) => {
        created.push(run);
        return created.length === 1;
      },
    };
    const watch = new WatchRuns(runs);
    const at = new Date('2026-12-06T08:00:00.000Z');
    await watch.record(chunk, at);
    await watch.record(chunk, at);
    expect(created).toEqual([
      {
        runId: 'watch-b-2026-12-06',
        bucket: 'b',
        prefix: '',
        mode: 'sse-kms',
        keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
        startedAt: '2026-12-06T08:00:00.000Z',
        trigger: 'live enforcement (setup --watch)',
        watch: true,
      },
    ]);
  });
});
