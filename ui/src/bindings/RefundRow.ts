// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { RefundStatus } from "./RefundStatus";

export type RefundRow = { out_request_no: string, order_number: string, amount: string, reason: string, status: RefundStatus, message: string | null, created_time: string, resolved_time: string | null, operator: string, };
