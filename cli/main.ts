import { CommanderError } from 'commander';
import { exitAfterOutput } from '../shared/process-output.js';
import { cliErrorLine } from './error-line.js';
import { createProgram } from './program.js';

// The AWS SDK warns at every start that its 2027 releases will need Node 22. Lambda runs 22 and
// the CLI supports 20 until then: keep that one notice out of every command's output. The SDK
// loads only once a command runs (cli/program.ts), after this.
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
