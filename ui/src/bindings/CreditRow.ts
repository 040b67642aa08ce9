// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type CreditRow = { id: number, operation: number, number: number, remark: string | null, created_time: string, };
