/**
 * Inventory enumeration rate on the local stack, and the projection for 10^9 objects:
 *   bash localstack/with-local-env.sh node --import tsx bench/projection.ts [-- --rows N --files F]
 * Writes a CSV.gz and a Parquet inventory of N rows in F data files, reads them through the real
 * reader (GET, MD5 check, parse) with one reader and with F at once, then projects a run over
 * 10^9 objects with shared/plan's request and duration models at the measured per-file rate.
 * Figures, never assertions.
 */
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { readManifest } from '../shared/inventory/manifest.js';
import { readDataFileRows } from '../shared/inventory/read-rows.js';
import { CHUNK_OBJECTS } from '../shared/plan/chunk-model.js';
import { costOf } from '../shared/plan/prices.js';
import { CHUNK_ITEM_PARTITIONS, LIMITS, projectDuration } from '../shared/plan/projection.js';
import { modelRun } from '../shared/plan/request-model.js';
import { exitAfterOutput } from '../shared/process-output.js';
import { buildInventory, type InventoryEntry } from '../test/helpers/inventory.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, files: { type: 'string', default: '4' } },
});
const rows = Number(values.rows);
const files = Number(values.files);
const { clients } = handlerRuntime();
const bucket = `bench-inventory-${Date.now()}`;
await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));

const entries: InventoryEntry[] = Array.from({ length: rows }, (_, i) => ({
  key: `data/${String(i % 97).padStart(2, '0')}/object ${i}.json`,
  size: 1000 + (i % 4096),
  etag: `${i.toString(16).padStart(32, '0')}`,
  encryptionStatus: i % 3 === 0 ? 'SSE-KMS' : 'NOT-SSE',
}));

async function rate(format: 'CSV' | 'Parquet') {
  const { objects, manifestKey } = buildInventory({
    sourceBucket: 'source',
    destinationBucket: bucket,
    prefix: format.toLowerCase(),
    format,
    entries,
    rowsPerFile: Math.ceil(rows / files),
  });
  for (const [key, body] of objects)
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const manifest = await readManifest(clients.s3, `s3://${bucket}/${manifestKey}`);
  const readAll = async (file: (typeof manifest.files)[number]) => {
    let n = 0;
    for await (const _ of readDataFileRows(clients.s3, manifest, file)) n++;
    return n;
  };
  let started = performance.now();
  let read = 0;
  for (const file of manifest.files) read += await readAll(file);
  const one = read / ((performance.now() - started) / 1000);
  started = performance.now();
  read = (await Promise.all(manifest.files.map(readAll))).reduce((a, b) => a + b, 0);
  const parallel = read / ((performance.now() - started) / 1000);
  const bytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
  return {
    format,
    rows: read,
    files: manifest.files.length,
    bytes,
    oneReader: Math.round(one),
    allFiles: Math.round(parallel),
  };
}

const rates = [await rate('CSV'), await rate('Parquet')];
console.log(`\nInventory enumeration on the local stack (${rows} rows, ${files} data files):`);
console.log('  format   data bytes  rows/s, 1 reader  rows/s, all files at once');
for (const r of rates) {
  console.log(
    `  ${r.format.padEnd(7)}  ${String(r.bytes).padStart(10)}  ${String(r.oneReader).padStart(16)}  ${String(r.allFiles).padStart(25)}`,
  );
}

// 10^9 objects, all needing protection (the worst case), from an inventory of 1,000 data files.
const billion = 1e9;
const perFile = Math.min(...rates.map((r) => r.oneReader));
console.log(
  `\nProjection for ${billion.toExponential()} objects, every one needing protection, 1,000 concurrent functions:`,
);
console.log(
  '  mode      source (chains)  partitions  duration      limit                                   USD per million',
);
for (const mode of ['sse-kms', 'sse-s3', 'envelope'] as const) {
  // A listing fans out by folder: a flat key space is one chain; a bucket with 64 folders under
  // the prefix lists as 64 chains with --scan-chains 64 (docs/large-buckets.md, "Listing chains").
  for (const [source, chains] of [
    ['inventory', 1],
    ['listing', 1],
    ['listing', 64],
  ] as const) {
    for (const partitions of [1, 100]) {
      const action = mode === 'envelope' ? 'protect:envelope' : 'protect:copy-in-place';
      const run = modelRun({
        source,
        mode,
        byAction: { [action]: { count: billion } },
        listedKeys: billion,
        inventoryFiles: 1000,
      });
      const p = projectDuration({
        source,
        mode,
        requests: run.requests,
        queued: run.queued,
        chunks: run.chunks,
        listedKeys: billion,
        inventoryFiles: 1000,
        lambdaConcurrency: 1000,
        prefixPartitions: partitions,
        inventoryRowsPerSecondPerFile: perFile,
        listingChains: chains,
      });
      const cost = costOf(
        run.requests,
        { gbSeconds: run.lambdaGbSeconds, invocations: run.lambdaInvocations },
        run.dynamoWriteUnits,
        run.dynamoReadUnits,
      );
      const hours = p.seconds / 3600;
      console.log(
        `  ${mode.padEnd(8)}  ${(source === 'listing' ? `listing/${chains}` : source).padEnd(15)}  ${String(partitions).padStart(10)}  ${`${hours.toFixed(1)} h`.padStart(10)}    ${p.limitingComponent.padEnd(38)}  ${(cost.total / 1000).toFixed(2).padStart(8)}`,
      );
    }
  }
}
// Chunk items (docs/architecture.md, "Chunk ledger"): at the 24 h target a run commits about 116
// chunks/s; each claim (1 unit) and commit (2) lands on one of the run's chunk partition keys.
const chunksPerSecond = billion / CHUNK_OBJECTS / (24 * 3600);
const busiest = (chunksPerSecond * 3 * 1.25) / CHUNK_ITEM_PARTITIONS;
console.log(
  `\nChunk items at 10^9 objects in 24 h: ${Math.round(chunksPerSecond)} chunks/s over ${CHUNK_ITEM_PARTITIONS} partition keys;` +
    ` busiest partition key ${Math.round(busiest)} write units/s (limit ${LIMITS.dynamoWritesPerSecondPerPartition}/s)`,
);
console.log(
  JSON.stringify({
    inventoryRates: rates,
    chunkItems: { chunksPerSecond, busiestPartitionKeyWriteUnitsPerSecond: busiest },
  }),
);
await exitAfterOutput(0);
