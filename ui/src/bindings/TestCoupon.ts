// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type TestCoupon = { coupon_log_id: number, user_id: number, name: string, sale: string, condition: number, };
