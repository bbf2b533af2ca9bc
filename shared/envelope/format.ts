import { EnvelopeFormatError, UnsupportedEnvelopeError } from '../errors.js';
import type { Envelope } from './envelope-types.js';
import { parseV2Metadata, toV2Metadata } from './format-v2.js';
import { parseV3Metadata, toV3Metadata } from './format-v3.js';
import {
  ALL_S3EC_NAMES,
  CEK_ALGORITHM_V2,
  CEK_ALGORITHM_V3,
  CEK_CONTEXT_KEY,
  META,
  META_V3,
  V1_WRAPPED_KEY,
} from './s3ec-names.js';

export * from './s3ec-names.js';

/**
 * The S3EC formats s3-seal writes and reads (docs/architecture.md, "Envelope formats"): V3 is the
 * key-committing format today's official clients write and, by default, require; V2 is what
 * clients before Java 3.6 / Go 3.2 read.
 */
export const ENVELOPE_FORMATS = ['v3', 'v2'] as const;
export type EnvelopeFormat = (typeof ENVELOPE_FORMATS)[number];
export const DEFAULT_ENVELOPE_FORMAT: EnvelopeFormat = 'v3';

export type { Envelope, EnvelopeV2, EnvelopeV3 } from './envelope-types.js';

/** The encryption context for a new data key: the S3EC pair plus any custom pairs of the policy. */
export function encryptionContextFor(
  format: EnvelopeFormat,
  custom: Record<string, string> = {},
): Record<string, string> {
  if (CEK_CONTEXT_KEY in custom) {
    throw new EnvelopeFormatError(`the encryption context key ${CEK_CONTEXT_KEY} is reserved`);
  }
  return { ...custom, [CEK_CONTEXT_KEY]: format === 'v3' ? CEK_ALGORITHM_V3 : CEK_ALGORITHM_V2 };
}

/**
 * The pairs of a stored envelope's context besides the S3EC one (which names the content algorithm
 * and so changes with the format): an application's own, which its readers and key policies may
 * require. A format upgrade binds the new data key to all of them (docs/architecture.md, "Re-wrap
 * and upgrade").
 */
export function customContextOf(context: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(context).filter(([name]) => name !== CEK_CONTEXT_KEY));
}

/** The user-metadata entries that make an object readable by official S3EC clients. */
export function toObjectMetadata(envelope: Envelope): Record<string, string> {
  return envelope.format === 'v3' ? toV3Metadata(envelope) : toV2Metadata(envelope);
}

/** The metadata name holding the wrapped data key in `format`: what a re-wrap replaces. */
export function wrappedKeyName(format: EnvelopeFormat): string {
  return format === 'v3' ? META_V3.wrappedKey : META.wrappedKey;
}

/** The metadata name of the per-object random value: V2's IV, V3's message id. */
export function nonceName(format: EnvelopeFormat): string {
  return format === 'v3' ? META_V3.messageId : META.iv;
}

/** True when a metadata name belongs to an S3EC envelope (any version) rather than to the user. */
export function isEnvelopeMetadataName(name: string): boolean {
  return ALL_S3EC_NAMES.has(name);
}

/** The user's own metadata: everything but S3EC's entries. */
export function userMetadataOf(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([name]) => !isEnvelopeMetadataName(name)));
}

/** What an object's metadata says about client-side encryption. */
export type ClientSideState =
  /** No S3EC entry at all. */
  | { kind: 'none' }
  /** A V2 or V3 kms+context envelope s3-seal reads. */
  | { kind: 'readable'; envelope: Envelope }
  /** Client-side encrypted in a way s3-seal does not read (V1, other algorithms, mixed versions). */
  | { kind: 'unreadable'; detail: string }
  /** S3EC entries that do not make a well-formed envelope. */
  | { kind: 'malformed'; detail: string };

// Names only one version writes (the S3EC specification's "exclusive mapkeys"), and V3's others.
const V3_NAMES = Object.values(META_V3) as string[];

/**
 * Classifies an object by its metadata. Any S3EC entry makes an object client-side encrypted for
 * s3-seal (it is never treated as plaintext); only a complete, consistent V2 or V3 kms+context
 * envelope is readable.
 */
export function classifyClientSide(metadata: Record<string, string> | undefined): ClientSideState {
  const m = metadata ?? {};
  const names = Object.keys(m);
  if (!names.some((name) => ALL_S3EC_NAMES.has(name))) return { kind: 'none' };
  const v1 = m[V1_WRAPPED_KEY] !== undefined;
  const v2 = m[META.wrappedKey] !== undefined;
  const v3 = V3_NAMES.some((name) => m[name] !== undefined);
  const versions = [v1 && 'V1', v2 && 'V2', v3 && 'V3'].filter(Boolean);
  if (versions.length > 1) {
    return { kind: 'unreadable', detail: `metadata mixes S3EC ${versions.join(' and ')} entries` };
  }
  if (v1) return { kind: 'unreadable', detail: 'S3EC V1 (x-amz-key), which s3-seal does not read' };
  if (!v2 && !v3) {
    return { kind: 'malformed', detail: 'S3EC metadata without a wrapped data key' };
  }
  try {
    return { kind: 'readable', envelope: v3 ? parseV3Metadata(m) : parseV2Metadata(m) };
  } catch (error) {
    if (error instanceof UnsupportedEnvelopeError) return { kind: 'unreadable', detail: error.message };
    if (error instanceof EnvelopeFormatError) return { kind: 'malformed', detail: error.message };
    throw error;
  }
}

/** The format of a readable envelope, or undefined (no envelope, or one s3-seal does not read). */
export function envelopeFormatOf(metadata: Record<string, string> | undefined): EnvelopeFormat | undefined {
  const state = classifyClientSide(metadata);
  return state.kind === 'readable' ? state.envelope.format : undefined;
}

/** Reads a V2 or V3 envelope from an object's metadata, or says precisely why it cannot. */
export function parseObjectMetadata(metadata: Record<string, string> | undefined): Envelope {
  const state = classifyClientSide(metadata);
  switch (state.kind) {
    case 'readable':
      return state.envelope;
    case 'none':
      throw new EnvelopeFormatError('the object carries no S3EC envelope metadata');
    case 'unreadable':
      throw new UnsupportedEnvelopeError(state.detail);
    case 'malformed':
      throw new EnvelopeFormatError(state.detail);
  }
}
