import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { ChunkItem } from '../../../../shared/chunks/chunk-store.js';
import {
  LOCAL_BATCH,
  LOCAL_MAX_WAIT_MS,
  LocalCommitFeed,
  QueueCommitFeed,
} from '../../../../shared/transparency/commit-feed.js';
import type { LeafRequest } from '../../../../shared/transparency/leaf-request.js';
import type { SequenceResult } from '../../../../shared/transparency/log-sequencer.js';
import { feedingUnsequenced } from '../../../../shared/transparency/unsequenced-chunks.js';

const request = (n: number): LeafRequest => ({
  runId: 'run',
  chunkId: n.toString(16).padStart(24, '0'),
  leaf: { bucket: 'audit', key: `audit/run/${n}/1.jsonl.gz`, sha256: 'a'.repeat(64) },
});

/** A sequencer that records each call, failing the first `failures` of them. */
function recordingSequencer(failures = 0) {
  const calls: LeafRequest[][] = [];
  let left = failures;
  return {
    calls,
    async sequence(requests: readonly LeafRequest[]): Promise<SequenceResult> {
      if (left-- > 0) throw new Error('KMS unavailable');
      calls.push([...requests]);
      return { appended: requests.length, alreadyInLog: 0, refused: [], size: 0 };
    },
  };
}

describe('LocalCommitFeed', () => {
  it('appends after a batch only when 99 gathered or the oldest waited 30 s', async () => {
    let now = 0;
    const sequencer = recordingSequencer();
    const feed = new LocalCommitFeed(sequencer, () => now);
    for (let i = 0; i < LOCAL_BATCH - 1; i++) feed.add(request(i));
    await feed.afterBatch();
    expect(sequencer.calls).toHaveLength(0);
    feed.add(request(98));
    await feed.afterBatch();
    expect(sequencer.calls.map((c) => c.length)).toEqual([LOCAL_BATCH]);

    feed.add(request(200));
    now += LOCAL_MAX_WAIT_MS - 1;
    await feed.afterBatch();
    expect(sequencer.calls).toHaveLength(1);
    now += 1;
    await feed.afterBatch();
    expect(sequencer.calls.map((c) => c.length)).toEqual([LOCAL_BATCH, 1]);
  });

  it('keeps what a failed append held, and appends it with the next flush', async () => {
    const sequencer = recordingSequencer(1);
    const feed = new LocalCommitFeed(sequencer);
    feed.add(request(1));
    await expect(feed.flush()).rejects.toThrow('KMS unavailable');
    feed.add(request(2));
    await feed.flush();
    expect(sequencer.calls).toEqual([[request(1), request(2)]]);
  });

  it('fails no batch when an append after it fails', async () => {
    const sequencer = recordingSequencer(1);
    const feed = new LocalCommitFeed(sequencer);
    for (let i = 0; i < LOCAL_BATCH; i++) feed.add(request(i));
    await expect(feed.afterBatch()).resolves.toBeUndefined();
    await feed.flush();
    expect(sequencer.calls[0]).toHaveLength(LOCAL_BATCH);
  });
});

/** An SQS client that records each SendMessageBatch's bodies, failing the first `failures` calls. */
function recordingQueue(failures = 0) {
  const sent: string[][] = [];
  let left = failures;
  const sqs = {
    async send(command: { input: { Entries: Array<{ MessageBody: string }> } }) {
      if (left-- > 0) throw new Error('SQS unavailable');
      sent.push(command.input.Entries.map((entry) => JSON.parse(entry.MessageBody).chunkId));
      return {};
    },
  } as unknown as SQSClient;
  return { sqs, sent };
}

describe('QueueCommitFeed', () => {
  it('sends a chunk once: one its run’s close adds again after it was sent is not sent again', async () => {
    const { sqs, sent } = recordingQueue();
    const feed = new QueueCommitFeed(sqs, 'queue');
    feed.add(request(1));
    feed.add(request(2));
    await feed.afterBatch();
    // The close finds both committed and still without a leaf (the queue not drained yet), and a third.
    for (const n of [1, 2, 3]) feed.add(request(n));
    await feed.flush();
    expect(sent).toEqual([[request(1).chunkId, request(2).chunkId], [request(3).chunkId]]);
  });

  it('keeps what a failed send held and sends it next time, remembering only what was sent', async () => {
    const { sqs, sent } = recordingQueue(1);
    const feed = new QueueCommitFeed(sqs, 'queue');
    feed.add(request(1));
    await expect(feed.afterBatch()).rejects.toThrow('SQS unavailable');
    await feed.flush();
    expect(sent).toEqual([[request(1).chunkId]]);
    // Sent now: a close that finds it without a leaf adds nothing more.
    feed.add(request(1));
    await feed.flush();
    expect(sent).toHaveLength(1);
  });

  it('remembers only the newest chunks it sent', async () => {
    const { sqs, sent } = recordingQueue();
    const feed = new QueueCommitFeed(sqs, 'queue', 2);
    for (const n of [1, 2, 3]) feed.add(request(n));
    await feed.flush();
    for (const n of [1, 2, 3]) feed.add(request(n));
    await feed.flush();
    expect(sent).toEqual([[1, 2, 3].map((n) => request(n).chunkId), [request(1).chunkId]]);
  });
});

describe('feedingUnsequenced', () => {
  it('hands on the committed chunks without a leaf, and yields every item unchanged', async () => {
    const base = { runId: 'run', attempt: 1, membership: 'm', salts: [], firstClaimedAt: '', updatedAt: '' };
    const items: ChunkItem[] = [
      { ...base, chunkId: 'a1', state: 'DONE', logKey: 'k1', logSha256: 'b'.repeat(64), leafIndex: 4 },
      { ...base, chunkId: 'a2', state: 'DONE', logKey: 'k2', logSha256: 'c'.repeat(64) },
      { ...base, chunkId: 'a3', state: 'IN_PROGRESS' },
    ];
    const added: LeafRequest[] = [];
    async function* listed() {
      yield* items;
    }
    const feed = {
      add: (r: LeafRequest) => void added.push(r),
      afterBatch: async () => {},
      flush: async () => {},
    };
    const seen: ChunkItem[] = [];
    for await (const item of feedingUnsequenced(listed(), 'audit', feed)) seen.push(item);
    expect(seen).toEqual(items);
    expect(added).toEqual([
      { runId: 'run', chunkId: 'a2', leaf: { bucket: 'audit', key: 'k2', sha256: 'c'.repeat(64) } },
    ]);
  });
});
