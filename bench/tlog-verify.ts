/**
 * `audit verify --all`'s memory with the transparency log (issue 23: "≤ 256 MiB RSS at 10^6 objects,
 * measured or projected from a measured 10^5"):
 *   npm run bench:tlog-verify -- [--chunks 100,1000] [--per-chunk 100] [--heap-cap MiB] [--keep]
 * Writes closed runs of synthetic committed chunks (real claims, chunk logs and commits; no objects)
 * to tables and an audit bucket of its own, has the deployment's sequencer append every chunk as a
 * leaf (signed by the deployment's KMS key, which setup creates), and after each step runs the built CLI's `audit verify --all` under
 * /usr/bin/time: its peak RSS and wall time, then again for its live heap (bench/live-heap.cjs),
 * and with --heap-cap under a capped V8 heap. The last two steps project linearly to 10^6 objects.
 * Figures, never assertions; the last line is JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbChunkStore } from '../shared/chunks/dynamodb-chunk-store.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { ensureAuditTrail, ensureTables } from '../shared/infra/provision.js';
import { exitAfterOutput } from '../shared/process-output.js';
import { RunStore } from '../shared/runs/run-store.js';
import { processShardPool } from '../shared/runs/shard-pool.js';
import { writeSyntheticRun } from '../test/helpers/synthetic-chunks.js';
import { sequenceCommitted } from '../test/helpers/tlog-s3.js';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100,1000' },
    'per-chunk': { type: 'string', default: '100' },
    /** Also run each measurement with the V8 heap capped at this many MiB (`--max-old-space-size`). */
    'heap-cap': { type: 'string' },
    /** Keep the tables, the bucket and the key, and print the environment to reuse them. */
    keep: { type: 'boolean', default: false },
  },
});
const steps = values.chunks.split(',').map(Number);
const perChunk = Number(values['per-chunk']);
const log = (line: string) => process.stderr.write(`${line}\n`);
if (!existsSync('dist/cli/main.js')) {
  log('bench: run `npm run build` first (the CLI is measured as installed, from dist/)');
  await exitAfterOutput(2);
}

const prefix = `bench-tlog-${Date.now()}`;
Object.assign(process.env, {
  S3SEAL_LEDGER_TABLE: `${prefix}-ledger`,
  S3SEAL_AUDIT_TABLE: `${prefix}-audit`,
  S3SEAL_AUDIT_BUCKET: `${prefix}-audit-trail`,
  S3SEAL_AUDIT_PREFIX: 'audit/',
  S3SEAL_AUDIT_RETENTION_DAYS: '0',
  S3SEAL_TLOG_PREFIX: 'tlog/',
});
const { config, clients } = handlerRuntime();
await ensureTables(clients.dynamo, config);
await ensureAuditTrail(clients, config);
const runs = new RunStore(clients.dynamo, config.ledgerTable);
const chunks = new DynamoDbChunkStore(
  clients.dynamo,
  config.ledgerTable,
  processShardPool(config.tallyShards),
);

interface Measured {
  chunks: number;
  objects: number;
  leaves: number;
  rssMiB: number;
  seconds: number;
  /** The peak heap in use after full GCs (bench/live-heap.cjs), in a second run. */
  liveMiB: number;
  writeSeconds: number;
  sequenceSeconds: number;
  /** With the heap capped at `--heap-cap` MiB: peak RSS and seconds (it must still pass). */
  capped?: { rssMiB: number; seconds: number };
}
const results: Measured[] = [];

const heapCap = values['heap-cap'] === undefined ? undefined : Number(values['heap-cap']);

/**
 * Runs the built CLI under /usr/bin/time: peak RSS (KiB) and wall seconds; `cap`: V8 heap limit,
 * MiB; `live`: with bench/live-heap.cjs, which reports the peak heap in use after full GCs.
 */
function measure(args: string[], options: { cap?: number; live?: boolean } = {}) {
  const node = [
    ...(options.cap === undefined ? [] : [`--max-old-space-size=${options.cap}`]),
    ...(options.live ? ['--expose-gc', '--require', './bench/live-heap.cjs'] : []),
  ];
  const out = spawnSync(
    '/usr/bin/time',
    ['-f', 'TIME %M %e', process.execPath, ...node, 'bin/s3-seal.js', ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const time = /TIME (\d+) ([\d.]+)/.exec(out.stderr);
  if (!time) throw new Error(`no /usr/bin/time figures: ${out.stderr}`);
  const live = /LIVE-HEAP-PEAK ([\d.]+)/.exec(out.stderr);
  return {
    status: out.status,
    stdout: out.stdout,
    stderr: out.stderr,
    rssMiB: Number(time[1]) / 1024,
    seconds: Number(time[2]),
    ...(live ? { liveMiB: Number(live[1]) } : {}),
  };
}

try {
  const floor = measure(['--help']);
  log(`floor: \`s3-seal --help\` peaks at ${floor.rssMiB.toFixed(1)} MiB`);
  let written = 0;
  for (const target of steps) {
    const started = Date.now();
    await writeSyntheticRun(
      { s3: clients.s3, auditLocation: config.auditLocation, chunks, runs },
      { bucket: `${prefix}-objects`, chunks: target - written, perChunk, concurrency: 16 },
    );
    written = target;
    const sequencedAt = Date.now();
    const { size } = await sequenceCommitted({ clients, config, runs });
    const done = Date.now();
    const run = measure(['audit', 'verify', '--all']);
    const summary = run.stderr.split('\n').filter((line) => /^(whole trail|transparency log)/.test(line));
    if (run.status !== 0)
      throw new Error(`audit verify --all exited ${run.status}:\n${run.stdout}${run.stderr}`);
    const live = measure(['audit', 'verify', '--all'], { live: true });
    const capped =
      heapCap === undefined ? undefined : measure(['audit', 'verify', '--all'], { cap: heapCap });
    if (capped && capped.status !== 0)
      throw new Error(
        `audit verify --all with a ${heapCap} MiB heap exited ${capped.status}:\n${capped.stderr}`,
      );
    results.push({
      chunks: target,
      objects: target * perChunk,
      leaves: size,
      rssMiB: run.rssMiB,
      seconds: run.seconds,
      liveMiB: live.liveMiB ?? Number.NaN,
      writeSeconds: (sequencedAt - started) / 1000,
      sequenceSeconds: (done - sequencedAt) / 1000,
      ...(capped ? { capped: { rssMiB: capped.rssMiB, seconds: capped.seconds } } : {}),
    });
    log(
      `${target * perChunk} objects in ${target} chunk logs, ${size} leaves: peak RSS ${run.rssMiB.toFixed(1)} MiB, ${run.seconds} s; live heap peak ${live.liveMiB} MiB`,
    );
    if (capped)
      log(`  with a ${heapCap} MiB heap: peak RSS ${capped.rssMiB.toFixed(1)} MiB, ${capped.seconds} s`);
    for (const line of summary) log(`  ${line}`);
  }
  // Linear in objects from the last two steps, to 10^6: peak RSS (V8 collects lazily, so this
  // over-states what is kept) and the live heap (what the process keeps alive).
  const [a, b] = results.slice(-2);
  const project = (value: (m: Measured) => number) =>
    a && b && b.objects > a.objects
      ? value(b) + ((value(b) - value(a)) / (b.objects - a.objects)) * (1_000_000 - b.objects)
      : undefined;
  const projected = { rssMiB: project((m) => m.rssMiB), liveMiB: project((m) => m.liveMiB) };
  if (projected.rssMiB !== undefined)
    log(
      `projected to 10^6 objects (linear from the last two): peak RSS ${projected.rssMiB.toFixed(1)} MiB, live heap ${projected.liveMiB!.toFixed(1)} MiB`,
    );
  process.stdout.write(
    `${JSON.stringify({ floorMiB: floor.rssMiB, results, projectedAtMillion: projected })}\n`,
  );
} finally {
  if (values.keep) {
    const kept = ['S3SEAL_LEDGER_TABLE', 'S3SEAL_AUDIT_TABLE', 'S3SEAL_AUDIT_BUCKET'];
    log(`kept: ${kept.map((name) => `${name}=${process.env[name]}`).join(' ')}`);
  } else {
    for (const table of [config.ledgerTable, config.auditTable])
      await clients.dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  }
}
await exitAfterOutput(0);
