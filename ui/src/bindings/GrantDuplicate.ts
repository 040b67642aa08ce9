// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type GrantDuplicate = { user_id: number, username: string, course_id: number, course_name: string, grant_ids: Array<number>, };
