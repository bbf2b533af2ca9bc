import * as z from 'zod';
import { MalformedMessageError } from '../jobs/messages.js';

/**
 * The EventBridge event KMS emits when it rotates a key's material ("KMS CMK Rotation", source
 * aws.kms; AWS KMS Developer Guide, "Monitoring with Amazon EventBridge"). Unknown fields are
 * ignored, as new ones appear over time (e.g. the rotation type of on-demand rotations).
 */
export const KmsRotationEventSchema = z.object({
  source: z.literal('aws.kms'),
  'detail-type': z.literal('KMS CMK Rotation'),
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  resources: z.array(z.string()).default([]),
  detail: z.object({ 'key-id': z.string().min(1) }),
});
export type KmsRotationEvent = z.infer<typeof KmsRotationEventSchema>;

export interface RotatedKey {
  keyArn: string;
  /** When the new key material took over: data keys wrapped before it use the old material. */
  rotatedAt: string;
}

export function parseRotationEvent(event: unknown): RotatedKey {
  const parsed = KmsRotationEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MalformedMessageError(
      `not a KMS CMK Rotation event: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const { account, region, resources, detail, time } = parsed.data;
  const keyId = detail['key-id'];
  const keyArn =
    resources.find((arn) => arn.startsWith('arn:') && arn.endsWith(`key/${keyId}`)) ??
    (keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${region}:${account}:key/${keyId}`);
  return { keyArn, rotatedAt: new Date(time).toISOString() };
}
