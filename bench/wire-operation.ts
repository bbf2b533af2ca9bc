import type { IncomingHttpHeaders } from 'node:http';

/**
 * The AWS operation an HTTP request to the local stack is, from what a proxy sees on the wire
 * (bench/wire-count.ts): the JSON protocols' `X-Amz-Target` (DynamoDB, SQS, KMS), an SQS query
 * protocol `Action`, else S3's REST shape (path-style: `/<bucket>` or `/<bucket>/<key>`).
 */
export function wireOperation(
  request: { method?: string; url?: string; headers: IncomingHttpHeaders },
  body: Buffer,
  dynamo: boolean,
): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [service = '', operation = ''] = target.split('.');
    const name = dynamo
      ? 'dynamo'
      : service.startsWith('AmazonSQS')
        ? 'sqs'
        : service.startsWith('TrentService')
          ? 'kms'
          : service;
    return `${name}.${operation}`;
  }
  if (String(request.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
    const action = new URLSearchParams(body.toString()).get('Action');
    if (action) return `sqs.${action}`;
  }
  return `s3.${s3Operation(request)}`;
}

function s3Operation(request: { method?: string; url?: string; headers: IncomingHttpHeaders }): string {
  const url = new URL(request.url ?? '/', 'http://local');
  const onBucket = url.pathname.split('/').filter(Boolean).length <= 1;
  const query = url.searchParams;
  const method = request.method ?? 'GET';
  if (onBucket) {
    for (const [param, operation] of [
      ['list-type', 'ListObjectsV2'],
      ['versions', 'ListObjectVersions'],
      ['versioning', 'GetBucketVersioning'],
      ['ownershipControls', 'GetBucketOwnershipControls'],
      ['uploads', 'ListMultipartUploads'],
      ['delete', 'DeleteObjects'],
    ] as const)
      if (query.has(param)) return operation;
    if (method === 'HEAD') return 'HeadBucket';
    return `${method}Bucket${[...query.keys()].map((k) => `?${k}`).join('')}`;
  }
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET')
    return query.has('tagging') ? 'GetObjectTagging' : query.has('acl') ? 'GetObjectAcl' : 'GetObject';
  if (method === 'PUT') {
    if (query.has('partNumber'))
      return request.headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
    if (request.headers['x-amz-copy-source']) return 'CopyObject';
    return query.has('tagging') ? 'PutObjectTagging' : 'PutObject';
  }
  if (method === 'POST')
    return query.has('uploads')
      ? 'CreateMultipartUpload'
      : query.has('uploadId')
        ? 'CompleteMultipartUpload'
        : 'PostObject';
  if (method === 'DELETE') return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  return method;
}
