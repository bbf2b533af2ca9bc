import { spawnSync } from 'node:child_process';

/**
 * Runs the real CLI in a child process, as installed: bin/s3-seal.js and the compiled dist/, which
 * the integration project's global setup (test/helpers/build-cli.ts) rebuilds from fresh sources. The hard timeout keeps a hung run from blocking the test
 * worker (spawnSync would otherwise stop vitest's own timeouts from firing); a killed run reports
 * status null, which fails any exit-code assertion.
 */
export function runCli(args: string[], timeoutMs = 150_000, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['bin/s3-seal.js', ...args], {
    encoding: 'utf8',
    env,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
}
