/**
 * `s3-seal encrypt --local` counted on the wire, as an independent checker with a proxy would:
 *   bash localstack/with-local-env.sh node --import tsx bench/wire-count.ts [-- --objects N --mode M]
 * Provisions queues and tables of its own (prefix `wire-<time>`), seeds a bucket of N small objects
 * and a KMS key, then runs the CLI (`cli/main.ts`, as `npm run seal` does) in a child process whose
 * endpoints are two counting HTTP proxies in this process, one before LocalStack and one before
 * DynamoDB Local. Every request the CLI process sends is counted by operation (the request
 * counter of bench/request-counter.ts sees only the clients of its own process). Prints the counts
 * and per-object figures, then one JSON line; deletes its queues and tables.
 * With `--floor`, it also times the floor contender (bench/contenders/floor.ts: a bare SDK HEAD +
 * conditional COPY per object, 40 in flight) on a bucket seeded alike, through the same proxy, and
 * reports both as whole-process wall times (start-up included, as a checker timing the commands
 * sees them). `--built` runs the built CLI (bin/s3-seal.js, after `npm run build`) as users do.
 * `--rounds N` (implies `--floor`) times N pairs on freshly seeded buckets, s3-seal first in odd
 * rounds and the floor first in even ones, and prints each pair's ratio and their median: on two
 * cores shared with the stack one pair's ratio moves by a tenth from run to run. Requests are
 * counted in the first round. Each ratio is also given against the floor's work plus the start-up
 * of a plain Node script importing the SDK's S3 client (timed here): what a checker timing its own
 * script as a process would see.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { DeleteQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { seedBucket } from '../cli/seed-bucket.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { ensureAuditTrail, ensureQueues, ensureTables } from '../shared/infra/provision.js';
import { exitAfterOutput } from '../shared/process-output.js';
import { wireOperation } from './wire-operation.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '600' },
    size: { type: 'string', default: '4096' },
    mode: { type: 'string', default: 'sse-kms' },
    floor: { type: 'boolean', default: false },
    built: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '1' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a whole number from 1');
const withFloor = values.floor || rounds > 1;
const objects = Number(values.objects);
const log = (line: string) => process.stderr.write(`${line}\n`);
const prefix = `wire-${Date.now()}`;
Object.assign(process.env, {
  S3SEAL_QUEUE_PREFIX: prefix,
  S3SEAL_LEDGER_TABLE: `${prefix}-ledger`,
  S3SEAL_AUDIT_TABLE: `${prefix}-audit`,
  S3SEAL_AUDIT_BUCKET: `${prefix}-audit-trail`,
  S3SEAL_AUDIT_PREFIX: 'audit/',
});
const { config, clients } = handlerRuntime();
await ensureQueues(clients.sqs, config);
await ensureTables(clients.dynamo, config);
await ensureAuditTrail(clients, config);
const keyArn = (await clients.kms.send(new CreateKeyCommand({ Description: 's3-seal wire count' })))
  .KeyMetadata!.Arn!;
/** A fresh bucket of the run's objects. */
async function seeded(bucket: string): Promise<string> {
  log(`seeding s3://${bucket}: ${objects} objects of up to ${values.size} bytes`);
  await seedBucket(clients.s3, bucket, { objects, maxObjectBytes: Number(values.size), concurrency: 64 });
  return bucket;
}

const counts: Record<string, number> = {};
/** A proxy to `target` that counts each request by service and operation before passing it on. */
function countingProxy(target: URL, dynamo: boolean): Promise<Server> {
  const server = createServer((incoming, answer) => {
    const body: Buffer[] = [];
    incoming.on('data', (part: Buffer) => body.push(part));
    incoming.on('end', () => {
      const bytes = Buffer.concat(body);
      const operation = wireOperation(incoming, bytes, dynamo);
      const reached = performance.now();
      for (const name of [operation, operation.split('.')[0]!]) counts[name] = (counts[name] ?? 0) + 1;
      const onward = forward(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (reply) => {
          answer.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(answer);
          // S3SEAL_WIRE_TRACE=FILE: when each request reached the proxy (ms since this process
          // began), what it was, and how long the stack took to answer it (ms).
          if (process.env.S3SEAL_WIRE_TRACE)
            reply.on('end', () =>
              appendFileSync(
                process.env.S3SEAL_WIRE_TRACE!,
                `${reached.toFixed(1)} ${operation} ${incoming.url} ${(performance.now() - reached).toFixed(1)}\n`,
              ),
            );
        },
      );
      onward.on('error', (error) => answer.writeHead(502).end(String(error)));
      onward.end(bytes);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const endpoint = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const s3Proxy = await countingProxy(new URL(process.env.AWS_ENDPOINT_URL!), false);
const dynamoProxy = await countingProxy(new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB!), true);

/**
 * CPU seconds the local stack's servers have used so far (LocalStack, DynamoDB Local: their pid
 * files under .stack/), or undefined where they are not readable (another stack, not Linux).
 */
function stackCpuSeconds(): number | undefined {
  try {
    let ticks = 0;
    for (const name of ['localstack', 'dynamodb']) {
      const pid = readFileSync(`.stack/${name}.pid`, 'utf8').trim();
      // /proc/PID/stat: utime and stime are fields 14 and 15, after the parenthesised command.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

/** Runs `args` under node with the proxies as endpoints; its exit code and wall time in seconds. */
async function timed(
  args: string[],
): Promise<{ code: number | null; seconds: number; out: string; stackCpu?: number }> {
  const stackAtStart = stackCpuSeconds();
  const started = performance.now();
  let out = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        NODE_NO_WARNINGS: '1',
        AWS_ENDPOINT_URL: endpoint(s3Proxy),
        AWS_ENDPOINT_URL_DYNAMODB: endpoint(dynamoProxy),
      },
    });
    child.stdout.on('data', (part) => {
      out += part;
    });
    child.on('close', resolve);
  });
  const stackAtEnd = stackCpuSeconds();
  const stackCpu =
    stackAtStart !== undefined && stackAtEnd !== undefined ? stackAtEnd - stackAtStart : undefined;
  return { code, seconds: (performance.now() - started) / 1000, out, stackCpu };
}

const cli = values.built ? ['bin/s3-seal.js'] : ['--import', 'tsx', 'cli/main.ts'];
// S3SEAL_BENCH_CPU_PROF=DIR: a V8 CPU profile of each timed process (as bench/run.ts writes).
const profile = process.env.S3SEAL_BENCH_CPU_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.S3SEAL_BENCH_CPU_PROF}`]
  : [];
cli.unshift(...profile);
// The s3-seal process's own CPU time, start-up included, written when it exits: on two cores
// shared with the stack, CPU per object is what a client competes with.
const cpuFile = join(mkdtempSync(join(tmpdir(), 's3seal-wire-')), 'cpu');
const cpuProbe = `import { writeFileSync } from 'node:fs'; process.on('exit', () => { const c = process.cpuUsage(); writeFileSync(${JSON.stringify(cpuFile)}, String((c.user + c.system) / 1000)); });`;
cli.unshift('--import', `data:text/javascript,${encodeURIComponent(cpuProbe)}`);
/** One timed s3-seal run: wall seconds, exit code, its own CPU and the stack's while it ran. */
async function timeSeal(bucket: string) {
  const args = [...cli, 'encrypt', `s3://${bucket}`, '--mode', values.mode!, '--local'];
  if (values.mode !== 'sse-s3') args.push('--key', keyArn);
  if (process.env.S3SEAL_WIRE_TRACE)
    appendFileSync(process.env.S3SEAL_WIRE_TRACE, `${performance.now().toFixed(1)} start s3-seal\n`);
  const { code, seconds, stackCpu } = await timed(args);
  if (process.env.S3SEAL_WIRE_TRACE)
    appendFileSync(process.env.S3SEAL_WIRE_TRACE, `${performance.now().toFixed(1)} end s3-seal\n`);
  if (code !== 0) log(`warning: s3-seal encrypt exited ${code}`);
  return { code, seconds, stackCpu, cpuMs: Number(readFileSync(cpuFile, 'utf8')) };
}

/** One timed floor run: wall seconds, its work alone (its own timing), its CPU and the stack's. */
async function timeFloor(bucket: string) {
  const run = await timed([...profile, '--import', 'tsx', 'bench/contenders/floor.ts', bucket, keyArn, '40']);
  // The floor's own timing leaves out its start-up (node, tsx, the SDK): the checker's may differ.
  const result = JSON.parse(run.out.trim().split('\n').pop()!);
  return { ...run, work: Number(result.seconds), cpuMs: Number(result.cpu_ms_per_object) * objects };
}

/**
 * What timing a plain Node script doing the floor's work as a process would add to that work:
 * Node's start and importing the SDK's S3 client from node_modules. The floor itself starts
 * through tsx and some of s3-seal's modules, which a checker's own script would not. Median of 3.
 */
async function plainScriptStart(): Promise<number> {
  const script = "import { S3Client } from '@aws-sdk/client-s3'; new S3Client({});";
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push((await timed(['--input-type=module', '-e', script])).seconds);
  return median(times);
}

const ms = (seconds: number | undefined) => (((seconds ?? Number.NaN) * 1000) / objects).toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const pairs: Array<{ seal: number; floor: number; work: number; plain: number }> = [];
const plainStart = withFloor ? await plainScriptStart() : 0;
if (withFloor)
  console.log(`a plain script's start-up (node, importing @aws-sdk/client-s3): ${plainStart.toFixed(2)} s`);
let sealCounts: Record<string, number> | undefined;
let first: Awaited<ReturnType<typeof timeSeal>> | undefined;
for (let round = 1; round <= rounds; round++) {
  const sealBucket = await seeded(`${prefix}-data-${round}`);
  const floorBucket = withFloor ? await seeded(`${prefix}-floor-${round}`) : undefined;
  // Alternate which goes first, so that a stack slowing down or warming up favours neither.
  const floorFirst = round % 2 === 0 && floorBucket !== undefined;
  const floorBefore = floorFirst ? await timeFloor(floorBucket) : undefined;
  const countsBefore = { ...counts };
  const seal = await timeSeal(sealBucket);
  if (round === 1) {
    sealCounts = Object.fromEntries(
      Object.keys(counts).map((name) => [name, counts[name]! - (countsBefore[name] ?? 0)]),
    );
    first = seal;
  }
  const floor = floorBefore ?? (floorBucket ? await timeFloor(floorBucket) : undefined);
  if (!floor) continue;
  pairs.push({ seal: seal.seconds, floor: floor.seconds, work: floor.work, plain: floor.work + plainStart });
  console.log(
    `round ${round}${floorFirst ? ' (floor first)' : ''}: s3-seal ${seal.seconds.toFixed(2)} s, floor ${floor.seconds.toFixed(2)} s ` +
      `(${floor.work.toFixed(2)} s without start-up): s3-seal runs at ${(floor.seconds / seal.seconds).toFixed(2)}x the floor ` +
      `(${(floor.work / seal.seconds).toFixed(2)}x against its work alone, ` +
      `${((floor.work + plainStart) / seal.seconds).toFixed(2)}x against its work plus a plain script's start-up)`,
  );
  console.log(
    `  CPU per object: s3-seal ${ms(seal.cpuMs / 1000)} ms (start-up included), floor ${ms(floor.cpuMs / 1000)} ms (its work alone); ` +
      `the stack (LocalStack, DynamoDB Local) while each ran: ${ms(seal.stackCpu)} ms, ${ms(floor.stackCpu)} ms`,
  );
}
s3Proxy.close();
dynamoProxy.close();
for (const [name, n] of Object.entries(sealCounts!).sort())
  console.log(`${name.padEnd(36)} ${String(n).padStart(7)}  ${(n / objects).toFixed(4)} per object`);
for (const table of [config.ledgerTable, config.auditTable])
  await clients.dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
const { QueueUrls = [] } = await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
for (const url of QueueUrls)
  await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
const ratios = {
  whole: median(pairs.map((p) => p.floor / p.seal)),
  work: median(pairs.map((p) => p.work / p.seal)),
  plain: median(pairs.map((p) => p.plain / p.seal)),
};
if (pairs.length > 1)
  console.log(
    `median of ${pairs.length} rounds: s3-seal runs at ${ratios.whole.toFixed(2)}x the floor (${ratios.work.toFixed(2)}x against its work alone, ${ratios.plain.toFixed(2)}x against its work plus a plain script's start-up)`,
  );
console.log(
  JSON.stringify({
    objects,
    seconds: first!.seconds,
    exit: first!.code,
    counts: sealCounts,
    cpu_ms_per_object: first!.cpuMs / objects,
    ...(pairs.length > 0
      ? {
          floor_seconds: pairs[0]!.floor,
          rounds: pairs,
          median_ratio: ratios.whole,
          median_ratio_work: ratios.work,
          plain_start_seconds: plainStart,
          median_ratio_plain: ratios.plain,
        }
      : {}),
  }),
);
await exitAfterOutput(0);
