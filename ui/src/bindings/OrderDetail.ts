// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { AuditRow } from "./AuditRow";
import type { CreditRow } from "./CreditRow";
import type { GrantRow } from "./GrantRow";
import type { OrderCoupon } from "./OrderCoupon";
import type { OrderCourse } from "./OrderCourse";
import type { OrderRow } from "./OrderRow";
import type { RefundRow } from "./RefundRow";

export type OrderDetail = { order: OrderRow, courses: Array<OrderCourse>, coupon: OrderCoupon | null, credits: Array<CreditRow>, grants: Array<GrantRow>, refunds: Array<RefundRow>, audit: Array<AuditRow>, };
