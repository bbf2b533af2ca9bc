import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The CLI on two Nodes: the one the suite runs on (CI: Node 24, the Lambda runtime; .ci/run) and
 * the oldest package.json `engines` admits (Node 20, the system Node of the CI machine), found on
 * PATH. docs/deploying.md, "Runtime".
 */
const engines = JSON.parse(readFileSync('package.json', 'utf8')).engines.node as string;
const oldestMajor = Number(/^>=\s*(\d+)/.exec(engines)![1]);
const majorOf = (node: string) =>
  Number(/^v(\d+)\./.exec(spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout)?.[1]);

/** Every distinct Node binary: this process's, then each `node` on PATH. */
function nodeBinaries(): Map<number, string> {
  const found = new Map<number, string>([[majorOf(process.execPath), process.execPath]]);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const node = join(dir, 'node');
    if (!dir || !existsSync(node)) continue;
    const major = majorOf(node);
    if (Number.isInteger(major) && !found.has(major)) found.set(major, node);
  }
  return found;
}

const nodes = nodeBinaries();
const WARNING = 'NodeVersionSupportWarning';
// The integration setup silences Node's warnings (test/helpers/local-env.ts): let them through here.
const { NODE_NO_WARNINGS: _, ...env } = process.env;
const cli = (node: string, args: string[]) =>
  spawnSync(node, ['bin/s3-seal.js', ...args], { encoding: 'utf8', env, timeout: 60_000 });

describe('the Nodes the CLI runs on', () => {
  it(`finds the oldest Node engines admits (${engines}) on PATH`, () => {
    expect(
      nodes.get(oldestMajor),
      `no Node ${oldestMajor} among ${[...nodes.values()].join(', ')}`,
    ).toBeDefined();
  });

  it.each([
    ['the oldest Node engines admits', oldestMajor],
    ['the Node the suite runs on', majorOf(process.execPath)],
  ])('runs on %s (Node %i): help, and a command that loads the SDK, without a Node version warning', (_, major) => {
    const node = nodes.get(major)!;
    const help = cli(node, ['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: s3-seal [options] [command]');
    const status = cli(node, ['status', '--list', '1']);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stderr).not.toContain(WARNING);
  });

  // The SDK's notice is about its releases after January 2027 (which need Node 22), not about the
  // locked ones (test/unit/engines.test.ts keeps engines in step with them): on Node 24 there is
  // nothing to hide, and on Node 20 the CLI keeps it out of every command's output (cli/main.ts).
  it('the AWS SDK itself warns below Node 22 only', () => {
    for (const [major, node] of nodes) {
      const out = spawnSync(
        node,
        [
          '--input-type=module',
          '-e',
          "import { S3Client } from '@aws-sdk/client-s3'; new S3Client({ region: 'us-east-1' });",
        ],
        { encoding: 'utf8', env },
      );
      expect(out.status, out.stderr).toBe(0);
      if (major < 22) expect(out.stderr, `Node ${major}`).toContain(WARNING);
      else expect(out.stderr, `Node ${major}`).not.toContain(WARNING);
    }
  });
});
