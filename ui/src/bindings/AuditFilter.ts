// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type AuditFilter = { operator: string | null, action: string | null, order_number: string | null, user_id: number | null, from: string | null, to: string | null, };
