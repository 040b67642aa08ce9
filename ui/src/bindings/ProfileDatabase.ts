// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { DatabaseKind } from "./DatabaseKind";
import type { IsDeletedColumn } from "./IsDeletedColumn";

export type ProfileDatabase = { kind: DatabaseKind, path: string | null, url: string | null, tables: Record<string, string>, is_deleted_column: IsDeletedColumn, };
