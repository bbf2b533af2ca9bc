/**
 * One object a re-wrap run decides (docs/architecture.md, "Re-wrap and upgrade"): the chunk
 * runner builds it from a `rewrap-chunk` message's run fields and one of its intents. It is no
 * queue message of its own: objects travel in chunks.
 */
export interface RewrapJob {
  runId: string;
  jobId: string;
  bucket: string;
  key: string;
  /** Only objects wrapped under this key are re-wrapped; others are skipped with a reason. */
  fromKeyArn: string;
  toKeyArn: string;
  /**
   * A rotation's cut-off (ISO time, source = target): an object last written before it still needs
   * its re-wrap; one written since carries a data key wrapped under the current key material.
   */
  wrappedBefore?: string;
  /** What the source (manifest, listing, inventory) showed: informational, the HEAD decides. */
  size?: number;
  etag?: string;
  versionId?: string;
}
