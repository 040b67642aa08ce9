// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { ExpireFailure } from "./ExpireFailure";

export type ExpireReport = { expired: Array<string>, settled_instead: Array<string>, failed: Array<ExpireFailure>, };
