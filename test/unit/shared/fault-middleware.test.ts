import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import { holdCrashesDuringUploads } from '../../../shared/fault-middleware.js';
import { Faults, NO_FAULTS } from '../../../shared/faults.js';

/** An S3 client that answers every command itself, noting how many uploads were in flight then. */
function answeringS3(faults: Faults, seen: number[]) {
  const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  holdCrashesDuringUploads(s3, faults);
  s3.middlewareStack.add(
    () => async () => {
      seen.push(faults.uploadsInFlight);
      return { output: { $metadata: {} }, response: {} };
    },
    { step: 'build', name: 'answer' },
  );
  return s3;
}

describe('holdCrashesDuringUploads', () => {
  it('counts uploads in flight, and only uploads', async () => {
    const faults = new Faults({}, () => 0, { ...NO_FAULTS }, 'exit');
    const seen: number[] = [];
    const s3 = answeringS3(faults, seen);
    await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }));
    await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
    expect(seen).toEqual([1, 0]);
    expect(faults.uploadsInFlight).toBe(0);
  });

  it('holds a crash drawn while an upload is in flight, and reports it held', () => {
    const faults = new Faults({ 'after-s3-write': 1 }, () => 0, { ...NO_FAULTS }, 'exit');
    faults.uploadsInFlight = 1;
    expect(() => faults.check('after-s3-write')).not.toThrow();
    expect(faults.injected.crash).toBe(0);
    expect(faults.crashesHeld).toBe(1);
    expect(JSON.parse(faults.report().slice('fault-stats '.length))).toMatchObject({
      crash: 0,
      crashHeld: 1,
    });
    // A crash that throws (in-process tests) is not held: it ends nothing but its own job.
    const throwing = new Faults({ 'after-s3-write': 1 }, () => 0, { ...NO_FAULTS }, 'throw');
    throwing.uploadsInFlight = 1;
    expect(() => throwing.check('after-s3-write')).toThrow(/after-s3-write/);
  });

  it('starts no upload once a crash is held, and dies as drawn when the last one in flight lands', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('exited');
    }) as never);
    try {
      const faults = new Faults({ 'after-s3-write': 1 }, () => 0, { ...NO_FAULTS }, 'exit');
      faults.uploadsInFlight = 1;
      faults.check('after-s3-write');
      expect(faults.heldCrash).toBe('after-s3-write');
      // A new upload never leaves the process.
      const s3 = answeringS3(faults, []);
      let sent = false;
      void s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' })).then(() => {
        sent = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(sent).toBe(false);
      // The one in flight lands: the process dies now, counted as the crash drawn.
      faults.uploadsInFlight = 0;
      expect(() => faults.uploadLanded()).toThrow('exited');
      expect(exit).toHaveBeenCalledWith(70);
      expect(faults.injected.crash).toBe(1);
    } finally {
      exit.mockRestore();
    }
  });
});
