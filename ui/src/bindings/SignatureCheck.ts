// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type SignatureCheck = { valid: boolean, message: string, };
