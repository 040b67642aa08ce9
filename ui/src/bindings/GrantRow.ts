// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type GrantRow = { id: number, user_id: number, username: string, course_id: number, course_name: string, created_time: string, study_time: number, };
