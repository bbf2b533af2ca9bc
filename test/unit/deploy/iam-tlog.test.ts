import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../deploy/config.js';
import { FUNCTIONS, functionStatements } from '../../../deploy/iam.js';
import {
  sequencerSigningPolicy,
  sequencerStatements,
  signingKeyPolicy,
  TLOG_PREFIX,
} from '../../../deploy/iam-tlog.js';
import { chunkItemKey } from '../../../shared/chunks/chunk-item-key.js';
import { loadConfig } from '../../../shared/config.js';
import { runItemKey } from '../../../shared/runs/marker-once.js';
import { KmsNoteSigner } from '../../../shared/tlog/kms-note-signer.js';
import { encodeLeafEntry } from '../../../shared/transparency/leaf-entry.js';
import type { LeafRequest } from '../../../shared/transparency/leaf-request.js';
import {
  assignmentTransaction,
  EMPTY_STATE,
  sequencerStateKey,
} from '../../../shared/transparency/sequencer-state.js';
import { actionMatches, decide, type PolicyStatement } from './policy-decision.js';

const REPO = join(import.meta.dirname, '../../..');
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/55555555-5555-4555-8555-555555555555';
const SEQUENCER = { 'Fn::GetAtt': ['SequencerRole', 'Arn'] };
const OTHERS = [
  { 'Fn::GetAtt': ['EncryptRole', 'Arn'] },
  { 'Fn::GetAtt': ['ScanRole', 'Arn'] },
  'arn:aws:iam::111122223333:role/Administrator',
  'arn:aws:iam::111122223333:root',
];
const keyPolicy = signingKeyPolicy().Statement as PolicyStatement[];
const signingStatements = (sequencerSigningPolicy().Properties as { PolicyDocument: { Statement: unknown } })
  .PolicyDocument.Statement as PolicyStatement[];

/** What the sequencer's own KmsNoteSigner sends, answered by a P-256 key in this process. */
async function signerRequests(): Promise<Array<{ action: string; input: Record<string, unknown> }>> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kms = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const sent: Array<{ action: string; input: Record<string, unknown> }> = [];
  kms.middlewareStack.add(
    (_next, context) => async (args) => {
      const action = `kms:${String(context.commandName).replace(/Command$/, '')}`;
      const input = args.input as Record<string, unknown>;
      sent.push({ action, input });
      const output =
        action === 'kms:GetPublicKey'
          ? {
              KeyId: KEY_ARN,
              KeySpec: 'ECC_NIST_P256',
              KeyUsage: 'SIGN_VERIFY',
              PublicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
            }
          : {
              KeyId: KEY_ARN,
              Signature: new Uint8Array(sign('sha256', input.Message as Uint8Array, privateKey)),
            };
      return { output: { ...output, $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'answerFromProcess' },
  );
  const signer = await KmsNoteSigner.create(kms, 'alias/s3-seal-test-tlog', 's3-seal/audit/tlog');
  await signer.sign(new TextEncoder().encode('s3-seal/audit/tlog\n1\nAAAA\n'));
  return sent;
}

describe('the signing key policy', () => {
  it("lets the sequencer's role sign checkpoints: RAW notes, ECDSA over SHA-256", () => {
    const context = { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' };
    expect(decide(keyPolicy, { action: 'kms:Sign', principalArn: SEQUENCER, context })).toBe('allow');
    // Not a digest the caller computed, not another algorithm: only what the signer sends.
    for (const other of [
      { ...context, 'kms:MessageType': 'DIGEST' },
      { ...context, 'kms:SigningAlgorithm': 'ECDSA_SHA_384' },
    ]) {
      expect(decide(keyPolicy, { action: 'kms:Sign', principalArn: SEQUENCER, context: other })).toBe(
        'implicit-deny',
      );
    }
  });

  it('denies Sign to every other principal, whatever their IAM policies or grants allow', () => {
    const context = { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' };
    for (const principalArn of OTHERS) {
      expect(
        decide(keyPolicy, { action: 'kms:Sign', principalArn, context }),
        JSON.stringify(principalArn),
      ).toBe('deny');
    }
    // And without the Deny, no Allow but the sequencer's names Sign: an admin wildcard never did.
    const allows = keyPolicy.filter((s) => s.Effect === 'Allow' && actionMatches(s.Action, 'kms:Sign'));
    expect(allows.map((s) => s.Sid)).toEqual(['SequencerSignsCheckpoints']);
    expect(allows[0]!.Condition?.ArnEquals).toEqual({ 'aws:PrincipalArn': SEQUENCER });
  });

  it('lets the account read the public key and administer the key, so it is never locked out', () => {
    for (const action of [
      'kms:GetPublicKey',
      'kms:DescribeKey',
      'kms:PutKeyPolicy',
      'kms:ScheduleKeyDeletion',
    ]) {
      expect(decide(keyPolicy, { action, principalArn: OTHERS[2] }), action).toBe('allow');
    }
    // No cryptographic operation for the account: the key signs and nothing else verifies through it.
    for (const action of ['kms:Verify', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']) {
      expect(decide(keyPolicy, { action, principalArn: OTHERS[2] }), action).toBe('implicit-deny');
    }
  });

  it("admits every call the sequencer's signer makes, under its role and its signing policy", async () => {
    const sent = await signerRequests();
    expect(sent.map((r) => r.action)).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    for (const { action, input } of sent) {
      const context: Record<string, string> =
        action === 'kms:Sign'
          ? {
              'kms:SigningAlgorithm': String(input.SigningAlgorithm),
              'kms:MessageType': String(input.MessageType),
            }
          : {};
      expect(decide(keyPolicy, { action, principalArn: SEQUENCER, context }), action).toBe('allow');
      expect(decide(signingStatements, { action, principalArn: SEQUENCER, context }), action).toBe('allow');
    }
  });
});

describe("the sequencer's role", () => {
  const role = sequencerStatements();
  const request: LeafRequest = {
    runId: '20270112T093000-1a2b3c4d',
    chunkId: '0a1b2c3d4e5f',
    leaf: {
      bucket: 'audit-bucket',
      key: 'audit/runs/20270112T093000-1a2b3c4d/0a1b2c3d4e5f.jsonl.gz',
      sha256: 'ab'.repeat(32),
    },
  };
  /** Whether the role lets `action` reach the ledger item with partition key `pk`, `in` an operation. */
  const reaches = (action: string, pk: string, enclosing?: string) =>
    decide(role as PolicyStatement[], {
      action,
      principalArn: SEQUENCER,
      context: {
        'dynamodb:LeadingKeys': [pk],
        ...(enclosing ? { 'dynamodb:EnclosingOperation': [enclosing] } : {}),
      },
    }) === 'allow';

  it('updates exactly the items its assignment transaction writes, and reads only its state', () => {
    const origin = 's3-seal/audit-bucket/tlog';
    const entry = Buffer.from(encodeLeafEntry(request.leaf)).toString('utf8');
    const transaction = assignmentTransaction('ledger', origin, EMPTY_STATE, [request], [entry], new Date());
    const writes = transaction.TransactItems!.map((item) => {
      const [kind, action] = Object.entries(item)[0]!;
      return {
        action: `dynamodb:${kind}Item`,
        pk: String((action as { Key?: Record<string, unknown> }).Key?.pk),
      };
    });
    expect(writes).toEqual([
      { action: 'dynamodb:UpdateItem', pk: sequencerStateKey(origin).pk },
      { action: 'dynamodb:UpdateItem', pk: chunkItemKey(request).pk },
    ]);
    // log-sequencer.ts sends the assignment as one TransactWriteItems.
    for (const { action, pk } of writes) {
      expect(reaches(action, pk, 'TransactWriteItems'), `${action} ${pk}`).toBe(true);
      expect(reaches(action, pk), `${action} ${pk} outside a transaction`).toBe(false);
    }
    expect(reaches('dynamodb:GetItem', sequencerStateKey(origin).pk)).toBe(true);
    // Nothing else of the ledger: not a chunk item's fields by read, not a run, not a new item.
    expect(reaches('dynamodb:GetItem', chunkItemKey(request).pk)).toBe(false);
    expect(reaches('dynamodb:UpdateItem', runItemKey(request.runId).pk, 'TransactWriteItems')).toBe(false);
    expect(role.flatMap((s) => s.Action).filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('reaches the audit bucket only under the prefix the deployed functions put the log', () => {
    // serverless.yml gives the functions S3SEAL_TLOG_PREFIX from the same constant.
    const config = loadConfig({ S3SEAL_AUDIT_BUCKET: 'audit-bucket', S3SEAL_TLOG_PREFIX: TLOG_PREFIX });
    const objects = role.find((s) => s.Sid === 'TlogObjects')!;
    expect(objects.Resource).toEqual([
      {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': ['AuditTrailBucket', 'Arn'] }, `/${config.transparencyLog.prefix}*`],
        ],
      },
    ]);
    expect(role.find((s) => s.Sid === 'TlogList')?.Condition).toEqual({
      StringLike: { 's3:prefix': `${config.transparencyLog.prefix}*` },
    });
    expect(JSON.stringify(role)).not.toContain('audit/');
    expect(role.flatMap((s) => s.Action).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });
});

describe('the transparency log queue', () => {
  const config = parseDeployConfig(
    { buckets: [{ name: 'logs', mode: 'sse-s3' }] },
    { region: 'us-east-1', source: 'test' },
  );

  it('takes leaf requests from every function whose handler commits chunks, and from no other', () => {
    // A handler commits chunks when it builds chunk handler deps or the process's commit feed.
    const committers = FUNCTIONS.filter((fn) =>
      /\b(chunkDeps|processCommitFeed)\(/.test(
        readFileSync(join(REPO, `functions/${fn}/handler.ts`), 'utf8'),
      ),
    );
    expect(committers).toEqual(['scan', 'encrypt', 'events', 'rewrap']);
    const senders = FUNCTIONS.filter((fn) =>
      functionStatements(fn, config, fn).some(
        (s) => s.Action.includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes('"TlogQueue"'),
      ),
    );
    expect(senders).toEqual(committers);
  });
});
