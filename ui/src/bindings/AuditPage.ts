// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { AuditRow } from "./AuditRow";

export type AuditPage = { rows: Array<AuditRow>, next: string | null, };
