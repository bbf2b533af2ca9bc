import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';

/** One HTTP request the S3 client sent: method, path and query as the SDK built them. */
export interface SentRequest {
  method: string;
  path: string;
  query: Record<string, string | string[] | null>;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** Text (XML) or bytes (an object's body). */
  body?: string | Buffer;
}

/**
 * An S3 client whose HTTP layer answers from `respond` instead of the network: the SDK still
 * builds, signs and parses real requests and responses (its XML parser included), so a test sees
 * exactly what S3's bytes turn into. Records every request.
 */
export function answeringS3(respond: (request: SentRequest) => Answer) {
  const sent: SentRequest[] = [];
  const s3 = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { method: string; path: string; query?: SentRequest['query'] }) => {
        const seen = { method: request.method, path: request.path, query: request.query ?? {} };
        sent.push(seen);
        const answer = respond(seen);
        return {
          response: {
            statusCode: answer.status ?? 200,
            headers: answer.headers ?? {},
            body: Readable.from([
              Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body ?? ''),
            ]),
          },
        };
      },
    },
  });
  return { s3, sent };
}

/** A ListObjectsV2 response body; `encoded` adds the EncodingType element S3 echoes. */
export function listBucketResult(options: {
  keys: string[];
  commonPrefixes?: string[];
  encoded?: boolean;
  nextToken?: string;
}): string {
  const contents = options.keys
    .map(
      (key) =>
        `<Contents><Key>${key}</Key><ETag>&quot;e&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join('');
  const prefixes = (options.commonPrefixes ?? [])
    .map((p) => `<CommonPrefixes><Prefix>${p}</Prefix></CommonPrefixes>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>${options.keys.length}</KeyCount><MaxKeys>1000</MaxKeys>${options.encoded ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${options.nextToken ? 'true' : 'false'}</IsTruncated>${options.nextToken ? `<NextContinuationToken>${options.nextToken}</NextContinuationToken>` : ''}${contents}${prefixes}</ListBucketResult>`;
}
