// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type AuditRow = { id: number, at: string, operator: string, profile: string, action: string, order_number: string | null, user_id: number | null, reason: string | null, outcome: string, before: unknown, after: unknown, };
