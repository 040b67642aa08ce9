// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { OrderRow } from "./OrderRow";
import type { SettleOutcome } from "./SettleOutcome";
import type { SettledCourse } from "./SettledCourse";

export type SettleResult = { outcome: SettleOutcome, message: string, order: OrderRow | null, pay_time: string | null, amount: string | null, courses: Array<SettledCourse>, };
