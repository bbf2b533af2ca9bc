import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createSequencerHandler } from '../../../functions/sequencer/handler.js';
import type { LeafRequest } from '../../../shared/transparency/leaf-request.js';

const request: LeafRequest = {
  runId: '20261207T000000-aaaaaaaa',
  chunkId: 'ab'.repeat(12),
  leaf: { bucket: 'audit-trail', key: 'audit/x/1.jsonl.gz', sha256: 'cd'.repeat(32) },
};
const event = (...bodies: string[]): SQSEvent =>
  ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) }) as unknown as SQSEvent;

describe('sequencer handler', () => {
  it('appends the whole batch at once and reports only malformed messages failed', async () => {
    const calls: LeafRequest[][] = [];
    const handler = createSequencerHandler(() => ({
      sequence: async (requests) => {
        calls.push([...requests]);
        return { appended: requests.length, alreadyInLog: 0, refused: [], size: 2 };
      },
    }));
    const bad = JSON.stringify({ ...request, leaf: { ...request.leaf, sha256: 'nope' } });
    const response = await handler(
      event(
        JSON.stringify(request),
        'not json',
        bad,
        JSON.stringify({ ...request, chunkId: 'ef'.repeat(12) }),
      ),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect(calls).toEqual([[request, { ...request, chunkId: 'ef'.repeat(12) }]]);
  });

  it('throws when appending fails, so the whole batch comes back', async () => {
    const handler = createSequencerHandler(() => ({
      sequence: async () => {
        throw new Error('DynamoDB unavailable');
      },
    }));
    await expect(handler(event(JSON.stringify(request)))).rejects.toThrow('DynamoDB unavailable');
  });
});
