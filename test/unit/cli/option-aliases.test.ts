import { Command, CommanderError, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { keepOlderNames } from '../../../cli/option-aliases.js';
import { parseConcurrency } from '../../../cli/option-parsers.js';
import { createProgram } from '../../../cli/program.js';

/** A command with a renamed option, as the real ones are; returns what its action saw. */
function parse(args: string[]) {
  let seen: Record<string, unknown> | undefined;
  let stderr = '';
  const command = new Command('worker')
    .exitOverride()
    .configureOutput({ writeErr: (text) => (stderr += text) })
    .option('--pollers <n>', 'pollers', parseConcurrency, 4)
    .addOption(new Option('--s3ec-format <format>', 'S3EC format').choices(['v2', 'v3']))
    .action((options) => {
      seen = options;
    });
  keepOlderNames(command, [
    ['--concurrency <n>', '--pollers'],
    ['--format <format>', '--s3ec-format'],
  ]);
  try {
    command.parse(args, { from: 'user' });
    return { seen, stderr, error: undefined };
  } catch (error) {
    return { seen, stderr, error: error as Error };
  }
}

describe('keepOlderNames', () => {
  it('hands the older name’s value to the documented option, parsed the same way', () => {
    expect(parse(['--concurrency', '8']).seen).toEqual({ pollers: 8, concurrency: undefined });
    expect(parse(['--pollers', '8']).seen).toEqual({ pollers: 8 });
    expect(parse([]).seen).toEqual({ pollers: 4 });
    expect(parse(['--format', 'v2']).seen).toMatchObject({ s3ecFormat: 'v2', format: undefined });
  });

  it('refuses a bad value under the older name, naming the flag as typed, before the action', () => {
    const out = parse(['--concurrency', 'abc']);
    expect(out.seen).toBeUndefined();
    expect(out.error).toBeInstanceOf(CommanderError);
    expect(out.stderr).toContain("option '--concurrency <n>' argument 'abc' is invalid");
    expect(parse(['--format', 'v9']).stderr).toContain('Allowed choices are v2, v3');
  });

  it('refuses both names at once', () => {
    const out = parse(['--concurrency', '8', '--pollers', '2']);
    expect(out.seen).toBeUndefined();
    expect(out.error?.message).toBe('--concurrency is the older name of --pollers: give one of them');
  });
});

describe('the documented vocabulary', () => {
  const program = createProgram();
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  const visible = (command: Command) =>
    command.options.filter((o) => !(o as Option & { hidden: boolean }).hidden).map((o) => o.long);

  it('no command shows --format, --concurrency or --before: each says what it counts or formats', () => {
    for (const command of all(program)) {
      expect(visible(command), command.name()).not.toContain('--format');
      expect(visible(command), command.name()).not.toContain('--concurrency');
      expect(visible(command), command.name()).not.toContain('--before');
    }
  });

  it.each([
    [
      'encrypt',
      ['--s3ec-format <format>', '--pollers <n>'],
      '--format (now --s3ec-format), --concurrency (now --pollers)',
    ],
    ['setup', ['--s3ec-format <format>'], '--format (now --s3ec-format)'],
    ['plan', ['--head-concurrency <n>'], '--concurrency (now --head-concurrency)'],
    [
      'verify',
      ['--s3ec-format <format>', '--head-concurrency <n>'],
      '--format (now --s3ec-format), --concurrency (now --head-concurrency)',
    ],
    ['rewrap', ['--wrapped-before <iso-time>', '--pollers <n>'], '--concurrency (now --pollers)'],
    [
      'rotate',
      ['--wrapped-before <iso-time>', '--pollers <n>'],
      '--before (now --wrapped-before), --concurrency (now --pollers)',
    ],
    ['resume', ['--pollers <n>'], '--concurrency (now --pollers)'],
    ['worker', ['--pollers <n>'], '--concurrency (now --pollers)'],
    ['export', ['--output-format <format>'], '--format (now --output-format)'],
  ])('%s --help shows %j and lists the older names', (name, shown, older) => {
    const command = all(program).find((c) => c.name() === name)!;
    const help = command.helpInformation() + helpAfter(command);
    for (const flags of shown) expect(help).toContain(flags);
    expect(help).toContain(`Older option names still accepted: ${older}.`);
  });
});

/** The text commands add after their help (helpInformation() leaves it out). */
function helpAfter(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (t) => (text += t) });
  command.outputHelp();
  return text;
}
