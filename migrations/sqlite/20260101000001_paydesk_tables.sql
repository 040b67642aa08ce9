-- Paydesk's own tables on SQLite. Safe on any database: only CREATE ... IF NOT EXISTS of paydesk_*.
-- Money is INTEGER fen here (SQLite has no exact decimal type: a `decimal` column has NUMERIC
-- affinity and would turn 0.10 into a binary float). Datetimes are TEXT 'YYYY-MM-DD HH:MM:SS.ffffff',
-- naive Asia/Shanghai like the platform's, fixed width so they sort as text.

CREATE TABLE IF NOT EXISTS paydesk_audit_log (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    profile TEXT NOT NULL,
    action TEXT NOT NULL,
    order_id INTEGER NULL,
    order_number TEXT NULL,
    user_id INTEGER NULL,
    reason TEXT NULL,
    before_json TEXT NULL,
    after_json TEXT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NULL
);
CREATE INDEX IF NOT EXISTS paydesk_audit_log_at ON paydesk_audit_log (at, id);
CREATE INDEX IF NOT EXISTS paydesk_audit_log_order ON paydesk_audit_log (order_id, at);
CREATE INDEX IF NOT EXISTS paydesk_audit_log_user ON paydesk_audit_log (user_id, at);
CREATE INDEX IF NOT EXISTS paydesk_audit_log_operator ON paydesk_audit_log (operator, at);
CREATE INDEX IF NOT EXISTS paydesk_audit_log_action ON paydesk_audit_log (action, at);

-- Append-only is enforced by the database where it costs nothing (SQLite triggers need no privilege).
CREATE TRIGGER IF NOT EXISTS paydesk_audit_log_no_update BEFORE UPDATE ON paydesk_audit_log
BEGIN SELECT RAISE(ABORT, 'paydesk_audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS paydesk_audit_log_no_delete BEFORE DELETE ON paydesk_audit_log
BEGIN SELECT RAISE(ABORT, 'paydesk_audit_log is append-only'); END;

CREATE TABLE IF NOT EXISTS paydesk_refunds (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    out_request_no TEXT NOT NULL UNIQUE,
    order_id INTEGER NOT NULL,
    order_number TEXT NOT NULL,
    trade_no TEXT NULL,
    amount INTEGER NOT NULL,            -- fen
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
    operator TEXT NOT NULL,
    profile TEXT NOT NULL,
    full_refund INTEGER NOT NULL DEFAULT 0,
    gateway_code TEXT NULL,
    gateway_sub_code TEXT NULL,
    gateway_msg TEXT NULL,
    fund_change TEXT NULL,
    refund_fee INTEGER NULL,            -- fen: Alipay's cumulative refunded amount for the trade
    gmt_refund_pay TEXT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    created_time TEXT NOT NULL,
    updated_time TEXT NOT NULL,
    resolved_time TEXT NULL
);
CREATE INDEX IF NOT EXISTS paydesk_refunds_order ON paydesk_refunds (order_id);
CREATE INDEX IF NOT EXISTS paydesk_refunds_status ON paydesk_refunds (status, order_id);

CREATE TABLE IF NOT EXISTS paydesk_counters (
    name TEXT NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS paydesk_settings (
    setting_key TEXT NOT NULL PRIMARY KEY,
    setting_value TEXT NOT NULL,
    updated_time TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS paydesk_recon_runs (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    operator TEXT NOT NULL,
    profile TEXT NOT NULL,
    started_time TEXT NOT NULL,
    finished_time TEXT NULL,
    bill_type TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    bill_checksum TEXT NULL,
    status TEXT NOT NULL,
    counts_json TEXT NULL,
    sums_json TEXT NULL
);
CREATE INDEX IF NOT EXISTS paydesk_recon_runs_started ON paydesk_recon_runs (started_time);

CREATE TABLE IF NOT EXISTS paydesk_recon_rows (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    category TEXT NOT NULL,
    trade_no TEXT NULL,
    out_trade_no TEXT NULL,
    order_id INTEGER NULL,
    bill_amount INTEGER NULL,           -- fen
    order_amount INTEGER NULL,          -- fen
    detail TEXT NULL,
    action TEXT NULL,
    action_time TEXT NULL,
    action_by TEXT NULL
);
CREATE INDEX IF NOT EXISTS paydesk_recon_rows_run ON paydesk_recon_rows (run_id, category);
CREATE INDEX IF NOT EXISTS paydesk_recon_rows_trade ON paydesk_recon_rows (out_trade_no);
