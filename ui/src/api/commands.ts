// One typed function per backend command (see .tmp/APP_CONTRACT.md). Argument keys follow Tauri's
// default: a Rust parameter `order_number` arrives from the key `orderNumber`.
import { call } from './ipc'
import type {
  AppStatus,
  AuditFilter,
  AuditPage,
  CertSn,
  ExpireReport,
  GrantDuplicate,
  GrantFilter,
  GrantMergeResult,
  GrantRow,
  KeyConvertResult,
  KeyFormat,
  KeyInspection,
  KeyPairCheck,
  KeysGenerated,
  OperationResult,
  OperationResultGrant,
  OrderDetail,
  OrderFilter,
  OrderPage,
  OrderTotals,
  OrderRow,
  PageRequest,
  PayLink,
  ReconAction,
  ReconActionResult,
  ReconDiff,
  ReconExport,
  ReconOverview,
  ReconReport,
  ReconRowFilter,
  ReconRowPage,
  ReconRunResult,
  ReconSource,
  ProfileList,
  RevenueExport,
  RevenueGroup,
  RevenueReportDto,
  ProfileSettings,
  ProfileSummary,
  SettingsText,
  RefundFilter,
  RefundPolicy,
  RefundRow,
  RefundsResumeReport,
  SchemaReport,
  SettleResult,
  SignResult,
  SignType,
  SignatureCheck,
  TestOrderOptions,
  TestOrderRequest,
  TradeStatusView,
  VerifyBatch,
  VerifyReport,
} from '../bindings'

// Status & profiles
export const appStatus = () => call<AppStatus>('app_status')
export const profilesList = () => call<ProfileList>('profiles_list')
export const settingsTextGet = () => call<SettingsText>('settings_text_get')
export const settingsTextSave = (text: string) => call<ProfileList>('settings_text_save', { text })
export const profileGet = (name: string) => call<ProfileSettings>('profile_get', { name })
export const profileSave = (settings: ProfileSettings) => call<ProfileSummary>('profile_save', { settings })
export const profileActivate = (name: string) => call<AppStatus>('profile_activate', { name })
export const profileTestConnection = (settings: ProfileSettings) =>
  call<SchemaReport>('profile_test_connection', { settings })

// Orders
export const ordersList = (filter: OrderFilter, page: PageRequest) => call<OrderPage>('orders_list', { filter, page })
export const ordersTotals = (filter: OrderFilter) => call<OrderTotals>('orders_totals', { filter })
export const orderDetail = (orderNumber: string) => call<OrderDetail>('order_detail', { orderNumber })
export const orderTradeStatus = (orderNumber: string) => call<TradeStatusView>('order_trade_status', { orderNumber })
export const testOrderCreate = (req: TestOrderRequest) => call<OrderRow>('test_order_create', { req })
export const testOrderOptions = () => call<TestOrderOptions>('test_order_options')
export const payLink = (orderNumber: string, wap: boolean) => call<PayLink>('pay_link', { orderNumber, wap })
export const orderClose = (orderNumber: string, reason: string, confirm: string | null) =>
  call<OperationResult>('order_close', { orderNumber, reason, confirm })
export const ordersExpire = (confirm: string | null) => call<ExpireReport>('orders_expire', { confirm })

// Verify & settle
export const verifyInputs = (inputs: string[]) => call<VerifyReport[]>('verify_inputs', { inputs })
/** A whole paste or file, verified in the background (progress task `verify`); `job` cancels it. */
export const verifyText = (job: number, text: string) => call<VerifyBatch>('verify_text', { job, text })
export const verifyCancel = (job: number) => call<null>('verify_cancel', { job })
export const settle = (input: string | null, orderNumber: string | null, confirm: string | null) =>
  call<SettleResult>('settle', { input, orderNumber, confirm })

// Refunds
export const refundCreate = (orderNumber: string, amount: string | null, reason: string, confirm: string | null) =>
  call<RefundRow>('refund_create', { orderNumber, amount, reason, confirm })
export const refundsList = (filter: RefundFilter) => call<RefundRow[]>('refunds_list', { filter })
export const refundsResume = () => call<RefundsResumeReport>('refunds_resume')

// The full-refund policy (stored in the platform database; reason required; POLICY on production)
export const policyGet = () => call<RefundPolicy>('policy_get')
export const policySet = (
  revokeGrantsOnFullRefund: boolean,
  returnCreditsOnFullRefund: boolean,
  reason: string,
  confirm: string | null,
) => call<RefundPolicy>('policy_set', { revokeGrantsOnFullRefund, returnCreditsOnFullRefund, reason, confirm })

// Grants
export const grantsList = (filter: GrantFilter) => call<GrantRow[]>('grants_list', { filter })
export const grantCreate = (userId: number, courseId: number, reason: string) =>
  call<GrantRow>('grant_create', { userId, courseId, reason })
export const grantRevoke = (grantId: number, reason: string, confirm: string | null) =>
  call<OperationResultGrant>('grant_revoke', { grantId, reason, confirm })
export const grantDuplicates = () => call<GrantDuplicate[]>('grant_duplicates')
export const grantMerge = (userId: number, courseId: number, reason: string) =>
  call<GrantMergeResult>('grant_merge', { userId, courseId, reason })

// Keys — paths in, paths out; private key material never crosses IPC.
export const keysGenerate = (outDir: string) => call<KeysGenerated>('keys_generate', { outDir })
export const keysInspect = (pathOrText: string) => call<KeyInspection>('keys_inspect', { pathOrText })
export const keysConvert = (inPath: string, to: KeyFormat, outPath: string) =>
  call<KeyConvertResult>('keys_convert', { inPath, to, outPath })
export const keysCheckPair = (privatePath: string, publicPathOrText: string) =>
  call<KeyPairCheck>('keys_check_pair', { privatePath, publicPathOrText })
export const signContent = (privatePath: string, content: string, signType: SignType) =>
  call<SignResult>('sign_content', { privatePath, content, signType })
export const verifySignature = (publicPathOrText: string, content: string, signature: string, signType: SignType) =>
  call<SignatureCheck>('verify_signature', { publicPathOrText, content, signature, signType })
export const certSn = (path: string) => call<CertSn>('cert_sn', { path })

// Audit
export const auditList = (filter: AuditFilter, page: PageRequest) => call<AuditPage>('audit_list', { filter, page })

// Reconcile (对账, .tmp/RECON_CONTRACT.md)
export const reconOverview = () => call<ReconOverview>('recon_overview')
/** `period` may be null for an imported file (the bill says which period it covers). */
export const reconRun = (period: string | null, source: ReconSource, path: string | null) =>
  call<ReconRunResult>('recon_run', { period, source, path })
/** True when a running run was told to stop; that run then rejects with `conflict` ("cancelled…"). */
export const reconCancel = () => call<boolean>('recon_cancel')
export const reconReport = (runId: number) => call<ReconReport>('recon_report', { runId })
export const reconRows = (runId: number, filter: ReconRowFilter, offset: number, limit: number) =>
  call<ReconRowPage>('recon_rows', { runId, filter, offset, limit })
export const reconAction = (rowId: number, action: ReconAction, note: string | null, confirm: string | null) =>
  call<ReconActionResult>('recon_action', { rowId, action, note, confirm })
export const reconExportCsv = (runId: number, path: string) => call<ReconExport>('recon_export_csv', { runId, path })

export const revenueReport = (from: string, to: string, by: RevenueGroup) => call<RevenueReportDto>('revenue_report', { from, to, by })
export const revenueExport = (from: string, to: string, by: RevenueGroup, path: string) =>
  call<RevenueExport>('revenue_export', { from, to, by, path })
export const reconCompare = (earlier: number, later: number) => call<ReconDiff>('recon_compare', { earlier, later })
