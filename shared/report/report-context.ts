/** What the report states beyond the run's own records, found when it was generated. */
export interface ReportContext {
  generatedAt: Date;
  /** The s3-seal version that wrote the report (package.json). */
  toolVersion: string;
  /** `s3-seal audit verify --run ID`, run while the report was generated. */
  auditCheck?: AuditCheck | { error: string };
  /** Plaintext noncurrent versions under the run's prefix, counted while the report was generated. */
  versionsLeft?: VersionsCount | { error: string };
  /** `report --verify`: `s3-seal verify` over the run's scope while the report was generated. */
  liveVerify?: LiveVerify | { error: string };
}

export interface LiveVerify {
  /** When the check ran (ISO). */
  at: string;
  checked: number;
  compliant: number;
  problems: number;
  /** The first problems, by key. */
  named: Array<{ key: string; problem: string }>;
}

export interface AuditCheck {
  records: number;
  objects: number;
  problems: string[];
  digest?: 'matches' | 'differs' | 'run not closed';
}

export interface VersionsCount {
  versioned: boolean;
  noncurrent: number;
  plaintext: number;
  checked: number;
}
