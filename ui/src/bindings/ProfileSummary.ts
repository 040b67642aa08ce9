// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { ProfileKind } from "./ProfileKind";

export type ProfileSummary = { name: string, kind: ProfileKind, active: boolean, gateway: string, app_id: string, seller_id: string, database: string, };
