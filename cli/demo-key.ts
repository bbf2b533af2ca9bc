import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';

/** The demo's KMS key: the one behind `alias`, or a new symmetric key given that alias. */
export async function ensureDemoKey(kms: KMSClient, alias: string): Promise<string> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!.Arn!;
  } catch (error) {
    if ((error as { name?: string }).name !== 'NotFoundException') throw error;
  }
  const created = await kms.send(new CreateKeyCommand({ Description: 's3-seal demo key' }));
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: created.KeyMetadata!.KeyId! }));
  return created.KeyMetadata!.Arn!;
}
