import type { Command } from 'commander';
import { ConfigError } from '../shared/errors.js';

/**
 * Options that mean something only beside another one (command path, option, the option it needs):
 * given alone they would be silently ignored, so they are refused before the command runs.
 */
const ONLY_WITH: ReadonlyArray<[path: string[], option: string, needs: string]> = [
  [['status'], 'interval', 'watch'],
  [['audit', 'verify'], 'segments', 'all'],
  [['worker'], 'idle-seconds', 'until-idle'],
  [['plan'], 'sample', 'inventory'],
  [['plan'], 'bucket-concurrency', 'all-buckets'],
  [['plan'], 'sample-objects', 'all-buckets'],
  [['verify'], 'bucket-concurrency', 'all-buckets'],
  [['encrypt'], 'bucket-concurrency', 'all-buckets'],
  [['report'], 'head-concurrency', 'verify'],
];

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function find(program: Command, path: string[]): Command | undefined {
  let command: Command | undefined = program;
  for (const name of path) command = command?.commands.find((c) => c.name() === name);
  return command;
}

/** Adds the refusals of {@link ONLY_WITH} to `program`'s commands (as pre-action hooks). */
export function refuseOptionsWithoutTheirPair(program: Command): void {
  for (const [path, option, needs] of ONLY_WITH) {
    const command = find(program, path);
    if (!command) throw new Error(`option pairs: no command ${path.join(' ')}`);
    command.hook('preAction', (self) => {
      const given = self.getOptionValueSource(camel(option)) === 'cli';
      if (given && !self.opts()[camel(needs)]) {
        throw new ConfigError(`--${option} is used only with --${needs}`);
      }
    });
  }
}
