// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { KeyKind } from "./KeyKind";

export type KeyInspection = { kind: KeyKind, format: string, bits: number, fingerprint: string, public_one_line: string, };
