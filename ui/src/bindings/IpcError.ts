// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { IpcErrorCode } from "./IpcErrorCode";

export type IpcError = { code: IpcErrorCode, message: string, };
