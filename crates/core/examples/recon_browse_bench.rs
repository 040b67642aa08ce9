//! How the desktop app's Reconcile view pages a big stored run: `browse::header` and
//! `browse::rows` for each kind of page the view asks for, timed in interleaved rounds on a
//! database that already holds the run (scripts/bench/reconcile/browse.sh stores one of
//! ~980,000 rows with `MISSING=1 scripts/bench/reconcile/run.sh`).
//!
//! ```text
//! cargo run --release -p paydesk-core --example recon_browse_bench -- DB [--run ID] [--rounds N]
//!     [--limit N] [--deep N] [--act N] [--check] [--max-p95-ms MS]
//!   DB          SQLite file or mysql://… URL of a platform database with a stored run
//!   --run ID    the run to browse (default: the one with the most rows, the newest of those)
//!   --rounds N  timed rounds (default 30) after one untimed warm-up round
//!   --limit N   rows per page (default 50, the view's page size)
//!   --deep N    offset of the deep pages (default 900000, or the last page of a smaller run)
//!   --act N     first act upon ~N rows spread over the run (half accepted, half only queried,
//!               which stays pending), as finance will have; the same rows every time
//!   --check     also check the pages against independent SQL (a full sort of the run: slow)
//!   --max-p95-ms MS  exit 1 when a kind's p95 is over MS
//!   --probe     only print the rows of the biggest run (0: none), or `none` when the database
//!               has no platform tables (scripts/bench/reconcile/browse.sh decides with it)
//! ```
//!
//! Each round calls every kind once, in turn, so drift of a shared machine spreads over all of
//! them. Figures are p50/p95/max in milliseconds of the whole call (a read transaction each, as
//! the app makes them).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alipay::{Clock, SystemClock};
use paydesk_core::db::Query;
use paydesk_core::reconcile::browse::{self, RowFilter, RowPage};
use paydesk_core::reconcile::{Category, Discrepancy, QUERIED};
use paydesk_core::{OpenMode, Store, StoreConfig, admin, schema};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    db: String,
    run: Option<i64>,
    rounds: usize,
    limit: u64,
    deep: u64,
    act: u64,
    check: bool,
    probe: bool,
    max_p95_ms: Option<u64>,
}

fn args() -> Res<Args> {
    let usage = "usage: recon_browse_bench DB [--run ID] [--rounds N] [--limit N] [--deep N] [--act N] [--check] [--max-p95-ms MS] [--probe]";
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        db: String::new(),
        run: None,
        rounds: 30,
        limit: 50,
        deep: 900_000,
        act: 0,
        check: false,
        probe: false,
        max_p95_ms: None,
    };
    while let Some(s) = it.next() {
        let mut val = || it.next().ok_or(usage);
        match s.as_str() {
            "--run" => a.run = Some(val()?.parse()?),
            "--rounds" => a.rounds = val()?.parse()?,
            "--limit" => a.limit = val()?.parse()?,
            "--deep" => a.deep = val()?.parse()?,
            "--act" => a.act = val()?.parse()?,
            "--max-p95-ms" => a.max_p95_ms = Some(val()?.parse()?),
            "--check" => a.check = true,
            "--probe" => a.probe = true,
            _ if s.starts_with("--") || !a.db.is_empty() => return Err(usage.into()),
            _ => a.db = s,
        }
    }
    if a.db.is_empty() || a.rounds == 0 {
        return Err(usage.into());
    }
    Ok(a)
}

/// One kind of request the view makes.
struct Kind {
    name: &'static str,
    /// None: the header.
    page: Option<(RowFilter, u64)>,
}

/// Searches of this many characters are whole numbers, found by index.
fn browse_whole_len() -> usize {
    paydesk_core::queries::recon_rows::WHOLE_NUMBER_LEN
}

fn filter(category: Option<Category>, open_only: bool, search: Option<&str>) -> RowFilter {
    RowFilter {
        category,
        open_only,
        search: search.map(String::from),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let a = args()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if a.probe {
        let store =
            Store::connect(&StoreConfig::new(a.db.clone()), clock, OpenMode::MustExist).await?;
        if schema::existing_platform_tables(&store).await?.is_empty() {
            println!("none");
        } else {
            println!("{}", biggest_run(&store).await.map_or(0, |(_, n)| n));
        }
        store.close().await;
        return Ok(());
    }
    // As the app opens a database: schema check, then Paydesk's pending migrations.
    let t = Instant::now();
    let store =
        admin::open_platform(&StoreConfig::new(a.db.clone()), clock, admin::Access::Write).await?;
    let opened = t.elapsed();
    let run_id = match a.run {
        Some(id) => id,
        None => biggest_run(&store).await?.0,
    };
    if a.act > 0 {
        act(&store, run_id, a.act).await?;
    }
    let h = browse::header(&store, run_id).await?;
    println!(
        "{} run {run_id}: {} rows, {} open, period {} (opened in {} ms)",
        store.dialect().name(),
        h.rows,
        h.summary.open,
        h.period,
        ms(opened)
    );
    if h.rows == 0 {
        return Err(format!("run {run_id} holds no rows").into());
    }

    // The biggest category; the number of the last open row (or the last row), searched for
    // whole (as pasted: found by index) and by 10 characters from its middle (a substring:
    // found by scanning the run); a whole number and a fragment that are nowhere.
    let counts = category_counts(&store, run_id).await?;
    let (big, _) = counts
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
        .ok_or("no rows")?;
    let big = *big;
    let deep = a.deep.min(h.rows.saturating_sub(a.limit));
    let open_deep = a.deep.min(h.summary.open.saturating_sub(a.limit));
    let last = match h.summary.open {
        0 => browse::rows(&store, run_id, &RowFilter::default(), h.rows - 1, 1).await?,
        open => browse::rows(&store, run_id, &filter(None, true, None), open - 1, 1).await?,
    };
    let probe = last
        .rows
        .first()
        .and_then(|d| d.out_trade_no.clone().or(d.trade_no.clone()))
        .ok_or("the run's last row has no out_trade_no or trade_no to search for")?;
    let part: String = probe
        .chars()
        .skip(probe.chars().count().saturating_sub(10) / 2)
        .take(10)
        .collect();
    if probe.len() < browse_whole_len() {
        return Err(format!("{probe:?} is too short to be searched for as a whole number").into());
    }
    let (none, part_none) = ("209901019999999999999999", "NO-SUCH-7Qx");
    println!(
        "page {} rows, deep offset {deep} (open-only {open_deep}), category {}, search {probe:?} / {none:?} (whole), {part:?} / {part_none:?} (part)",
        a.limit,
        big.as_str()
    );

    let kinds = vec![
        Kind {
            name: "header",
            page: None,
        },
        Kind {
            name: "first page",
            page: Some((filter(None, false, None), 0)),
        },
        Kind {
            name: "deep page",
            page: Some((filter(None, false, None), deep)),
        },
        Kind {
            name: "open-only first",
            page: Some((filter(None, true, None), 0)),
        },
        Kind {
            name: "open-only deep",
            page: Some((filter(None, true, None), open_deep)),
        },
        Kind {
            name: "category",
            page: Some((filter(Some(big), false, None), 0)),
        },
        Kind {
            name: "category deep",
            page: Some((
                filter(Some(big), false, None),
                a.deep.min(
                    counts
                        .get(&big)
                        .copied()
                        .unwrap_or(0)
                        .saturating_sub(a.limit),
                ),
            )),
        },
        Kind {
            name: "search one",
            page: Some((filter(None, false, Some(&probe)), 0)),
        },
        Kind {
            name: "search none",
            page: Some((filter(None, false, Some(none)), 0)),
        },
        Kind {
            name: "open search one",
            page: Some((filter(None, true, Some(&probe)), 0)),
        },
        Kind {
            name: "search part",
            page: Some((filter(None, false, Some(&part)), 0)),
        },
        Kind {
            name: "search part none",
            page: Some((filter(None, false, Some(part_none)), 0)),
        },
    ];

    if a.check {
        let t = Instant::now();
        check(&store, run_id, &a, &kinds, &counts, &probe, &part).await?;
        println!("check: ok ({} ms)", ms(t.elapsed()));
    }

    // One untimed round, then the timed ones.
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(a.rounds); kinds.len()];
    let mut totals = vec![0u64; kinds.len()];
    for round in 0..=a.rounds {
        for (i, k) in kinds.iter().enumerate() {
            let t = Instant::now();
            let total = match &k.page {
                None => browse::header(&store, run_id).await?.rows,
                Some((f, offset)) => {
                    browse::rows(&store, run_id, f, *offset, a.limit)
                        .await?
                        .total
                }
            };
            let took = t.elapsed();
            if round > 0 {
                samples[i].push(took);
            }
            totals[i] = total;
        }
    }
    println!(
        "{:<17} {:>9} {:>8} {:>8} {:>8}",
        "kind", "total", "p50 ms", "p95 ms", "max ms"
    );
    let mut over = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        let s = &mut samples[i];
        s.sort();
        // The nearest-rank percentile.
        let q = |pct: usize| s[(pct * s.len()).div_ceil(100).clamp(1, s.len()) - 1];
        let (p50, p95, max) = (q(50), q(95), s[s.len() - 1]);
        println!(
            "{:<17} {:>9} {:>8} {:>8} {:>8}",
            k.name,
            totals[i],
            ms(p50),
            ms(p95),
            ms(max)
        );
        if a.max_p95_ms.is_some_and(|m| p95 > Duration::from_millis(m)) {
            over.push(k.name);
        }
    }
    store.close().await;
    if !over.is_empty() {
        return Err(format!(
            "p95 over {} ms: {}",
            a.max_p95_ms.unwrap_or_default(),
            over.join(", ")
        )
        .into());
    }
    Ok(())
}

/// Milliseconds with one decimal.
fn ms(d: Duration) -> String {
    let tenths = (d.as_micros() + 50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The run with the most stored rows (the newest of equals) and its rows.
async fn biggest_run(store: &Store) -> Res<(i64, u64)> {
    let mut tx = store.begin_read().await?;
    let r = tx
        .fetch_optional(Query::new(
            "SELECT run_id, COUNT(*) AS n FROM paydesk_recon_rows GROUP BY run_id \
             ORDER BY n DESC, run_id DESC LIMIT 1",
        ))
        .await?;
    tx.rollback().await?;
    let r = r.ok_or("no stored run has rows: store one with scripts/bench/reconcile/browse.sh")?;
    Ok((r.i64("run_id")?, u64::try_from(r.i64("n")?)?))
}

/// Acts upon every k-th row of the run (k = rows / n): accepted or, every other one, only
/// queried. Rows already acted upon are left alone, so running it again changes nothing.
async fn act(store: &Store, run_id: i64, n: u64) -> Res<()> {
    let mut tx = store.begin_write().await?;
    let r = tx
        .fetch_one(
            Query::new("SELECT COUNT(*) AS n FROM paydesk_recon_rows WHERE run_id = ?")
                .bind(run_id),
            "rows of the run",
        )
        .await?;
    let k = (r.i64("n")? / i64::try_from(n)?).max(1);
    let now = store.now();
    let queried = format!("{QUERIED}: WAIT_BUYER_PAY");
    for (action, residue) in [("accepted: browse bench", 0), (queried.as_str(), k)] {
        let q = Query::new(
            "UPDATE paydesk_recon_rows SET action = ?, action_time = ?, action_by = 'bench' \
             WHERE run_id = ? AND action IS NULL AND id % ? = ?",
        )
        .bind(action)
        .bind(now)
        .bind(run_id)
        .bind(2 * k)
        .bind(residue);
        tx.execute(q).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Stored rows per category, counted directly.
async fn category_counts(store: &Store, run_id: i64) -> Res<BTreeMap<Category, u64>> {
    let mut tx = store.begin_read().await?;
    let rows = tx
        .fetch_all(
            Query::new(
                "SELECT category, COUNT(*) AS n FROM paydesk_recon_rows WHERE run_id = ? \
                 GROUP BY category",
            )
            .bind(run_id),
        )
        .await?;
    tx.rollback().await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let c = r.string("category")?;
        let c = Category::parse(&c).ok_or(format!("unknown category {c:?}"))?;
        out.insert(c, u64::try_from(r.i64("n")?)?);
    }
    Ok(out)
}

/// The page order as one SQL sort, independent of browse's grouping: open first, then the
/// category's place in `Category::ALL`, then id. Returns (open condition, ORDER BY).
fn order_sql() -> (String, String) {
    let rank: Vec<String> = Category::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| format!("WHEN '{}' THEN {i}", c.as_str()))
        .collect();
    let explained: Vec<String> = Category::ALL
        .iter()
        .filter(|c| c.explained())
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    let open = format!(
        "category NOT IN ({}) AND (action IS NULL OR action LIKE '{QUERIED}%')",
        explained.join(", ")
    );
    let order = format!(
        "CASE WHEN {open} THEN 0 ELSE 1 END, CASE category {} END, id",
        rank.join(" ")
    );
    (open, order)
}

/// The ids of a page of `f` (no search) by one SQL sort of the run.
async fn ids_in_order(
    store: &Store,
    run_id: i64,
    f: &RowFilter,
    offset: u64,
    limit: u64,
) -> Res<Vec<i64>> {
    let (open, order) = order_sql();
    let mut q = Query::new("SELECT id FROM paydesk_recon_rows WHERE run_id = ?").bind(run_id);
    if f.open_only {
        q.sql.push_str(&format!(" AND {open}"));
    }
    if let Some(c) = f.category {
        q.sql.push_str(" AND category = ?");
        q.push_arg(c.as_str());
    }
    q.sql
        .push_str(&format!(" ORDER BY {order} LIMIT ? OFFSET ?"));
    q.push_arg(i64::try_from(limit)?);
    q.push_arg(i64::try_from(offset)?);
    let mut tx = store.begin_read().await?;
    let rows = tx.fetch_all(q).await?;
    tx.rollback().await?;
    Ok(rows.iter().map(|r| r.i64("id")).collect::<Result<_, _>>()?)
}

fn ids(p: &RowPage) -> Vec<i64> {
    p.rows.iter().map(|d| d.id.unwrap_or(-1)).collect()
}

fn contains(d: &Discrepancy, needle: &str) -> bool {
    [&d.out_trade_no, &d.trade_no, &d.out_request_no]
        .iter()
        .any(|f| f.as_deref().is_some_and(|s| s.contains(needle)))
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Res<()> {
    if ok { Ok(()) } else { Err(what().into()) }
}

/// Pages against independent SQL: the deep and first pages against one sort of the whole run,
/// totals against direct counts, searches against their needles.
async fn check(
    store: &Store,
    run_id: i64,
    a: &Args,
    kinds: &[Kind],
    counts: &BTreeMap<Category, u64>,
    probe: &str,
    part: &str,
) -> Res<()> {
    // The searches for `probe` (and its middle, `part`) find its row; the others nothing.
    let h = browse::header(store, run_id).await?;
    let rows: u64 = counts.values().sum();
    ensure(h.rows == rows, || {
        format!("header rows {} != {rows} counted", h.rows)
    })?;
    for (c, n) in counts {
        let p = browse::rows(store, run_id, &filter(Some(*c), false, None), 0, 1).await?;
        ensure(p.total == *n, || {
            format!("{} total {} != {n} counted", c.as_str(), p.total)
        })?;
    }
    for k in kinds {
        let Some((f, offset)) = &k.page else { continue };
        let p = browse::rows(store, run_id, f, *offset, a.limit).await?;
        let want_len = p.total.saturating_sub(*offset).min(a.limit);
        ensure(p.rows.len() as u64 == want_len, || {
            format!(
                "{}: {} rows of {} from {offset}",
                k.name,
                p.rows.len(),
                p.total
            )
        })?;
        if f.open_only {
            ensure(p.rows.iter().all(Discrepancy::open), || {
                format!("{}: a closed row on an open-only page", k.name)
            })?;
            ensure(f.search.is_some() || p.total == h.summary.open, || {
                format!("{}: total {} != open {}", k.name, p.total, h.summary.open)
            })?;
        }
        if let Some(c) = f.category {
            ensure(p.rows.iter().all(|d| d.category == c), || {
                format!("{}: a row of another category", k.name)
            })?;
        }
        if let Some(s) = &f.search {
            ensure(p.rows.iter().all(|d| contains(d, s)), || {
                format!("{}: a row without {s:?}", k.name)
            })?;
        }
        // Within one (open, category) group, ids ascend.
        for w in p.rows.windows(2) {
            if w[0].open() == w[1].open() && w[0].category == w[1].category {
                ensure(w[0].id < w[1].id, || {
                    format!("{}: ids {:?} then {:?}", k.name, w[0].id, w[1].id)
                })?;
            }
        }
        if f.search.is_none() {
            let want = ids_in_order(store, run_id, f, *offset, a.limit).await?;
            ensure(ids(&p) == want, || {
                format!(
                    "{}: page differs from the SQL sort at offset {offset}",
                    k.name
                )
            })?;
        }
        match f.search.as_deref() {
            Some(s) if s == probe => {
                let has = |d: &Discrepancy| {
                    d.out_trade_no.as_deref() == Some(probe) || d.trade_no.as_deref() == Some(probe)
                };
                ensure(p.rows.iter().any(has), || {
                    format!(
                        "{}: the row searched for is missing ({} found)",
                        k.name, p.total
                    )
                })?;
            }
            Some(s) if s == part => {
                ensure(p.total >= 1, || format!("{}: nothing has {part:?}", k.name))?;
            }
            Some(_) => {
                ensure(p.total == 0 && p.rows.is_empty(), || {
                    format!(
                        "{}: {} rows match a needle that is nowhere",
                        k.name, p.total
                    )
                })?;
            }
            _ => {}
        }
    }
    // Pages of open rows (where acted-upon rows are skipped) at offsets of every kind.
    for (f, n) in [
        (filter(None, true, None), h.summary.open),
        (
            filter(Some(*counts.keys().next().ok_or("no rows")?), false, None),
            rows,
        ),
    ] {
        for offset in [1, n / 3, n / 2 + 7, n.saturating_sub(a.limit / 2)] {
            let got = ids(&browse::rows(store, run_id, &f, offset, a.limit).await?);
            ensure(
                got == ids_in_order(store, run_id, &f, offset, a.limit).await?,
                || format!("{f:?} at {offset}: page differs from the SQL sort"),
            )?;
        }
    }
    // Two adjacent pages join up into one longer window of the same sort (at the open/closed
    // boundary when the run has one, else at the deep offset).
    let n = a.limit.min(20);
    let open = h.summary.open;
    let start = if open > 0 && open < h.rows {
        open
    } else {
        a.deep.min(h.rows)
    }
    .saturating_sub(n);
    let joined: Vec<i64> = [
        ids(&browse::rows(store, run_id, &RowFilter::default(), start, n).await?),
        ids(&browse::rows(store, run_id, &RowFilter::default(), start + n, n).await?),
    ]
    .concat();
    let want = ids_in_order(store, run_id, &RowFilter::default(), start, 2 * n).await?;
    ensure(joined == want, || {
        format!("pages at {start} and {} do not join up", start + n)
    })?;
    Ok(())
}
