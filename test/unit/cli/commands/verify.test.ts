import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgram } from '../../../../cli/program.js';
import { answeringS3, listBucketResult, type SentRequest } from '../../../helpers/answering-s3.js';

// verify builds its clients through the CLI runtime: hand it an S3 client that answers locally.
const runtime = vi.hoisted(() => ({ s3: undefined as unknown }));
vi.mock('../../../../cli/runtime.js', () => ({
  cliRuntime: () => ({ clients: { s3: runtime.s3, kms: undefined } }),
}));

const found = { headers: { etag: '"e1"', 'content-length': '3', 'x-amz-server-side-encryption': 'AES256' } };

/**
 * A bucket listing `listed` (the first listing) whose HEAD finds only `present`; a second listing
 * (verify's re-check of one key) shows `stillListed`.
 */
function bucket(listed: string[], present: string[], stillListed: string[]) {
  let listings = 0;
  return answeringS3((request: SentRequest) => {
    if (request.method === 'HEAD' && /^\/bkt\/?$/.test(request.path)) return {}; // HeadBucket
    if (request.method === 'HEAD') {
      const key = decodeURIComponent(request.path.slice('/bkt/'.length));
      return present.includes(key) ? found : { status: 404 };
    }
    const keys = listings++ === 0 ? listed : stillListed;
    return { body: listBucketResult({ encoded: true, keys: keys.map(encodeURIComponent) }) };
  });
}

async function verify(): Promise<{ exitCode: number | undefined; lines: string[] }> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  const program = createProgram();
  process.exitCode = undefined;
  await program.parseAsync(['node', 's3-seal', 'verify', 's3://bkt']);
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { exitCode, lines };
}

describe('s3-seal verify on a listed key that HEAD cannot find', () => {
  beforeEach(() => {
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reports a key still listed but not found as not compliant, and exits 1', async () => {
    runtime.s3 = bucket(['ok', 'a\rb'], ['ok'], ['a\rb']).s3;
    const { exitCode, lines } = await verify();
    expect(lines).toContain(
      'NOT COMPLIANT  "s3://bkt/a\\rb"  listed, but HEAD finds no object with this exact key (404)',
    );
    expect(lines.at(-1)).toBe('verified 2 objects under s3://bkt/: 1 compliant, 1 not');
    expect(exitCode).toBe(1);
  });

  it('names a key deleted while verify ran, without counting it compliant', async () => {
    runtime.s3 = bucket(['ok', 'gone'], ['ok'], []).s3;
    const { exitCode, lines } = await verify();
    expect(lines).toContain('GONE  s3://bkt/gone  deleted while verify ran');
    expect(lines.at(-1)).toBe(
      'verified 2 objects under s3://bkt/: 1 compliant, 0 not, 1 deleted while verify ran',
    );
    expect(exitCode).toBe(0);
  });
});
