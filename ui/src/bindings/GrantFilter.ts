// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type GrantFilter = { user: string | null, course_id: number | null, order_number: string | null, };
