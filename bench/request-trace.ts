/**
 * One request as `S3SEAL_BENCH_TRACE` records it (bench/request-counter.ts): its operation, what
 * it touched with run ids, chunk ids and object keys folded into placeholders (so lines group by
 * purpose), and the project functions on its async stack (which code sent it). Read the file with
 * `node --import tsx bench/trace-summary.ts FILE`.
 */
export interface TracedRequest {
  op: string;
  target: string;
  caller: string;
}

const RUN_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|run-[\w-]+/g;

/** A key or partition name with its variable parts folded: `chunks#<run>#03` → `chunks#<run>#NN`. */
export function foldName(name: string): string {
  return name
    .replace(RUN_ID, '<run>')
    .replace(/chunks\/[0-9a-f]{24}\/\d+\.jsonl\.gz/, 'chunks/<chunk>/<attempt>.jsonl.gz')
    .replace(/#\d{2}$/, '#NN')
    .replace(/tally#\d+/, 'tally#N')
    .replace(/^[0-9a-f]{24}$/, '<chunk>');
}

// Request inputs are read loosely: any service's shape, only to describe it.
// biome-ignore lint/suspicious/noExplicitAny: a trace reads whatever fields an input has
type Fields = Record<string, any>;

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'S' in value) return String((value as { S: unknown }).S);
  return undefined;
}

function keyOf(key: Record<string, unknown> | undefined): string {
  if (!key) return '?';
  const pk = stringOf(key.pk);
  const sk = stringOf(key.sk);
  return [pk, sk]
    .filter((part) => part !== undefined)
    .map((part) => foldName(part!))
    .join(' / ');
}

function dynamoTarget(input: Fields): string {
  if (input.TransactItems) {
    return (input.TransactItems as Array<Fields>)
      .map((item) => {
        const [kind, body] = Object.entries(item)[0]!;
        return `${kind}(${keyOf(body.Key ?? body.Item)})`;
      })
      .join(' + ');
  }
  if (input.RequestItems) {
    const keys = Object.values(input.RequestItems as Fields).flatMap(
      (table: Fields) =>
        table.Keys ??
        (table as unknown as Fields[]).map((r: Fields) => r.PutRequest?.Item ?? r.DeleteRequest?.Key),
    );
    return `${keys.length} keys like ${keyOf(keys[0])}`;
  }
  if (input.KeyConditionExpression) {
    const values = input.ExpressionAttributeValues ?? {};
    const pk = stringOf(values[':pk']) ?? Object.values(values).map(stringOf).find(Boolean);
    return `query ${foldName(pk ?? '?')}${input.IndexName ? ` on ${input.IndexName}` : ''}`;
  }
  return keyOf(input.Key ?? input.Item);
}

function s3Target(input: Fields): string {
  const bucket = String(input.Bucket ?? '').replace(/\d{10,}/, '<stamp>');
  const key =
    input.Key !== undefined
      ? foldName(String(input.Key))
      : input.Prefix !== undefined
        ? `prefix ${foldName(String(input.Prefix))}`
        : '';
  // Object keys in the seeded buckets are many: only the audit bucket's are kept apart.
  return bucket.includes('audit') ? `${bucket} ${key}` : bucket;
}

/** The project functions on the current stack, innermost first, without node_modules frames. */
function callerOf(): string {
  Error.stackTraceLimit = 60;
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  return frames
    .filter(
      (frame) =>
        !frame.includes('node_modules') && !frame.includes('node:') && !frame.includes('/bench/request-'),
    )
    .map((frame) => /at (?:async )?([^ ]+) \(.*\/([^/]+\.ts):\d+/.exec(frame))
    .filter((match): match is RegExpExecArray => !!match)
    .map((match) => `${match[2]}:${match[1]}`)
    .slice(0, 4)
    .join(' < ');
}

export function requestTrace(operation: string, input: unknown): TracedRequest {
  const body = (input ?? {}) as Fields;
  const [service] = operation.split('.');
  const target =
    service === 'dynamo'
      ? dynamoTarget(body)
      : service === 's3'
        ? s3Target(body)
        : body.QueueUrl
          ? String(body.QueueUrl)
              .replace(/.*\//, '')
              .replace(/\d{10,}/, '<stamp>')
          : '';
  return { op: operation, target, caller: callerOf() };
}
