import { describe, expect, it } from 'vitest';
import { queuedRunLines } from '../../../cli/queued-run.js';

describe('queuedRunLines', () => {
  it('says the run is only queued, on which queue, for whom, and the commands that follow or finish it', () => {
    expect(
      queuedRunLines('R1', 'https://sqs.eu-west-1.amazonaws.com/123456789012/s3-seal-prod-scan'),
    ).toEqual([
      'run R1 is queued on s3-seal-prod-scan, not processed by this command: the deployed Lambda functions or an `s3-seal worker` serving the queues process it (objects too large for Lambda: a worker only)',
      '  follow it:        s3-seal status R1 --watch',
      '  process it here:  s3-seal resume R1',
    ]);
  });

  it('names another command to process it here when resume cannot (an SSE-C migration needs the key)', () => {
    const lines = queuedRunLines('R2', 'http://localhost:4566/000000000000/s3-seal-scan', {
      processHere: 's3-seal worker --sse-c-key-file key.bin --until-idle',
    });
    expect(lines[0]).toMatch(/^run R2 is queued on s3-seal-scan, /);
    expect(lines[2]).toBe('  process it here:  s3-seal worker --sse-c-key-file key.bin --until-idle');
  });
});
