import { writeSync } from 'node:fs';

/**
 * Output that survives the process ending. `process.exit()` drops whatever stdout and stderr still
 * hold when they are pipes or sockets the reader has not drained (a CLI piped into another program,
 * a worker under a supervisor), so a long `--json` report or a worker's last line could be cut.
 */

/** Waits until everything written to stdout and stderr so far has reached the OS, then exits. */
export async function exitAfterOutput(code: number): Promise<never> {
  await Promise.all(
    [process.stdout, process.stderr].map(
      (stream) =>
        new Promise<void>((resolve) =>
          stream.writableLength === 0 ? resolve() : stream.write('', () => resolve()),
        ),
    ),
  );
  process.exit(code);
}

/**
 * Writes `text` to a descriptor before returning, waiting out a full pipe: for a process about to
 * stop on the spot (an injected crash), where no callback would ever run.
 */
export function writeNow(fd: number, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}
