// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type TestOrderRequest = { user_id: number, course_ids: Array<number>, coupon_log_id: number | null, credits: number, };
