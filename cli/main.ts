import { Command, CommanderError } from 'commander';
import { describeError } from '../shared/errors.js';
import { registerAudit } from './commands/audit.js';
import { registerDecrypt } from './commands/decrypt.js';
import { registerDemo } from './commands/demo.js';
import { registerDlq } from './commands/dlq.js';
import { registerEncrypt } from './commands/encrypt.js';
import { registerPlan } from './commands/plan.js';
import { registerReport } from './commands/report.js';
import { registerRewrap } from './commands/rewrap.js';
import { registerRotate } from './commands/rotate.js';
import { registerSetup } from './commands/setup.js';
import { registerStatus } from './commands/status.js';
import { registerVerify } from './commands/verify.js';
import { registerWorker } from './commands/worker.js';

const program = new Command()
  .name('s3-seal')
  .description(
    'Bring existing S3 data under encryption (SSE-KMS, SSE-S3 or S3EC V2 envelope) and keep it there.',
  )
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

registerSetup(program);
registerEncrypt(program);
registerPlan(program);
registerDecrypt(program);
registerVerify(program);
registerRewrap(program);
registerRotate(program);
registerStatus(program);
registerAudit(program);
registerReport(program);
registerWorker(program);
registerDlq(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help); keep its exit code (0 for --help/--version).
    process.exitCode = error.exitCode;
  } else {
    console.error(`s3-seal: error: ${describeError(error)}`);
    process.exitCode = 1;
  }
}
// Handlers keep SDK connections alive for reuse; a CLI run is over once the command returns.
process.exit(process.exitCode ?? 0);
