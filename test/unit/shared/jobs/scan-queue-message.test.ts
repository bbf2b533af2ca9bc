import { describe, expect, it } from 'vitest';
import { MalformedMessageError, parseScanQueueMessage } from '../../../../shared/jobs/messages.js';

const inventoryFile = {
  type: 'inventory-file',
  runId: 'r1',
  bucket: 'data-bucket',
  mode: 'sse-s3',
  page: 2,
  files: 3,
  filesBucket: 'reports',
  fileFormat: 'Parquet',
  columns: ['bucket', 'key'],
  file: { key: 'inv/data/part-1.parquet', size: 10, MD5checksum: 'a'.repeat(32) },
};

describe('parseScanQueueMessage', () => {
  it('reads an inventory data file message by its type, and a listing page otherwise', () => {
    expect(parseScanQueueMessage(JSON.stringify(inventoryFile))).toMatchObject({
      type: 'inventory-file',
      page: 2,
      prefix: '',
    });
    const scan = { type: 'scan', runId: 'r1', bucket: 'data-bucket', mode: 'sse-s3', page: 1 };
    expect(parseScanQueueMessage(JSON.stringify(scan))).toMatchObject({ type: 'scan', page: 1 });
  });

  it('names the problem of a malformed inventory message', () => {
    const { files: _files, ...missing } = inventoryFile;
    expect(() => parseScanQueueMessage(JSON.stringify(missing))).toThrow(MalformedMessageError);
    expect(() => parseScanQueueMessage(JSON.stringify(missing))).toThrow(/files/);
    const kms = { ...inventoryFile, mode: 'sse-kms' };
    expect(() => parseScanQueueMessage(JSON.stringify(kms))).toThrow(/keyArn is required/);
    expect(() => parseScanQueueMessage(JSON.stringify({ ...inventoryFile, fileFormat: 'ORC' }))).toThrow(
      /fileFormat/,
    );
  });

  it("reads a re-wrap run's inventory data file message by its type, and names what is missing", () => {
    const { mode: _mode, type: _type, ...file } = inventoryFile;
    const rewrap = {
      ...file,
      type: 'rewrap-inventory-file',
      fromKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/a',
      toKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/b',
    };
    expect(parseScanQueueMessage(JSON.stringify(rewrap))).toMatchObject({
      type: 'rewrap-inventory-file',
      page: 2,
      prefix: '',
      rowStart: 0,
      chunk: 1,
    });
    const { toKeyArn: _to, ...noTarget } = rewrap;
    expect(() => parseScanQueueMessage(JSON.stringify(noTarget))).toThrow(/toKeyArn/);
  });

  it('refuses a chunk message sent to the scan queue, naming its type', () => {
    const chunk = { type: 'encrypt-chunk', runId: 'r1', bucket: 'data-bucket', mode: 'sse-s3', page: 1 };
    expect(() => parseScanQueueMessage(JSON.stringify(chunk))).toThrow(MalformedMessageError);
    expect(() => parseScanQueueMessage(JSON.stringify(chunk))).toThrow(/type/);
  });
});
