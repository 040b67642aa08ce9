// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { ProfileDatabase } from "./ProfileDatabase";
import type { ProfileKeys } from "./ProfileKeys";
import type { ProfileKind } from "./ProfileKind";
import type { SignType } from "./SignType";

export type ProfileSettings = { name: string, kind: ProfileKind, gateway: string, app_id: string, seller_id: string, sign_type: SignType, operator: string | null, keys: ProfileKeys, database: ProfileDatabase, timeout_secs: number, };
