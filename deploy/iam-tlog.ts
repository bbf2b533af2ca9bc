import { CHUNK_PREFIX } from '../shared/chunks/chunk-item-key.js';
import { sequencerStateKey } from '../shared/transparency/sequencer-state.js';
import type { CfnValue, Statement } from './iam-statement.js';

/**
 * The transparency log's part of the stack's IAM (docs/architecture.md, "Transparency log";
 * docs/deploying.md, "Transparency log"): the sequencer's role, the send permission of the
 * functions that commit chunks, and the signing key's policy. Only the sequencer signs.
 */

/** Where the log lives in the audit bucket (S3SEAL_TLOG_PREFIX, serverless.yml): its S3 scope. */
export const TLOG_PREFIX = 'tlog/';
export const TLOG_QUEUE_ID = 'TlogQueue';
export const TLOG_KEY_ID = 'TlogSigningKey';
export const SEQUENCER_ROLE_ID = 'SequencerRole';
/** The sequencer role's KMS permissions, apart from its role: see {@link sequencerSigningPolicy}. */
export const SIGNING_POLICY_ID = 'SequencerSigningPolicy';

/**
 * What KMS is asked to sign, as shared/tlog/kms-note-signer.ts asks it: the checkpoint note itself
 * (RAW, at most 4 KiB), ECDSA over SHA-256. The key may sign nothing else, not even for the sequencer.
 */
export const SIGN_CONDITION = {
  StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' },
};

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const AUDIT_BUCKET = arnOf('AuditTrailBucket');

/** The ledger items the sequencer touches, by partition key: its state item and chunk items. */
export const SEQUENCER_STATE_KEYS = `${sequencerStateKey('').pk}*`;
export const CHUNK_ITEM_KEYS = `${CHUNK_PREFIX}*`;
/** The actions of a TransactWriteItems (log-sequencer.ts writes nothing outside one). */
export const IN_TRANSACTION = {
  'ForAnyValue:StringEquals': { 'dynamodb:EnclosingOperation': ['TransactWriteItems'] },
};

/**
 * The sequencer's role (shared/transparency/log-sequencer.ts), besides its log group: its queue as
 * an event source (the mapping receives and deletes; the handler never changes a visibility); its
 * state item read; the state item and chunk items updated only inside a TransactWriteItems (IAM
 * authorises each of its actions as the UpdateItem it is, with that action's partition key and
 * enclosing operation as conditions); and the tiles and checkpoint under the log's prefix:
 * GetObject, PutObject (If-None-Match, If-Match), and ListBucket of the prefix so a missing
 * checkpoint or tile reads as 404, not 403. Nothing of the audit trail under `audit/`: the leaf
 * comes in the message, as the chunk's commit recorded it.
 */
export function sequencerStatements(): Statement[] {
  return [
    {
      Sid: 'ConsumeTlogQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: [arnOf(TLOG_QUEUE_ID)],
    },
    {
      Sid: 'ReadSequencerState',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem'],
      Resource: [arnOf('LedgerTable')],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [SEQUENCER_STATE_KEYS] } },
    },
    {
      // One round: the state moves on and up to 99 chunk items get their leafIndex, together.
      Sid: 'AssignLeaves',
      Effect: 'Allow',
      Action: ['dynamodb:UpdateItem'],
      Resource: [arnOf('LedgerTable')],
      Condition: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [SEQUENCER_STATE_KEYS, CHUNK_ITEM_KEYS] },
        ...IN_TRANSACTION,
      },
    },
    {
      Sid: 'TlogObjects',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [{ 'Fn::Join': ['', [AUDIT_BUCKET, `/${TLOG_PREFIX}*`]] }],
    },
    {
      Sid: 'TlogList',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [AUDIT_BUCKET],
      Condition: { StringLike: { 's3:prefix': `${TLOG_PREFIX}*` } },
    },
  ];
}

/**
 * The functions that commit chunks (scan for inventory-decided chunks; encrypt, events and rewrap,
 * whose closers also hand on committed chunks found without a leaf) send leaf requests to the
 * sequencer's queue (shared/transparency/commit-feed.ts, SendMessageBatch: sqs:SendMessage).
 */
export const FEED_TRANSPARENCY_LOG: Statement = {
  Sid: 'FeedTransparencyLog',
  Effect: 'Allow',
  Action: ['sqs:SendMessage'],
  Resource: [arnOf(TLOG_QUEUE_ID)],
};

/**
 * The sequencer's KMS permissions on the signing key. A policy of its own, attached to the role,
 * because the key's policy names the role: inside the role, the key's ARN would make each wait
 * for the other (a circular dependency CloudFormation refuses).
 */
export function sequencerSigningPolicy(): Record<string, unknown> {
  return {
    Type: 'AWS::IAM::Policy',
    Properties: {
      PolicyName: 'sign-checkpoints',
      Roles: [{ Ref: SEQUENCER_ROLE_ID }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SignCheckpoints',
            Effect: 'Allow',
            Action: ['kms:Sign'],
            Resource: [arnOf(TLOG_KEY_ID)],
            Condition: SIGN_CONDITION,
          },
          // Once a process: the key's public half names the signature (its key ID) in the note.
          {
            Sid: 'ReadSigningPublicKey',
            Effect: 'Allow',
            Action: ['kms:GetPublicKey'],
            Resource: [arnOf(TLOG_KEY_ID)],
          },
        ],
      },
    },
  };
}

/**
 * The key administrators' actions of the KMS default key policy (AWS KMS Developer Guide, "Default
 * key policy"): manage, tag, alias, schedule deletion; no cryptographic operation among them.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/**
 * The signing key's policy. The account administers the key through IAM (and keeps PutKeyPolicy,
 * so the key can never be locked out); anyone the account's IAM allows may read the public key
 * (the CLI verifies checkpoints with it: `audit checkpoint`, `audit verify --all`, `audit proof`;
 * `encrypt` and `setup` describe the key). Sign is allowed to the sequencer's role alone, and
 * denied to every other principal, whatever their IAM policies or a grant say. The role is named
 * by condition, not as a principal: KMS refuses a policy naming a principal IAM does not show yet,
 * which a role created moments before the key may be.
 */
export function signingKeyPolicy(sequencerRoleArn: CfnValue = arnOf(SEQUENCER_ROLE_ID)) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JS
  const account = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'KeyAdministration',
        Effect: 'Allow',
        Principal: { AWS: account },
        Action: KEY_ADMIN_ACTIONS,
        Resource: '*',
      },
      {
        Sid: 'ReadPublicKey',
        Effect: 'Allow',
        Principal: { AWS: account },
        Action: ['kms:DescribeKey', 'kms:GetPublicKey'],
        Resource: '*',
      },
      {
        Sid: 'SequencerSignsCheckpoints',
        Effect: 'Allow',
        Principal: { AWS: account },
        Action: 'kms:Sign',
        Resource: '*',
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': sequencerRoleArn },
          ...SIGN_CONDITION,
        },
      },
      {
        Sid: 'NoOtherSigner',
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:Sign',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': sequencerRoleArn } },
      },
    ],
  };
}
