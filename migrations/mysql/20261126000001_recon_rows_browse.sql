-- Browsing a stored run a page at a time (reconcile::browse, queries/recon_rows.rs) when a run
-- holds ~1M rows: every page recounts its groups and a search must not read every row.
--
-- paydesk_recon_rows_acted: rows acted upon, by run (a run's rows are stored without an action:
-- their entries sit together under NULL). Counts subtract the few that are not pending from the
-- rows per category (which the (run_id, category) index gives), pages of pending rows skip them.
-- paydesk_recon_rows_trade_no, paydesk_recon_rows_request_no: a search for a whole number looks
-- them up by prefix (out_trade_no has paydesk_recon_rows_trade). The refund's out_request_no
-- lives in the JSON detail (reconcile/runs.rs StoredDetail, which leaves the key out when there
-- is none); the VIRTUAL column computes it when read (nothing stored in the row) so that it can be
-- indexed. The INSTR spares the JSON parse to every row without the key, that is nearly every row
-- a run stores. A JSON null unquotes to 'null'.
ALTER TABLE paydesk_recon_rows
    ADD COLUMN out_request_no varchar(128) AS (IF(INSTR(detail, '"out_request_no"') > 0 AND JSON_VALID(detail),
        LEFT(NULLIF(JSON_UNQUOTE(JSON_EXTRACT(detail, '$.out_request_no')), 'null'), 128), NULL)) VIRTUAL,
    ADD KEY paydesk_recon_rows_acted (run_id, action, category),
    ADD KEY paydesk_recon_rows_trade_no (trade_no),
    ADD KEY paydesk_recon_rows_request_no (out_request_no);
