// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { VerifyField } from "./VerifyField";
import type { VerifyKind } from "./VerifyKind";
import type { VerifyOrderMatch } from "./VerifyOrderMatch";

export type VerifyReport = { index: number, input: string, valid: boolean, kind: VerifyKind, reason: string | null, hint: string | null, canonical: string | null, fields: Array<VerifyField>, order: VerifyOrderMatch | null, };
