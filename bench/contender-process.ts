import { spawn } from 'node:child_process';

/** Runs a contender in its own process (clean request counts and peak RSS); returns its JSON line. */
export function contender(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(process.env.S3SEAL_BENCH_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.S3SEAL_BENCH_CPU_PROF}`]
          : []),
        '--import',
        'tsx',
        `bench/contenders/${script}.ts`,
        ...args,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    // 'close', not 'exit': the JSON line may still be unread when the process exits.
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${script} exited ${code}: ${last}`));
      else resolve(JSON.parse(last));
    });
  });
}
