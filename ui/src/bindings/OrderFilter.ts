// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { RefundFilterState } from "./RefundFilterState";

export type OrderFilter = { status: Array<number>, from: string | null, to: string | null, user: string | null, number_prefix: string | null, min_amount: string | null, max_amount: string | null, refund: RefundFilterState, };
