// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type IpcErrorCode = "not_found" | "invalid_input" | "conflict" | "gateway" | "signature" | "unknown_outcome" | "confirmation_required" | "internal";
