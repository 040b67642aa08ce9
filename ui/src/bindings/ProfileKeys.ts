// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
import type { KeyMode } from "./KeyMode";

export type ProfileKeys = { mode: KeyMode, app_private_key: string | null, alipay_public_key: string | null, app_cert: string | null, alipay_cert: string | null, alipay_root_cert: string | null, app_public_fingerprint: string | null, alipay_public_fingerprint: string | null, };
