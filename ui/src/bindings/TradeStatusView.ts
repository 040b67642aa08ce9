// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type TradeStatusView = { exists: boolean, trade_no: string | null, trade_status: string | null, total_amount: string | null, buyer_pay_amount: string | null, send_pay_date: string | null, message: string, };
