// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { ChangedEntity } from "./ChangedEntity";

export type ChangedEvent = { entity: ChangedEntity, order_number: string | null, };
