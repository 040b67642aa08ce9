// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { RefundRow } from "./RefundRow";

export type RefundsResumeReport = { resolved: Array<RefundRow>, still_pending: Array<RefundRow>, };
