// Hand-kept copy of the IPC contract (.tmp/APP_CONTRACT.md); ts-rs output with the same name replaces it.
export type SimulatorInfo = { gateway_url: string, app_id: string, seller_id: string, };
