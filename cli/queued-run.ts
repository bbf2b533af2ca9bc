/**
 * What `encrypt`, `rewrap` and `rotate` print when they start a run without `--local`: the run is
 * only queued, who takes it from there, and the commands that follow or finish it. The run id
 * alone goes to stdout (scripts capture it); these lines go to stderr.
 *
 * Who: the deployed Lambda functions serve every work queue but the large-object one, which only
 * `s3-seal worker` serves (docs/deploying.md, "The large-object worker"); without a deployment,
 * only a worker or `resume` processes anything.
 */
export function queuedRunLines(
  runId: string,
  queueUrl: string,
  options: { processHere?: string } = {},
): string[] {
  // Both an SQS URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) and LocalStack's end in the name.
  const queue = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
  const processHere = options.processHere ?? `s3-seal resume ${runId}`;
  return [
    `run ${runId} is queued on ${queue}, not processed by this command: the deployed Lambda functions ` +
      'or an `s3-seal worker` serving the queues process it (objects too large for Lambda: a worker only)',
    `  follow it:        s3-seal status ${runId} --watch`,
    `  process it here:  ${processHere}`,
  ];
}

/** Prints {@link queuedRunLines} to stderr and the run id to stdout. */
export function printQueuedRun(runId: string, queueUrl: string, options?: { processHere?: string }): void {
  console.log(runId);
  for (const line of queuedRunLines(runId, queueUrl, options)) console.error(line);
}
