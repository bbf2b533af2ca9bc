import { createHash } from 'node:crypto';

/**
 * The chunk item attribute holding one object's multipart upload (docs/architecture.md, "Large
 * objects"): a chunk of many objects may write several uploads at once, so each has its own,
 * `upload_<16 hex of SHA-256(key)>`.
 */
export const uploadAttributeOf = (key: string) =>
  `upload_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
