import { PermanentError } from '../errors.js';

/**
 * An S3 Inventory report s3-seal must not act on: an unreadable or inconsistent manifest, a data file
 * whose MD5 differs from the manifest's, an unsupported format. Permanent: retrying reads the same
 * bytes, and acting on a partial or tampered inventory could skip or mis-handle objects.
 */
export class InventoryError extends PermanentError {}
