// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { RefundState } from "./RefundState";

export type OrderRow = { id: number, order_number: string, user_id: number, username: string, mobile: string, status: number, status_label: string, total_price: string, real_price: string, credit: number, pay_time: string | null, created_time: string, refunded: string, refund_state: RefundState, };
