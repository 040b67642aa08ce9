// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { TestCoupon } from "./TestCoupon";
import type { TestCourse } from "./TestCourse";
import type { TestUser } from "./TestUser";

export type TestOrderOptions = { users: Array<TestUser>, courses: Array<TestCourse>, coupons: Array<TestCoupon>, };
