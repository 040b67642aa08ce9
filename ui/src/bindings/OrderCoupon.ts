// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type OrderCoupon = { coupon_log_id: number, name: string, sale: string, discount: number, use_status: number, };
