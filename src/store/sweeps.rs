//! Sweep runs and their results, and the sites a sweep covers.

use super::Pool;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::check::footer::Footer;
use crate::check::{Verdict, Warning};
use crate::domain::badge::BadgeStatus;
use crate::domain::site_status::SiteVerdict;
use crate::render::{page_compliant, RenderVerdict, RenderedCheck};

/// A badged site as the crawler needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    /// The badge code.
    pub code: String,
    /// The application it was issued for.
    pub application_id: i64,
    /// Active, suspended or revoked.
    #[sqlx(try_from = "String")]
    pub status: BadgeStatus,
    /// The last day to install the badge.
    pub install_due: NaiveDate,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The unit's account id.
    pub unit_id: i64,
    /// The badge's region code.
    pub region: String,
    /// The English domain.
    pub domain_en: String,
    /// The Chinese domain in punycode.
    pub domain_cn_ascii: String,
    /// The Chinese domain, as typed.
    pub domain_cn: String,
    /// The website's name.
    pub site_name: String,
    /// The unit's name.
    pub unit_name: String,
    /// The unit's category.
    pub category: String,
    /// The site's national legacy code, accepted beside its code (none once replaced).
    pub legacy_code: Option<String>,
    /// The id of the legacy badge's static verification link, when registered.
    pub legacy_link_id: Option<String>,
    /// The registered government website identifier (网站标识码), "" when none.
    pub site_id_code: String,
}

/// The columns of a [`SiteRow`] in `badges b JOIN applications a`.
macro_rules! site_columns {
    () => {
        "b.code, b.application_id, b.status, b.install_due, b.issued_at, b.unit_id, b.region,
        a.domain_en, a.domain_cn_ascii, a.domain_cn, a.site_name, a.unit_name, a.category,
        CASE WHEN a.legacy_decision = 'replace' THEN NULL ELSE a.legacy_code END AS legacy_code, a.legacy_link_id,
        a.site_id_code"
    };
}

/// The columns of a [`SiteRow`] in `badges b JOIN applications a`.
pub(super) const SITE_COLUMNS: &str = site_columns!();

const SITE_SELECT: &str =
    concat!("SELECT ", site_columns!(), " FROM badges b JOIN applications a ON a.id = b.application_id");

/// Badged sites whose region code starts with `prefix` ("" for all), in code order; closed
/// (注销) sites are left out.
pub async fn sites(pool: &Pool, prefix: &str) -> Result<Vec<SiteRow>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&format!("{SITE_SELECT} WHERE b.region LIKE $1 || '%' AND b.closed_at IS NULL ORDER BY b.code"))
            .bind(prefix)
            .fetch_all(pool)
            .await?)
    })
}

/// How many badged sites in force [`sites`] lists for `prefix`, counted in the database.
pub async fn count_sites(pool: &Pool, prefix: &str) -> Result<i64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM badges b WHERE b.region LIKE $1 || '%' AND b.closed_at IS NULL")
            .bind(prefix)
            .fetch_one(pool)
            .await?)
    })
}

/// One badged site.
pub async fn site(pool: &Pool, code: &str) -> Result<SiteRow, StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query_as(&format!("{SITE_SELECT} WHERE b.code = $1"))
            .bind(code)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)
    })
}

/// Sites of one unit.
pub async fn sites_of_unit(pool: &Pool, unit_id: i64) -> Result<Vec<SiteRow>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&format!("{SITE_SELECT} WHERE b.unit_id = $1 ORDER BY b.code"))
            .bind(unit_id)
            .fetch_all(pool)
            .await?)
    })
}

/// A run of checks: a sweep, a scheduled check or a self-check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Sweep {
    /// The run's number.
    pub id: i64,
    /// `sweep`, `scheduled` or `self_check`.
    pub kind: String,
    /// The region code prefix covered (the badge code of a self-check).
    pub scope: String,
    /// `running` until it is `finished`.
    pub status: String,
    /// Sites in scope.
    pub sites_total: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Starts a run and returns its number.
pub async fn start(
    pool: &Pool,
    kind: &str,
    scope: &str,
    sites_total: i64,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "INSERT INTO sweeps (kind, scope, status, sites_total, started_at) VALUES ($1, $2, 'running', $3, $4) RETURNING id",
        )
        .bind(kind)
        .bind(scope)
        .bind(sites_total)
        .bind(now)
        .fetch_one(pool)
        .await?)
    })
}

/// The newest unfinished sweep of this scope, to resume.
pub async fn unfinished(pool: &Pool, scope: &str) -> Result<Option<Sweep>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT * FROM sweeps WHERE kind = 'sweep' AND scope = $1 AND status <> 'finished' ORDER BY id DESC LIMIT 1",
        )
        .bind(scope)
        .fetch_optional(pool)
        .await?)
    })
}

/// One run.
pub async fn get(pool: &Pool, id: i64) -> Result<Sweep, StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query_as("SELECT * FROM sweeps WHERE id = $1").bind(id).fetch_optional(pool).await?.ok_or(StoreError::NotFound)
    })
}

/// Sets a run's status (`finished` records the time).
pub async fn set_status(pool: &Pool, id: i64, status: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        let finished = (status == "finished").then_some(now);
        sqlx::query("UPDATE sweeps SET status = $1, finished_at = $2 WHERE id = $3")
            .bind(status)
            .bind(finished)
            .bind(id)
            .execute(pool)
            .await?;
        Ok(())
    })
}

/// Codes already done in this sweep.
pub async fn done_codes(pool: &Pool, sweep_id: i64) -> Result<Vec<String>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar("SELECT badge_code FROM sweep_sites WHERE sweep_id = $1")
            .bind(sweep_id)
            .fetch_all(pool)
            .await?)
    })
}

/// Sites recorded in run `sweep_id` so far, and their result pages.
pub async fn progress(pool: &Pool, sweep_id: i64) -> Result<(i64, i64), StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(pages), 0) AS BIGINT) FROM sweep_sites WHERE sweep_id = $1")
            .bind(sweep_id)
            .fetch_one(pool)
            .await?)
    })
}

/// Page rows written per INSERT statement (13 values each, well under `SQLite`'s limit).
const PAGE_ROWS_PER_INSERT: usize = 64;

/// One page's result, as stored.
#[derive(Debug, Clone)]
pub struct PageRecord<'a> {
    /// The URL.
    pub url: &'a str,
    /// The HTTP status, when there was an answer.
    pub http_status: Option<u16>,
    /// `ok`, or why no page could be checked (the crawler's failure word).
    pub outcome: &'a str,
    /// The verdict, when checked.
    pub verdict: Option<Verdict>,
    /// The warnings.
    pub warnings: &'a [Warning],
    /// The page's title.
    pub title: Option<&'a str>,
    /// The page's encoding.
    pub encoding: Option<&'a str>,
    /// The footer items found.
    pub footer: Option<&'a Footer>,
    /// A certificate problem tolerated to check the page.
    pub certificate_problem: Option<&'a str>,
    /// The rendered check, when the page was rendered.
    pub rendered: Option<&'a RenderedCheck>,
}

/// A finished site: its outcome and every page, in one transaction.
pub struct SiteOutcome<'a> {
    /// The badge code.
    pub code: &'a str,
    /// The site's verdict.
    pub site_verdict: SiteVerdict,
    /// Pages checked.
    pub pages: i64,
    /// Pages compliant.
    pub compliant: i64,
    /// URLs looked at.
    pub urls: i64,
    /// Every URL's result.
    pub results: &'a [PageRecord<'a>],
}

/// A page's columns in `sweep_pages`, owned and as bound: what an insert writes, and what a
/// site whose pages wait in a spool file keeps of each page until its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageColumns {
    /// The URL.
    pub url: String,
    /// The HTTP status.
    pub http_status: Option<i64>,
    /// `ok`, or why no page could be checked.
    pub outcome: String,
    /// The verdict's word.
    pub verdict: Option<String>,
    /// The warnings' words, comma-separated.
    pub warnings: String,
    /// The title.
    pub title: Option<String>,
    /// The encoding.
    pub encoding: Option<String>,
    /// The footer items (JSON).
    pub footer: Option<String>,
    /// A certificate problem tolerated.
    pub certificate_problem: Option<String>,
    /// The rendered verdict's word.
    pub rendered: Option<String>,
    /// The rendered check (JSON).
    pub rendered_detail: Option<String>,
}

impl PageColumns {
    /// The columns of a page record.
    pub fn of(r: &PageRecord<'_>) -> Self {
        Self {
            url: r.url.to_owned(),
            http_status: r.http_status.map(i64::from),
            outcome: r.outcome.to_owned(),
            verdict: r.verdict.map(|v| v.as_str().to_owned()),
            warnings: r.warnings.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(","),
            title: r.title.map(str::to_owned),
            encoding: r.encoding.map(str::to_owned),
            footer: r.footer.map(|f| serde_json::to_string(f).unwrap_or_default()),
            certificate_problem: r.certificate_problem.map(str::to_owned),
            rendered: r.rendered.map(|c| c.verdict.as_str().to_owned()),
            rendered_detail: r.rendered.map(|c| serde_json::to_string(c).unwrap_or_default()),
        }
    }
}

/// What a site's row says of its pages (kept with the result so that lists of sites never
/// count pages, see migration 0014), gathered as the pages pass.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PagesSummary {
    /// The first page that failed: its URL and verdict.
    first_failing: Option<(String, &'static str)>,
    /// Checked pages per verdict.
    verdict_counts: std::collections::BTreeMap<&'static str, i64>,
    /// The footer findings of the first page that had them (JSON).
    footer: Option<String>,
}

impl PagesSummary {
    /// Adds a page, in the order the pages are written.
    pub fn add(&mut self, r: &PageRecord<'_>) {
        if let Some(verdict) = r.verdict {
            *self.verdict_counts.entry(verdict.as_str()).or_default() += 1;
            if self.first_failing.is_none() && !page_compliant(verdict, r.rendered.map(|c| c.verdict)) {
                self.first_failing = Some((r.url.to_owned(), verdict.as_str()));
            }
        }
        if self.footer.is_none() {
            self.footer = r.footer.map(|f| serde_json::to_string(f).unwrap_or_default());
        }
    }
}

/// A finished site whose pages are handed over in chunks (read back from a spool file, so that
/// no site holds its results in memory while it is crawled): its outcome, what its pages add
/// up to, the pages, and the screenshots of its non-compliant rendered pages (by URL).
pub struct SiteInChunks<'a> {
    /// The badge code.
    pub code: &'a str,
    /// The site's verdict.
    pub site_verdict: SiteVerdict,
    /// Pages checked.
    pub pages: i64,
    /// Pages compliant.
    pub compliant: i64,
    /// URLs looked at.
    pub urls: i64,
    /// What the pages add up to.
    pub summary: &'a PagesSummary,
    /// The pages, a chunk at a time, in order.
    pub chunks: &'a mut (dyn Iterator<Item = Result<Vec<PageColumns>, StoreError>> + Send),
    /// Screenshots (PNG) by page URL.
    pub screenshots: &'a [(&'a str, &'a [u8])],
}

/// Records a finished site and its pages in one transaction.
pub async fn record_site(
    pool: &Pool,
    sweep_id: i64,
    outcome: &SiteOutcome<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    record_site_of(pool, sweep_id, None, outcome, now).await.map(drop)
}

/// Records a site a worker claimed, in the transaction that deletes its claim: `false` (and
/// nothing written) when `worker` no longer holds the claim, because its lease ran out and
/// another worker claimed the site, or the site is recorded already.
pub async fn record_claimed_site(
    pool: &Pool,
    sweep_id: i64,
    worker: &str,
    outcome: &SiteOutcome<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    record_site_of(pool, sweep_id, Some(worker), outcome, now).await
}

/// [`record_site_in_chunks`] of a site whose pages are all in memory.
pub async fn record_site_of(
    pool: &Pool,
    sweep_id: i64,
    worker: Option<&str>,
    outcome: &SiteOutcome<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut summary = PagesSummary::default();
    outcome.results.iter().for_each(|r| summary.add(r));
    let screenshots: Vec<(&str, &[u8])> =
        outcome.results.iter().filter_map(|r| Some((r.url, r.rendered?.screenshot.as_deref()?))).collect();
    let mut chunks =
        outcome.results.chunks(PAGE_ROWS_PER_INSERT).map(|chunk| Ok(chunk.iter().map(PageColumns::of).collect()));
    let site = SiteInChunks {
        code: outcome.code,
        site_verdict: outcome.site_verdict,
        pages: outcome.pages,
        compliant: outcome.compliant,
        urls: outcome.urls,
        summary: &summary,
        chunks: &mut chunks,
        screenshots: &screenshots,
    };
    record_site_in_chunks(pool, sweep_id, worker, site, now).await
}

/// Records a finished site and its pages in one transaction; for a site a worker claimed
/// (`worker`), in the transaction that deletes its claim, and only if it still holds it
/// (`false`, nothing written, otherwise).
pub async fn record_site_in_chunks(
    pool: &Pool,
    sweep_id: i64,
    worker: Option<&str>,
    site: SiteInChunks<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    if let Some(worker) = worker {
        let held = crate::on_tx!(&mut tx, c => {
            sqlx::query("DELETE FROM sweep_claims WHERE sweep_id = $1 AND badge_code = $2 AND worker = $3")
                .bind(sweep_id)
                .bind(site.code)
                .bind(worker)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        if held == 0 {
            return Ok(false);
        }
    }
    write_site(&mut tx, sweep_id, site, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Writes a finished site and its pages in `tx`.
async fn write_site(
    tx: &mut super::Tx,
    sweep_id: i64,
    site: SiteInChunks<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let summary = site.summary;
    let chunks = site.chunks;
    crate::on_tx!(tx, tx => {
        let first_failing = summary.first_failing.as_ref();
        sqlx::query(
            "INSERT INTO sweep_sites (sweep_id, badge_code, site_verdict, pages, compliant, urls, first_failing_url,
                                  first_failing_verdict, checked_at, verdict_counts, footer)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(sweep_id)
        .bind(site.code)
        .bind(site.site_verdict.as_str())
        .bind(site.pages)
        .bind(site.compliant)
        .bind(site.urls)
        .bind(first_failing.map(|(url, _)| url.as_str()))
        .bind(first_failing.map(|(_, verdict)| *verdict))
        .bind(now)
        .bind(serde_json::to_string(&summary.verdict_counts).unwrap_or_default())
        .bind(summary.footer.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        // Many rows per statement: one round trip to SQLite per chunk, not per page.
        for chunk in &mut *chunks {
            let mut rows = chunk?.into_iter().peekable();
            // However the chunks come, no statement binds more than its share of values.
            while rows.peek().is_some() {
                let statement_rows = rows.by_ref().take(PAGE_ROWS_PER_INSERT);
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO sweep_pages (sweep_id, badge_code, url, http_status, outcome, verdict, warnings, title,
                                              encoding, footer, certificate_problem, rendered, rendered_detail) ",
                );
                insert.push_values(statement_rows, |mut row, r| {
                    row.push_bind(sweep_id)
                        .push_bind(site.code.to_owned())
                        .push_bind(r.url)
                        .push_bind(r.http_status)
                        .push_bind(r.outcome)
                        .push_bind(r.verdict)
                        .push_bind(r.warnings)
                        .push_bind(r.title)
                        .push_bind(r.encoding)
                        .push_bind(r.footer)
                        .push_bind(r.certificate_problem)
                        .push_bind(r.rendered)
                        .push_bind(r.rendered_detail);
                });
                insert.push(" ON CONFLICT (sweep_id, badge_code, url) DO NOTHING");
                insert.build().execute(&mut *tx).await?;
            }
        }
        for &(url, png) in site.screenshots {
            sqlx::query(
                "INSERT INTO sweep_screenshots (sweep_id, badge_code, url, png) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (sweep_id, badge_code, url) DO NOTHING",
            )
            .bind(sweep_id)
            .bind(site.code)
            .bind(url)
            .bind(png)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    })
}

/// The latest finished sweep (not a scheduled or self-check run).
pub async fn latest_finished(pool: &Pool) -> Result<Option<i64>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sweeps WHERE kind = 'sweep' AND status = 'finished' ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(pool)
        .await?)
    })
}

/// The latest result of a site, from any kind of run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LatestResult {
    /// The run.
    pub sweep_id: i64,
    /// The site's verdict.
    #[sqlx(try_from = "String")]
    pub site_verdict: SiteVerdict,
    /// Pages fetched and checked (a verdict each).
    pub pages: i64,
    /// Pages compliant.
    pub compliant: i64,
    /// Every URL looked at: the checked pages and those that could not be checked.
    pub urls: i64,
    /// The first page that failed.
    pub first_failing_url: Option<String>,
    /// Its verdict.
    pub first_failing_verdict: Option<String>,
    /// When the site was checked.
    pub checked_at: DateTime<Utc>,
    /// The site.
    pub badge_code: String,
    /// Checked pages per verdict (JSON object), when recorded with the result.
    pub verdict_counts: Option<String>,
    /// The footer findings of the first page that had them (JSON), when recorded with the
    /// result.
    pub footer: Option<String>,
}

/// The columns of a [`LatestResult`] in `sweep_sites s`.
pub(super) const RESULT_COLUMNS: &str = "s.sweep_id, s.site_verdict, s.pages, s.compliant, s.urls, s.first_failing_url,
    s.first_failing_verdict, s.checked_at, s.badge_code, s.verdict_counts, s.footer";

/// A site's latest result, from any kind of run (a key lookup in `site_latest`).
pub async fn latest_result(pool: &Pool, code: &str) -> Result<Option<LatestResult>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&format!(
            "SELECT {RESULT_COLUMNS} FROM site_latest l
         JOIN sweep_sites s ON s.sweep_id = l.sweep_id AND s.badge_code = l.badge_code
         WHERE l.badge_code = $1"
        ))
        .bind(code)
        .fetch_optional(pool)
        .await?)
    })
}

/// The latest result of every site of the region `prefix`, by badge code: one query, however
/// many sites (the dashboard's list).
pub async fn latest_results_in(
    pool: &Pool,
    prefix: &str,
) -> Result<std::collections::HashMap<String, LatestResult>, StoreError> {
    crate::on_pool!(pool, pool => {
        let rows: Vec<LatestResult> = sqlx::query_as(&format!(
            "SELECT {RESULT_COLUMNS} FROM site_latest l
         JOIN sweep_sites s ON s.sweep_id = l.sweep_id AND s.badge_code = l.badge_code
         JOIN badges b ON b.code = l.badge_code
         WHERE b.region LIKE $1 || '%'"
        ))
        .bind(prefix)
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.badge_code.clone(), r)).collect())
    })
}

/// Every site's result in one run, by badge code.
pub async fn results_of(
    pool: &Pool,
    sweep_id: i64,
) -> Result<std::collections::HashMap<String, LatestResult>, StoreError> {
    crate::on_pool!(pool, pool => {
        let rows: Vec<LatestResult> =
            sqlx::query_as(&format!("SELECT {RESULT_COLUMNS} FROM sweep_sites s WHERE s.sweep_id = $1"))
                .bind(sweep_id)
                .fetch_all(pool)
                .await?;
        Ok(rows.into_iter().map(|r| (r.badge_code.clone(), r)).collect())
    })
}

/// A site's `n` latest results from any kind of run, newest first.
pub async fn latest_results(pool: &Pool, code: &str, n: i64) -> Result<Vec<LatestResult>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&format!(
            "SELECT {RESULT_COLUMNS} FROM sweep_sites s WHERE s.badge_code = $1
             ORDER BY s.checked_at DESC, s.sweep_id DESC LIMIT $2"
        ))
        .bind(code)
        .bind(n)
        .fetch_all(pool)
        .await?)
    })
}

/// A site's result in one sweep.
pub async fn site_result(pool: &Pool, sweep_id: i64, code: &str) -> Result<Option<LatestResult>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&format!("SELECT {RESULT_COLUMNS} FROM sweep_sites s WHERE s.sweep_id = $1 AND s.badge_code = $2"))
            .bind(sweep_id)
            .bind(code)
            .fetch_optional(pool)
            .await?)
    })
}

/// A stored page result.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct PageRow {
    /// The URL.
    pub url: String,
    /// The HTTP status.
    pub http_status: Option<i64>,
    /// `ok` or the failure.
    pub outcome: String,
    /// The verdict, when checked.
    pub verdict: Option<String>,
    /// The warnings, comma separated.
    pub warnings: String,
    /// The page's title.
    pub title: Option<String>,
    /// The page's encoding.
    pub encoding: Option<String>,
    /// The rendered verdict, when the page was rendered.
    pub rendered: Option<String>,
    /// The rendered check's measurements (JSON), when rendered.
    pub rendered_detail: Option<String>,
    /// The id of the screenshot of the page's bottom, when one was kept.
    pub screenshot_id: Option<i64>,
}

impl PageRow {
    /// Whether the page was checked and complies (static verdict and rendered check together,
    /// as [`page_compliant`] says).
    pub fn compliant(&self) -> bool {
        let rendered = self.rendered.as_deref().and_then(RenderVerdict::parse);
        self.verdict.as_deref().and_then(Verdict::parse).is_some_and(|v| page_compliant(v, rendered))
    }

    /// Whether the rendered check found the badge written by a script (not in the markup).
    pub fn script_inserted(&self) -> bool {
        self.rendered_detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|d| d.get("script_inserted").and_then(serde_json::Value::as_bool))
            .unwrap_or(false)
    }
}

/// The pages of a site in a run.
pub async fn pages(pool: &Pool, sweep_id: i64, code: &str) -> Result<Vec<PageRow>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT p.url, p.http_status, p.outcome, p.verdict, p.warnings, p.title, p.encoding, p.rendered,
                p.rendered_detail, s.id AS screenshot_id
         FROM sweep_pages p
         LEFT JOIN sweep_screenshots s ON s.sweep_id = p.sweep_id AND s.badge_code = p.badge_code AND s.url = p.url
         WHERE p.sweep_id = $1 AND p.badge_code = $2 ORDER BY p.id",
        )
        .bind(sweep_id)
        .bind(code)
        .fetch_all(pool)
        .await?)
    })
}

/// The screenshot `id` of a page of the site `code` (PNG bytes), if it exists.
pub async fn screenshot(pool: &Pool, code: &str, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar("SELECT png FROM sweep_screenshots WHERE id = $1 AND badge_code = $2")
            .bind(id)
            .bind(code)
            .fetch_optional(pool)
            .await?)
    })
}

/// The screenshots of a run, one at a time: `each` gets the id and the PNG.
pub async fn for_each_screenshot<E: From<StoreError>>(
    pool: &Pool,
    sweep_id: i64,
    mut each: impl FnMut(i64, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    crate::on_pool!(pool, pool => {
        let mut rows =
            sqlx::query_as::<_, (i64, Vec<u8>)>("SELECT id, png FROM sweep_screenshots WHERE sweep_id = $1 ORDER BY id")
                .bind(sweep_id)
                .fetch(pool);
        while let Some((id, png)) = futures_util::TryStreamExt::try_next(&mut rows).await.map_err(StoreError::from)? {
            each(id, &png)?;
        }
        Ok(())
    })
}

/// Scheduled checks already run for a site on a China-time date.
pub async fn scheduled_on(pool: &Pool, code: &str, since: DateTime<Utc>) -> Result<bool, StoreError> {
    crate::on_pool!(pool, pool => {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sweep_sites s JOIN sweeps w ON w.id = s.sweep_id
             WHERE w.kind = 'scheduled' AND s.badge_code = $1 AND s.checked_at >= $2",
        )
        .bind(code)
        .bind(since)
        .fetch_one(pool)
        .await?;
        Ok(n > 0)
    })
}

/// Pages per verdict of a site in one run.
pub async fn verdict_counts(pool: &Pool, sweep_id: i64, code: &str) -> Result<Vec<(String, i64)>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT verdict, COUNT(*) FROM sweep_pages WHERE sweep_id = $1 AND badge_code = $2 AND verdict IS NOT NULL
             GROUP BY verdict",
        )
        .bind(sweep_id)
        .bind(code)
        .fetch_all(pool)
        .await?)
    })
}

/// The footer findings (JSON) of the first page of a site in one run that has any.
pub async fn first_footer(pool: &Pool, sweep_id: i64, code: &str) -> Result<Option<String>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "SELECT footer FROM sweep_pages WHERE sweep_id = $1 AND badge_code = $2 AND footer IS NOT NULL ORDER BY id LIMIT 1",
        )
        .bind(sweep_id)
        .bind(code)
        .fetch_optional(pool)
        .await?)
    })
}

/// One finished sweep as the trend shows it: the sites of the area it checked and how many of
/// them were compliant (sites with a suspended or revoked badge are not counted).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TrendPoint {
    /// The sweep.
    pub sweep_id: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Sites of the area it checked.
    pub sites: i64,
    /// Of them compliant.
    pub compliant: i64,
}

/// The finished sweeps (up to `up_to`, newest `limit`, oldest first) that covered the whole of
/// `area` (a region code prefix), counted over the sites of `area` only.
pub async fn trend(pool: &Pool, area: &str, up_to: i64, limit: i64) -> Result<Vec<TrendPoint>, StoreError> {
    crate::on_pool!(pool, pool => {
        let mut points: Vec<TrendPoint> = sqlx::query_as(
            "SELECT w.id AS sweep_id, w.started_at, COUNT(*) AS sites,
                SUM(CASE WHEN s.site_verdict = 'compliant' THEN 1 ELSE 0 END) AS compliant
         FROM sweeps w
         JOIN sweep_sites s ON s.sweep_id = w.id
         JOIN badges b ON b.code = s.badge_code
         WHERE w.kind = 'sweep' AND w.status = 'finished' AND w.id <= $1
           AND substr($2, 1, length(w.scope)) = w.scope
           AND b.region LIKE $3 || '%'
           AND s.site_verdict IN ('compliant', 'non_compliant', 'unreachable')
         GROUP BY w.id ORDER BY w.id DESC LIMIT $4",
        )
        .bind(up_to)
        .bind(area)
        .bind(area)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        points.reverse();
        Ok(points)
    })
}

/// A site's result in one run, for its history.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct HistoryEntry {
    /// The run.
    pub sweep_id: i64,
    /// `sweep`, `scheduled` or `self_check`.
    pub kind: String,
    /// The site's verdict.
    #[sqlx(try_from = "String")]
    pub site_verdict: SiteVerdict,
    /// Pages checked.
    pub pages: i64,
    /// Pages compliant.
    pub compliant: i64,
    /// The first page that failed.
    pub first_failing_url: Option<String>,
    /// When.
    pub checked_at: DateTime<Utc>,
}

/// Every run that checked a site, newest first.
pub async fn history(pool: &Pool, code: &str, limit: i64) -> Result<Vec<HistoryEntry>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT s.sweep_id, w.kind, s.site_verdict, s.pages, s.compliant, s.first_failing_url, s.checked_at
         FROM sweep_sites s JOIN sweeps w ON w.id = s.sweep_id
         WHERE s.badge_code = $1 ORDER BY s.checked_at DESC, s.sweep_id DESC LIMIT $2",
        )
        .bind(code)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
