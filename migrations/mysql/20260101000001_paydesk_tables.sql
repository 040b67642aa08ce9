-- Paydesk's own tables on MySQL/MariaDB. Safe to run on the live platform database: only
-- CREATE TABLE IF NOT EXISTS of paydesk_* (indexes are declared inside, so re-running is a no-op);
-- no platform table is touched. Money is decimal(10,2) as on the platform; datetimes are naive
-- Asia/Shanghai datetime(6). No triggers: on a server with binary logging they need SUPER, which a
-- shared platform account rarely has; the audit log is append-only by code (no UPDATE/DELETE exists).

CREATE TABLE IF NOT EXISTS paydesk_audit_log (
    id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at datetime(6) NOT NULL,
    operator varchar(128) NOT NULL,
    profile varchar(64) NOT NULL,
    action varchar(64) NOT NULL,
    order_id bigint NULL,
    order_number varchar(64) NULL,
    user_id bigint NULL,
    reason text NULL,
    before_json longtext NULL,
    after_json longtext NULL,
    outcome varchar(32) NOT NULL,
    detail text NULL,
    KEY paydesk_audit_log_at (at, id),
    KEY paydesk_audit_log_order (order_id, at),
    KEY paydesk_audit_log_user (user_id, at),
    KEY paydesk_audit_log_operator (operator, at),
    KEY paydesk_audit_log_action (action, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS paydesk_refunds (
    id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
    out_request_no varchar(64) NOT NULL,
    order_id bigint NOT NULL,
    order_number varchar(64) NOT NULL,
    trade_no varchar(64) NULL,
    amount decimal(10,2) NOT NULL,
    reason varchar(256) NOT NULL,
    status varchar(16) NOT NULL,
    operator varchar(128) NOT NULL,
    profile varchar(64) NOT NULL,
    full_refund tinyint(1) NOT NULL DEFAULT 0,
    gateway_code varchar(64) NULL,
    gateway_sub_code varchar(128) NULL,
    gateway_msg varchar(512) NULL,
    fund_change varchar(8) NULL,
    refund_fee decimal(10,2) NULL,
    gmt_refund_pay datetime(6) NULL,
    attempts int NOT NULL DEFAULT 0,
    last_error text NULL,
    created_time datetime(6) NOT NULL,
    updated_time datetime(6) NOT NULL,
    resolved_time datetime(6) NULL,
    UNIQUE KEY paydesk_refunds_out_request_no (out_request_no),
    KEY paydesk_refunds_order (order_id),
    KEY paydesk_refunds_status (status, order_id),
    CONSTRAINT paydesk_refunds_status_check CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS paydesk_counters (
    name varchar(64) NOT NULL PRIMARY KEY,
    value bigint NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS paydesk_settings (
    setting_key varchar(128) NOT NULL PRIMARY KEY,
    setting_value text NOT NULL,
    updated_time datetime(6) NOT NULL,
    updated_by varchar(128) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS paydesk_recon_runs (
    id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
    operator varchar(128) NOT NULL,
    profile varchar(64) NOT NULL,
    started_time datetime(6) NOT NULL,
    finished_time datetime(6) NULL,
    bill_type varchar(32) NOT NULL,
    period_start varchar(10) NOT NULL,
    period_end varchar(10) NOT NULL,
    bill_checksum varchar(128) NULL,
    status varchar(32) NOT NULL,
    counts_json longtext NULL,
    sums_json longtext NULL,
    KEY paydesk_recon_runs_started (started_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS paydesk_recon_rows (
    id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_id bigint NOT NULL,
    category varchar(64) NOT NULL,
    trade_no varchar(64) NULL,
    out_trade_no varchar(64) NULL,
    order_id bigint NULL,
    bill_amount decimal(10,2) NULL,
    order_amount decimal(10,2) NULL,
    detail text NULL,
    action varchar(64) NULL,
    action_time datetime(6) NULL,
    action_by varchar(128) NULL,
    KEY paydesk_recon_rows_run (run_id, category),
    KEY paydesk_recon_rows_trade (out_trade_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
