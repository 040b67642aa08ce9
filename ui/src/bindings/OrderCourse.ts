// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type OrderCourse = { course_id: number, name: string, price: string, real_price: string, discount_name: string, };
