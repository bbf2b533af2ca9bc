import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const module = fileURLToPath(new URL('../../../shared/process-output.ts', import.meta.url));
const BYTES = 1_000_000;

/** Starts `body` in a child (tsx) that has this module's functions, its stdout and stderr piped. */
const childRunning = (body: string) =>
  spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { exitAfterOutput, writeNow } from ${JSON.stringify(module)};\n${body}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );

/** Runs `body` in a child and reads its stdout and stderr only after a pause, as a busy reader does. */
async function outputOf(body: string): Promise<{ stdout: number; stderr: string; code: number | null }> {
  const child = childRunning(body);
  child.stdout.pause();
  child.stderr.pause();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  let stdout = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.length));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { stdout, stderr, code };
}

describe('process output', () => {
  it('exitAfterOutput exits only once a reader has everything written to stdout and stderr', async () => {
    const out = await outputOf(
      `process.stdout.write('x'.repeat(${BYTES})); process.stderr.write('last line\\n'); await exitAfterOutput(3);`,
    );
    expect(out).toEqual({ stdout: BYTES, stderr: 'last line\n', code: 3 });
  }, 20_000);

  it('writeNow has written its text when it returns, even into a full pipe, so an exit on the spot keeps it', async () => {
    const out = await outputOf(
      `writeNow(2, 'y'.repeat(${BYTES}) + '\\nfault-stats {}\\n'); process.exit(70);`,
    );
    expect(out.code).toBe(70);
    expect(out.stderr.length).toBe(BYTES + '\nfault-stats {}\n'.length);
    expect(out.stderr.endsWith('\nfault-stats {}\n')).toBe(true);
  }, 20_000);

  it('exitAfterOutput still exits with its code when the reader has gone away (EPIPE)', async () => {
    const child = childRunning(`process.stdout.write('x'.repeat(${BYTES})); await exitAfterOutput(3);`);
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(3);
    expect(stderr).not.toMatch(/EPIPE|Error/);
  }, 20_000);
});
