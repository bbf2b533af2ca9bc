import { spawnSync } from 'node:child_process';
import { ensureAuditTrail, ensureQueues, ensureTables } from '../../shared/infra/provision.js';
import { ensureDemoKey } from '../demo-key.js';
import { cliRuntime } from '../runtime.js';
import { seedDemoBucket } from '../seed-bucket.js';
import { encryptCommand } from './encrypt.js';

const MiB = 1024 * 1024;

export async function demoCommand(options: { objects: number }): Promise<number> {
  // Lower the multipart threshold so the demo's one large object goes through multipart upload.
  process.env.S3SEAL_MULTIPART_THRESHOLD_BYTES ??= String(8 * MiB);
  const { config, clients } = cliRuntime();
  console.log('1/4 setup: queues, dead-letter queues, ledger and audit tables, audit bucket');
  await ensureQueues(clients.sqs, config);
  await ensureTables(clients.dynamo, config);
  const [trail, signingKey] = await ensureAuditTrail(clients, config);
  console.log(`    audit trail ${trail!.id} (${trail!.note})`);
  console.log(`    transparency log signed by ${signingKey!.name} (${signingKey!.note})`);
  const keyArn = await ensureDemoKey(clients.kms, 'alias/s3-seal-demo');
  const bucket = `s3-seal-demo-${Date.now()}`;
  console.log(
    `2/4 seeding s3://${bucket} with ${options.objects} unencrypted objects (awkward keys, one ${24} MiB object)`,
  );
  const seeded = await seedDemoBucket(clients.s3, bucket, {
    objects: options.objects,
    largeObjectBytes: 24 * MiB,
  });
  console.log(`    ${seeded.objects} objects, ${(seeded.bytes / MiB).toFixed(1)} MiB`);
  console.log(`3/4 encrypting in envelope mode under alias/s3-seal-demo (${keyArn})`);
  const code = await encryptCommand([`s3://${bucket}`], {
    mode: 'envelope',
    key: 'alias/s3-seal-demo',
    local: true,
    pollers: 4,
  });
  console.log(`4/4 verifying every object independently of the pipeline's own bookkeeping`);
  // verify runs as its own process, exactly as a user would run it.
  // execArgv carries `--import tsx` when the demo runs from the sources (`npm run seal -- demo`).
  const verify = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1]!, 'verify', `s3://${bucket}`],
    {
      stdio: 'inherit',
    },
  );
  // The run's decisions are leaves of the transparency log: its signed checkpoint, as stored.
  console.log('\nThe transparency log that now holds the run (audit checkpoint):');
  const checkpoint = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1]!, 'audit', 'checkpoint'],
    {
      stdio: 'inherit',
    },
  );
  console.log(
    `\nTry: npx s3-seal decrypt 's3://${bucket}/${seeded.sampleKey}'  (with localstack/local.env sourced)` +
      `\n     npx s3-seal audit proof 's3://${bucket}/${seeded.sampleKey}'  (evidence anyone can check offline)`,
  );
  return code !== 0 ? code : verify.status !== 0 ? (verify.status ?? 1) : (checkpoint.status ?? 1);
}
