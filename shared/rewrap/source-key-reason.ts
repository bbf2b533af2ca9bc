/**
 * How a re-wrap counts in its run: under its source key, so a summary lists each key objects moved
 * from, with its count. A run counts reasons under attribute-safe names of at most 60 characters
 * (`counterReason`), which a full key ARN exceeds: the count names the key id (36 characters), and
 * the CLI, which knows the source key's ARN, prints that.
 */
export function sourceKeyReason(keyArn: string): string {
  return `from key ${keyIdOf(keyArn)}`;
}

/** The key id of a key ARN (`arn:aws:kms:R:A:key/ID` → `ID`); anything else as it is. */
export function keyIdOf(keyArn: string): string {
  const slash = keyArn.lastIndexOf(':key/');
  return slash < 0 ? keyArn : keyArn.slice(slash + ':key/'.length);
}

/** Counted reasons that name a source key: `from-key-ID`, or `from-arn-…` of runs counted before. */
export function isSourceKeyCounter(counter: string): boolean {
  return counter.startsWith('from-');
}

/**
 * The source key a counted reason names, for a summary line: the full ARN among `known` whose key
 * id it is, else `key ID` (or, for an older run's truncated ARN counter, that counter's text).
 */
export function sourceKeyOfCounter(counter: string, known: string[] = []): string {
  const id = counter.startsWith('from-key-') ? counter.slice('from-key-'.length) : undefined;
  if (id === undefined) return counter.slice('from-'.length);
  return known.find((arn) => keyIdOf(arn) === id) ?? `key ${id}`;
}
