import { type Command, Option } from 'commander';
import { ConfigError } from '../shared/errors.js';

/** An older option name that keeps working beside the documented one: `[older flags, documented long flag]`. */
export type OlderName = readonly [olderFlags: string, documented: `--${string}`];

/**
 * Keeps older option names working after a rename (flags are a public contract: scripts call them),
 * while `--help` shows only the documented names (docs/vocabulary.md lists both). Each older name
 * is a hidden option with the documented option's parser and choices, so a bad value is refused the
 * same way, naming the flag as typed; before the action runs its value moves to the documented
 * option, so a command reads one name only. Giving both names at once is refused.
 *
 * Call it right after the command's own options and before any other preAction hook that reads them.
 */
export function keepOlderNames(command: Command, olderNames: readonly OlderName[]): Command {
  const pairs = olderNames.map(([olderFlags, documented]) => {
    const target = command.options.find((option) => option.long === documented);
    if (!target) throw new Error(`option aliases: ${command.name()} has no ${documented}`);
    const older = new Option(olderFlags, `older name of ${documented}`).hideHelp();
    older.parseArg = target.parseArg;
    older.argChoices = target.argChoices;
    command.addOption(older);
    return { older, target };
  });
  command.hook('preAction', (self) => {
    for (const { older, target } of pairs) {
      const from = older.attributeName();
      if (self.getOptionValueSource(from) !== 'cli') continue;
      const to = target.attributeName();
      if (self.getOptionValueSource(to) === 'cli') {
        throw new ConfigError(`${older.long} is the older name of ${target.long}: give one of them`);
      }
      self.setOptionValueWithSource(to, self.getOptionValue(from), 'cli');
      self.setOptionValueWithSource(from, undefined, 'default');
    }
  });
  const listed = pairs.map(({ older, target }) => `${older.long} (now ${target.long})`).join(', ');
  return command.addHelpText('after', `\nOlder option names still accepted: ${listed}.`);
}
