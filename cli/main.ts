import { CommanderError } from 'commander';
import { exitAfterOutput } from '../shared/process-output.js';
import { cliErrorLine } from './error-line.js';
import { createProgram } from './program.js';

// On Node 20 the AWS SDK warns at every start that its releases after January 2027 will need
// Node 22. The locked SDK runs on 20 (package.json engines, kept in step with the lockfile by
// test/unit/engines.test.ts), so that notice about future releases stays out of every command's
// output; on Node 22 and later (Lambda runs 24) the SDK has nothing to say. docs/deploying.md,
// "Runtime". The SDK loads only once a command runs (cli/program.ts), after this.
const emitWarning = process.emitWarning;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const options = rest[0] as { type?: string } | string | undefined;
  const type = typeof options === 'object' ? options?.type : options;
  if (type === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
}) as typeof process.emitWarning;

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help); keep its exit code (0 for --help/--version).
    process.exitCode = error.exitCode;
  } else {
    console.error(`s3-seal: error: ${cliErrorLine(error)}`);
    process.exitCode = 1;
  }
}
// Handlers keep SDK connections alive for reuse; a CLI run is over once the command returns and
// its output has reached the pipe it writes to.
await exitAfterOutput(Number(process.exitCode ?? 0));
