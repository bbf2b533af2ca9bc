import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Integration tests talk to the local stack through the same standard variables every command
 * reads: load localstack/local.env unless the caller already points elsewhere.
 */
const envFile = fileURLToPath(new URL('../../localstack/local.env', import.meta.url));
for (const line of readFileSync(envFile, 'utf8').split('\n')) {
  const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
  if (match && process.env[match[1]!] === undefined) process.env[match[1]!] = match[2]!;
}
// The audit bucket integration tests share is created without a default retention: an audit
// verify test deletes a chunk log to prove a missing one is caught, and Object Lock refuses to
// delete a locked version (LocalStack 4.10 enforces it). setup.test.ts checks the retention itself.
process.env.S3SEAL_AUDIT_RETENTION_DAYS ??= '0';
process.env.NODE_NO_WARNINGS = '1';
