import type { ChecksumAlgorithm, GetObjectCommandOutput } from '@aws-sdk/client-s3';

/**
 * Which additional checksum a GET (with ChecksumMode ENABLED) shows the object carries, so a
 * rewrite asks S3 for the same algorithm instead of the SDK's default (CRC32).
 */
export function checksumAlgorithmOf(
  got: Pick<
    GetObjectCommandOutput,
    'ChecksumSHA256' | 'ChecksumSHA1' | 'ChecksumCRC32C' | 'ChecksumCRC64NVME' | 'ChecksumCRC32'
  >,
): ChecksumAlgorithm | undefined {
  if (got.ChecksumSHA256) return 'SHA256';
  if (got.ChecksumSHA1) return 'SHA1';
  if (got.ChecksumCRC32C) return 'CRC32C';
  if (got.ChecksumCRC64NVME) return 'CRC64NVME';
  if (got.ChecksumCRC32) return 'CRC32';
  return undefined;
}
