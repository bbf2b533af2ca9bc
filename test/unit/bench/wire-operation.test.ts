import { describe, expect, it } from 'vitest';
import { wireOperation } from '../../../bench/wire-operation.js';

const request = (method: string, url: string, headers: Record<string, string> = {}) => ({
  method,
  url,
  headers,
});
const none = Buffer.alloc(0);

describe('wireOperation', () => {
  it('names JSON-protocol requests by their target, DynamoDB by the endpoint it came to', () => {
    const target = (t: string) => request('POST', '/', { 'x-amz-target': t });
    expect(wireOperation(target('DynamoDB_20120810.BatchGetItem'), none, true)).toBe('dynamo.BatchGetItem');
    expect(wireOperation(target('AmazonSQS.ReceiveMessage'), none, false)).toBe('sqs.ReceiveMessage');
    expect(wireOperation(target('TrentService.DescribeKey'), none, false)).toBe('kms.DescribeKey');
    const form = request('POST', '/', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(wireOperation(form, Buffer.from('Action=GetQueueUrl&QueueName=q'), false)).toBe('sqs.GetQueueUrl');
  });

  it('names S3 requests by their REST shape', () => {
    const s3 = (method: string, url: string, headers?: Record<string, string>) =>
      wireOperation(request(method, url, headers), none, false);
    expect(s3('GET', '/b?list-type=2&prefix=a%2F')).toBe('s3.ListObjectsV2');
    expect(s3('HEAD', '/b')).toBe('s3.HeadBucket');
    expect(s3('GET', '/b?versioning')).toBe('s3.GetBucketVersioning');
    expect(s3('HEAD', '/b/k/1.json')).toBe('s3.HeadObject');
    expect(s3('GET', '/b/k')).toBe('s3.GetObject');
    expect(s3('PUT', '/b/k', { 'x-amz-copy-source': '/b/k' })).toBe('s3.CopyObject');
    expect(s3('PUT', '/b/k?partNumber=2&uploadId=u', { 'x-amz-copy-source': '/b/k' })).toBe(
      's3.UploadPartCopy',
    );
    expect(s3('PUT', '/b/k')).toBe('s3.PutObject');
    expect(s3('POST', '/b/k?uploadId=u')).toBe('s3.CompleteMultipartUpload');
  });
});
