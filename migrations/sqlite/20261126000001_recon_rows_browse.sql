-- Browsing a stored run a page at a time (reconcile::browse, queries/recon_rows.rs) when a run
-- holds ~1M rows: every page recounts its groups and a search must not read every row.

-- Rows acted upon, by run: the few rows that are not pending. Counts subtract them from the
-- rows per category (which the (run_id, category) index gives), pages of pending rows skip
-- them. Partial: a run's rows are stored without an action, so storing a run adds nothing here.
CREATE INDEX IF NOT EXISTS paydesk_recon_rows_acted ON paydesk_recon_rows (run_id, action, category)
    WHERE action IS NOT NULL;

-- A search for a whole number looks up these by prefix (out_trade_no has paydesk_recon_rows_trade).
CREATE INDEX IF NOT EXISTS paydesk_recon_rows_trade_no ON paydesk_recon_rows (trade_no)
    WHERE trade_no IS NOT NULL;
-- The refund's out_request_no lives in the JSON detail (reconcile/runs.rs StoredDetail, which
-- leaves the key out when there is none); this column computes it when read (VIRTUAL: nothing is
-- stored in the row) so that it can be indexed. The instr() spares the JSON parse to every row
-- without the key, that is nearly every row a run stores.
ALTER TABLE paydesk_recon_rows ADD COLUMN out_request_no TEXT GENERATED ALWAYS AS (
    CASE WHEN instr(detail, '"out_request_no"') > 0 AND json_valid(detail)
    THEN json_extract(detail, '$.out_request_no') END) VIRTUAL;
CREATE INDEX IF NOT EXISTS paydesk_recon_rows_request_no ON paydesk_recon_rows (out_request_no)
    WHERE out_request_no IS NOT NULL;
