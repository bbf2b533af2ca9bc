/** A CloudFormation value: a literal, a list, or an intrinsic function (`Fn::…`, `Ref`). */
export type CfnValue = string | string[] | Record<string, unknown>;

/** One IAM policy statement of a function's role. */
export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: CfnValue[];
  Condition?: Record<string, Record<string, CfnValue>>;
}
