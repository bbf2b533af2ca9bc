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
process.env.NODE_NO_WARNINGS = '1';
