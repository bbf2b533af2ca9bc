import type { EnvelopeFormat } from '../shared/envelope/format.js';

/*
 * What envelope mode does to an object's readers, said where a user decides: `--help` of encrypt
 * and plan, before a run is recorded, in a plan, and after the run's summary. The facts are
 * docs/architecture.md, "Who reads what". No AWS SDK import: cli/program.ts builds help from this.
 */

/** The official S3 Encryption Clients that read each format written. */
export const OFFICIAL_READERS: Record<EnvelopeFormat, string> = {
  v3: 'Java 4.x, Go v4, .NET 4.x and Python 4.x with their default settings; Java ≥ 3.6, Go ≥ 3.2',
  v2: 'Java 3.x and Go v3 with their default settings; Java 4.x and Go v4 only with a legacy commitment policy (REQUIRE_ENCRYPT_ALLOW_DECRYPT or FORBID_ENCRYPT_ALLOW_DECRYPT)',
};

/** Readers that are not S3 Encryption Clients: they get the ciphertext bytes. */
export const CIPHERTEXT_READERS =
  'plain GetObject, `aws s3 cp`, Athena, CloudFront and every other S3 reader';

const UNDO = '`s3-seal decrypt s3://BUCKET/KEY -o FILE`, then `aws s3 cp FILE s3://BUCKET/KEY`';
const INSTEAD = 'use --mode sse-kms (S3 decrypts for every reader allowed kms:Decrypt)';

/** The lines `encrypt` and `plan` print for envelope mode before anything is written. */
export function envelopeReadersNotice(format: EnvelopeFormat): string[] {
  return [
    'readers: envelope mode encrypts client-side; afterwards only an S3 Encryption Client reads these objects',
    `  ciphertext for: ${CIPHERTEXT_READERS}`,
    `  S3EC ${format.toUpperCase()} (written here) is read by: ${OFFICIAL_READERS[format]}`,
    `  undo: ${UNDO}`,
    `  readers that cannot change: ${INSTEAD}`,
  ];
}

/** The lines after an envelope run's summary: what its readers need from now on. */
export function envelopeReadersSummary(format: EnvelopeFormat): string[] {
  return [
    `  readers              S3 Encryption Clients only; S3EC ${format.toUpperCase()} is read by: ${OFFICIAL_READERS[format]}`,
    `                       ciphertext for: ${CIPHERTEXT_READERS}; undo: s3-seal decrypt`,
  ];
}

/** `--help` text of encrypt and plan (wrapped for a terminal). */
export const ENVELOPE_READERS_HELP = `
Envelope mode encrypts client-side: afterwards only an S3 Encryption Client (S3EC) reads the
objects. Plain GetObject, \`aws s3 cp\`, Athena, CloudFront and every other S3 reader get ciphertext.
  V3 (the default) is read by Java 4.x, Go v4, .NET 4.x and Python 4.x with their default
    settings, and by Java ≥ 3.6 and Go ≥ 3.2.
  V2 (encrypt --s3ec-format v2) is read by Java 3.x and Go v3 with their default settings, and by
    Java 4.x and Go v4 only with a legacy commitment policy (REQUIRE_ENCRYPT_ALLOW_DECRYPT or
    FORBID_ENCRYPT_ALLOW_DECRYPT).
Undo: \`s3-seal decrypt s3://BUCKET/KEY -o FILE\` returns an object's plaintext; put it back with
\`aws s3 cp FILE s3://BUCKET/KEY\`. Readers that cannot change: use --mode sse-kms instead (S3
decrypts for every reader allowed kms:Decrypt).`;
