import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';

/**
 * KMS key references (id, ARN, alias name or ARN) as key ARNs, described once each. A bucket's
 * default encryption may name its key any of these ways; a reference KMS cannot describe (deleted,
 * another account without access) stays undefined, and the caller shows it as configured.
 */
export class KeyArns {
  private readonly known = new Map<string, Promise<string | undefined>>();

  constructor(private readonly kms: KMSClient) {}

  resolve(reference: string): Promise<string | undefined> {
    if (/^arn:aws[\w-]*:kms:[^:]*:[^:]*:key\//.test(reference)) return Promise.resolve(reference);
    let arn = this.known.get(reference);
    if (!arn) {
      arn = this.kms
        .send(new DescribeKeyCommand({ KeyId: reference }))
        .then((out) => out.KeyMetadata?.Arn)
        .catch(() => undefined);
      this.known.set(reference, arn);
    }
    return arn;
  }
}
