// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { OrderRow } from "./OrderRow";

export type OrderPage = { rows: Array<OrderRow>, next: string | null, };
