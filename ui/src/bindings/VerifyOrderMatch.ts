// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type VerifyOrderMatch = { order_number: string, exists: boolean, status: number | null, status_label: string | null, real_price: string | null, amount_matches: boolean | null, app_id_matches: boolean | null, seller_id_matches: boolean | null, };
