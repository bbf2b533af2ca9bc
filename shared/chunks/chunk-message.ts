import { createHash } from 'node:crypto';
import * as z from 'zod';
import { keyIssue, keyRequiredForKmsModes, runFields } from '../jobs/messages.js';
import { canonicalJson } from './canonical-json.js';

/**
 * Chunks are the unit of work (docs/architecture.md, "Chunks"): up to MAX_CHUNK_INTENTS objects of
 * one listing page, inventory range, manifest range or event, whose membership is fixed once, so a
 * redelivery replays the same chunk. One SQS message per chunk carries its intents.
 */
export const MAX_CHUNK_INTENTS = 100;

/** One object a chunk intends to decide: what the listing (inventory, manifest, event) showed. */
export const ChunkIntentSchema = z.object({
  key: z.string().min(1).max(1024),
  versionId: z.string().optional(),
  /** The ETag the source showed: informational, every decision is made on a fresh HEAD. */
  etag: z.string().optional(),
  size: z.number().int().min(0).optional(),
  /**
   * Envelope runs from a listing: whether the page showed `<key>.instruction` (true) or proved it
   * absent (false); absent when the page could not tell (shared/jobs/instruction-siblings.ts).
   */
  instructionFile: z.boolean().optional(),
});
export type ChunkIntent = z.infer<typeof ChunkIntentSchema>;

/** What identifies a chunk and fixes its membership, whatever its run does with the objects. */
export const chunkFields = {
  chunkId: z.string().regex(/^[0-9a-f]{24}$/, 'must be 24 hex digits'),
  /** Where the membership came from, for people: `listing:<chain>:<page>:<n>`, `inventory:<file>:<row>`, `event:<bucket>`. */
  origin: z.string().min(1),
  intents: z.array(ChunkIntentSchema).min(1).max(MAX_CHUNK_INTENTS),
  /** Large objects (docs/architecture.md, "Large objects") travel one per chunk on the large-object queue. */
  large: z.literal(true).optional(),
};

/** A chunk's own fields, whatever its run does with the objects. */
export type ChunkFields = z.infer<z.ZodObject<typeof chunkFields>>;

/**
 * Encrypt queue message (and, with `large`, large-object queue message): bring a chunk's objects
 * under the run's protection.
 */
export const EncryptChunkSchema = z
  .object({
    type: z.literal('encrypt-chunk'),
    ...runFields,
    ...chunkFields,
  })
  .refine(keyRequiredForKmsModes, keyIssue);
export type EncryptChunk = z.infer<typeof EncryptChunkSchema>;

/** Rewrap queue message (or large-object queue message): re-wrap a chunk's objects to `toKeyArn`. */
export const RewrapChunkSchema = z.object({
  type: z.literal('rewrap-chunk'),
  runId: z.string().min(1),
  bucket: z.string().min(3).max(63),
  /** Only objects wrapped under this key are re-wrapped; others are skipped with a reason. */
  fromKeyArn: z.string().startsWith('arn:'),
  toKeyArn: z.string().startsWith('arn:'),
  /** Only data keys wrapped before this ISO time: a rotation's source and target are the same key. */
  wrappedBefore: z.string().datetime().optional(),
  ...chunkFields,
});
export type RewrapChunk = z.infer<typeof RewrapChunkSchema>;

/** Stable per (run, origin): a redelivered page produces the same chunk ids. */
export function chunkIdFor(runId: string, origin: string): string {
  return createHash('sha256').update(`${runId}\0${origin}`).digest('hex').slice(0, 24);
}

/** SHA-256 of a chunk's intents: the chunk item keeps it instead of the membership itself. */
export function membershipDigest(intents: ChunkIntent[]): string {
  return createHash('sha256').update(canonicalJson(intents)).digest('hex');
}

/** Splits a page's intents into chunks of at most `size`, in order. */
export function splitIntoChunks<T>(items: T[], size = MAX_CHUNK_INTENTS): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
