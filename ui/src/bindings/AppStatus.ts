// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { ProfileKind } from "./ProfileKind";
import type { SimulatorInfo } from "./SimulatorInfo";

export type AppStatus = { profile: string, kind: ProfileKind, operator: string, database: string, simulator: SimulatorInfo | null, notify_url: string | null, version: string, };
