import { type Command, Option } from 'commander';
import { isCompliant } from '../../shared/compliance.js';
import { classifyClientSide, ENVELOPE_FORMATS, type EnvelopeFormat } from '../../shared/envelope/format.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { describeError } from '../../shared/errors.js';
import { assertBucketReachable } from '../../shared/jobs/start-run.js';
import { resolveUsableKey } from '../../shared/kms/key-service.js';
import { PROTECTION_MODES, type ProtectionMode, type ProtectionPolicy } from '../../shared/policy.js';
import { headListedObject } from '../../shared/s3/head-listed.js';
import { listObjectPages } from '../../shared/s3/list-objects.js';
import type { ObjectHead } from '../../shared/s3/object-head.js';
import { loadSseCustomerKeyFile, type SseCustomerKey } from '../../shared/s3/sse-c-key.js';
import { displayS3Uri, parseS3Uri } from '../../shared/s3-uri.js';
import { cliRuntime } from '../runtime.js';
import { reportVersionsLeft } from '../versions-left.js';

interface VerifyOptions {
  mode?: ProtectionMode;
  format?: EnvelopeFormat;
  key?: string;
  concurrency: string;
  sseCKeyFile?: string;
  versions?: boolean;
}

/** What is wrong with one object, or undefined when it is compliant. */
async function problemWith(
  head: ObjectHead,
  policy: ProtectionPolicy | undefined,
  kms: ReturnType<typeof cliRuntime>['clients']['kms'],
): Promise<string | undefined> {
  // SSE-C is protection s3-seal can neither check nor manage (README, "SSE-C objects").
  if (head.sseCustomerAlgorithm) return describeSseCustomer(head);
  const clientSide = classifyClientSide(head.metadata);
  if (clientSide.kind === 'unreadable')
    return `client-side format s3-seal cannot verify: ${clientSide.detail}`;
  if (clientSide.kind === 'malformed') return `malformed envelope: ${clientSide.detail}`;
  if (clientSide.kind === 'readable') {
    const format = clientSide.envelope.format;
    if (policy?.mode === 'envelope' && policy.format === 'v3' && format !== 'v3') {
      return `S3EC ${format} envelope, not v3 (upgrade it: encrypt --mode envelope --upgrade-format)`;
    }
    try {
      const keyArn = await checkDataKeyUnwraps(kms, head.metadata);
      if (policy?.keyArn && policy.mode === 'envelope' && keyArn !== policy.keyArn) {
        return `S3EC ${format} data key is wrapped under ${keyArn}, not ${policy.keyArn}`;
      }
      return undefined;
    } catch (error) {
      return `S3EC ${format} data key does not unwrap: ${describeError(error)}`;
    }
  }
  if (policy) {
    return isCompliant(head, policy)
      ? undefined
      : `not ${policy.mode}${policy.keyArn ? ` under ${policy.keyArn}` : ''} (${describe(head)})`;
  }
  // Without a policy: any protection s3-seal applies counts (SSE-S3, SSE-KMS, DSSE-KMS, envelope).
  return head.serverSideEncryption ? undefined : 'unencrypted';
}

function describeSseCustomer(head: ObjectHead): string {
  if (head.sseCustomerKeyMatches === true) {
    return 'SSE-C (customer-provided key; the given key opens it: encrypt --sse-c-key-file migrates it)';
  }
  if (head.sseCustomerKeyMatches === false) return 'SSE-C (customer-provided key; not the given key)';
  return 'SSE-C (customer-provided key)';
}

function describe(head: ObjectHead): string {
  if (head.sseCustomerAlgorithm) return 'SSE-C';
  if (!head.serverSideEncryption) return 'unencrypted';
  return head.kmsKeyArn ? `${head.serverSideEncryption} under ${head.kmsKeyArn}` : head.serverSideEncryption;
}

async function verifyCommand(uri: string, options: VerifyOptions): Promise<number> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  const customerKey = options.sseCKeyFile ? await loadSseCustomerKeyFile(options.sseCKeyFile) : undefined;
  try {
    return await verifyObjects(bucket, prefix, options, customerKey);
  } finally {
    customerKey?.destroy();
  }
}

async function verifyObjects(
  bucket: string,
  prefix: string,
  options: VerifyOptions,
  customerKey: SseCustomerKey | undefined,
): Promise<number> {
  const { clients } = cliRuntime();
  await assertBucketReachable(clients.s3, bucket);
  const policy: ProtectionPolicy | undefined = options.mode
    ? {
        mode: options.mode,
        keyArn: options.key ? await resolveUsableKey(clients.kms, options.key) : undefined,
        format: options.format,
      }
    : undefined;
  const concurrency = Number(options.concurrency);
  let checked = 0;
  let problems = 0;
  let gone = 0;
  let sseCustomer = 0;
  for await (const page of listObjectPages(clients.s3, { bucket, prefix })) {
    const keys = page.objects.map((o) => o.key);
    for (let i = 0; i < keys.length; i += concurrency) {
      const found = await Promise.all(
        keys.slice(i, i + concurrency).map(async (key) => {
          try {
            const listed = await headListedObject(clients.s3, bucket, key, { sseCustomerKey: customerKey });
            if (listed.state === 'found') {
              const problem = await problemWith(listed.head, policy, clients.kms);
              return { key, problem, sseC: Boolean(listed.head.sseCustomerAlgorithm) };
            }
            // Never compliant: a listed key HEAD cannot reach is a problem; a deleted one is named.
            if (listed.state === 'gone') return { key, gone: true };
            return { key, problem: 'listed, but HEAD finds no object with this exact key (404)' };
          } catch (error) {
            // One object S3 will not describe must not hide the verdict on all the others.
            return { key, problem: `HEAD failed: ${describeError(error)}`, unchecked: true };
          }
        }),
      );
      for (const { key, problem, gone: deleted, sseC, unchecked } of found) {
        checked++;
        if (sseC) sseCustomer++;
        if (deleted) {
          gone++;
          console.log(`GONE  ${displayS3Uri({ bucket, key })}  deleted while verify ran`);
        } else if (problem) {
          problems++;
          console.log(
            `${unchecked ? 'NOT CHECKED  ' : 'NOT COMPLIANT'}  ${displayS3Uri({ bucket, key })}  ${problem}`,
          );
        }
      }
      if (process.stderr.isTTY) process.stderr.write(`\rverified ${checked} objects…`);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(
    `verified ${checked} objects under ${displayS3Uri({ bucket, key: prefix })}: ${checked - problems - gone} compliant, ${problems} not` +
      (sseCustomer > 0 ? ` (${sseCustomer} SSE-C)` : '') +
      (gone > 0 ? `, ${gone} deleted while verify ran` : ''),
  );
  // Older versions are not what a run protects, but their plaintext is still there: count it, and
  // with --versions name each one and count them as problems.
  const left = await reportVersionsLeft(clients.s3, { bucket, prefix }, { list: options.versions === true });
  if (options.versions) problems += left.plaintext.length;
  return problems > 0 ? 1 : 0;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('report every object that is not protected, or whose envelope data key does not unwrap')
    .argument('<s3-uri>', 's3://BUCKET[/PREFIX]')
    .addOption(
      new Option('--mode <mode>', 'require this protection mode (default: any protection)').choices(
        PROTECTION_MODES,
      ),
    )
    .option('--key <key>', 'with --mode: require this KMS key')
    .addOption(
      new Option(
        '--format <format>',
        'with --mode envelope: require this S3EC format (v3 after an upgrade)',
      ).choices(ENVELOPE_FORMATS),
    )
    .option('--concurrency <n>', 'objects checked at once', '16')
    .option(
      '--sse-c-key-file <file>',
      'also tell which SSE-C objects this customer key (raw or base64) opens',
    )
    .option(
      '--versions',
      'versioned buckets: list every plaintext noncurrent version, and count them as not compliant',
    )
    .addHelpText(
      'after',
      '\nExits 1 if any object is not compliant. In a versioned bucket it also counts the plaintext\nnoncurrent versions s3-seal leaves (it never deletes versions); --versions lists them.',
    )
    .action(async (uri: string, options: VerifyOptions) => {
      process.exitCode = await verifyCommand(uri, options);
    });
}
