/** What the report states beyond the run's own records, found when it was generated. */
export interface ReportContext {
  generatedAt: Date;
  /** The s3-seal version that wrote the report (package.json). */
  toolVersion: string;
  /** `s3-seal audit verify --run ID`, run while the report was generated. */
  auditCheck?: AuditCheck | { error: string };
  /** Plaintext noncurrent versions under the run's prefix, counted while the report was generated. */
  versionsLeft?: VersionsCount | { error: string };
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
