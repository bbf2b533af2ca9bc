import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../../cli/plan-report.js';
import { summarise } from '../../../shared/plan/summary.js';
import { emptyTally } from '../../../shared/plan/tally.js';

describe('formatPlan', () => {
  it('prints the read units, the Lambda memory and the monthly cost of the chunk items the run leaves, after the total', () => {
    const tally = emptyTally();
    tally.objects = { count: 1e6, bytes: 4e9 };
    tally.byAction['protect:copy-in-place'] = { count: 1e6, bytes: 4e9 };
    const plan = summarise({
      request: {
        bucket: 'b',
        prefix: '',
        mode: 'sse-kms',
        lambdaConcurrency: 1000,
        prefixPartitions: 1,
        sampleSize: 0,
        concurrency: 1,
        useUpdateObjectEncryption: false,
      },
      policy: { mode: 'sse-kms', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k' },
      tally,
      samples: [],
      listedKeys: 1e6,
    });
    const lines = formatPlan(plan);
    expect(lines.find((l) => l.includes('DynamoDB read units'))).toMatch(/DynamoDB read units\s+80,000$/);
    expect(lines.find((l) => l.includes('Lambda ('))).toMatch(/Lambda \(1,024 MB arm64\)\s+\$0\.0649$/);
    const total = lines.findIndex((l) => /^\s+total\s/.test(l));
    expect(lines[total + 1]).toMatch(
      /^\s+DynamoDB storage left behind \(7\.4 MiB with PITR\), per month\s+\$0\.0032$/,
    );
  });
});
