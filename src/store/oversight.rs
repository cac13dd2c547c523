//! The dashboard's figures straight from the database: each site's status is computed in SQL
//! from its badge, its latest result (`site_latest`) and its deadline, so the counts by region
//! and status, the first sites listed and the worst offenders of a region with 100,000 sites
//! are read without loading every site. The same rule as `domain::site_status::site_status`.

use chrono::NaiveDate;

use super::sweeps::{LatestResult, SiteRow, RESULT_COLUMNS, SITE_COLUMNS};
use super::{Pool, StoreError};
use crate::domain::site_status::SiteStatus;

/// The sites a dashboard view covers.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    /// A region code prefix ("" for the whole country).
    pub prefix: &'a str,
    /// Only sites of this status.
    pub status: Option<SiteStatus>,
    /// Only sites of this unit category.
    pub category: Option<&'a str>,
    /// The China-time date the statuses are for.
    pub today: NaiveDate,
}

/// Every site in force (not closed) of the prefix with its latest result and its status, as
/// of `$2`, and the pages that failed in that result; narrowed by status (`$3`, "" for any)
/// and unit category (`$4`, "" for any).
const LINES: &str = "SELECT * FROM (SELECT {SITE_COLUMNS}, {RESULT_COLUMNS},
        CASE WHEN b.status = 'suspended' THEN 'suspended'
             WHEN b.status = 'revoked' THEN 'revoked'
             WHEN s.site_verdict = 'compliant' THEN 'compliant'
             WHEN s.site_verdict = 'unreachable' THEN 'unreachable'
             WHEN b.install_due < $2 THEN 'overdue'
             ELSE 'pending' END AS site_status,
        COALESCE(s.pages - s.compliant, 0) AS failing
    FROM badges b JOIN applications a ON a.id = b.application_id
    LEFT JOIN site_latest l ON l.badge_code = b.code
    LEFT JOIN sweep_sites s ON s.sweep_id = l.sweep_id AND s.badge_code = l.badge_code
    WHERE b.region LIKE $1 || '%' AND b.closed_at IS NULL AND ($4 = '' OR a.category = $4)) t
    WHERE ($3 = '' OR site_status = $3)";

/// Binds a [`Selection`] as `$1`–`$4` of [`LINES`].
macro_rules! bind_selection {
    ($query:expr, $selection:expr) => {
        $query
            .bind($selection.prefix)
            .bind($selection.today)
            .bind($selection.status.map_or("", SiteStatus::as_str))
            .bind($selection.category.unwrap_or_default())
    };
}

fn lines_sql() -> String {
    LINES.replace("{SITE_COLUMNS}", SITE_COLUMNS).replace("{RESULT_COLUMNS}", RESULT_COLUMNS)
}

/// The sites of one region and status, and the pages of their latest results.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusCount {
    /// The region code.
    pub region: String,
    /// The status (`compliant`, `overdue` …).
    pub site_status: String,
    /// Sites.
    pub sites: i64,
    /// Pages fetched and checked.
    pub pages: i64,
    /// URLs that could not be checked.
    pub unchecked: i64,
    /// Checked pages that were not compliant.
    pub failing: i64,
}

/// The selection's sites counted by region and status, with their pages.
pub async fn counts(pool: &Pool, selection: &Selection<'_>) -> Result<Vec<StatusCount>, StoreError> {
    let sql = format!(
        "SELECT region, site_status, COUNT(*) AS sites, CAST(COALESCE(SUM(pages), 0) AS BIGINT) AS pages,
            CAST(COALESCE(SUM(urls - pages), 0) AS BIGINT) AS unchecked, CAST(SUM(failing) AS BIGINT) AS failing
         FROM ({}) lines GROUP BY region, site_status ORDER BY region, site_status",
        lines_sql()
    );
    crate::on_pool!(pool, pool => {
        Ok(bind_selection!(sqlx::query_as(&sql), selection).fetch_all(pool).await?)
    })
}

/// Which of the selection's sites to read, and in what order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// In code order.
    ByCode,
    /// The sites most in need of action: overdue first (the longest overdue first), then
    /// unreachable, then pending sites with failing pages (as `report::figures::worst_offenders`).
    WorstOffenders,
}

/// At most `limit` sites of the selection with their latest results, as `pick` orders them.
pub async fn sites(
    pool: &Pool,
    selection: &Selection<'_>,
    pick: Pick,
    limit: i64,
) -> Result<Vec<(SiteRow, Option<LatestResult>)>, StoreError> {
    let sql = match pick {
        Pick::ByCode => format!("{} ORDER BY code LIMIT $5", lines_sql()),
        Pick::WorstOffenders => format!(
            "{} AND (site_status IN ('overdue', 'unreachable') OR (site_status = 'pending' AND failing > 0))
             ORDER BY CASE site_status WHEN 'overdue' THEN 0 WHEN 'unreachable' THEN 1 ELSE 2 END,
                install_due, failing DESC, code LIMIT $5",
            lines_sql()
        ),
    };
    crate::on_pool!(pool, pool => {
        use sqlx::{FromRow, Row};
        let rows = bind_selection!(sqlx::query(&sql), selection).bind(limit).fetch_all(pool).await?;
        let mut sites = Vec::with_capacity(rows.len());
        for row in &rows {
            let site = SiteRow::from_row(row)?;
            let result = match row.try_get::<Option<i64>, _>("sweep_id")? {
                Some(_) => Some(LatestResult::from_row(row)?),
                None => None,
            };
            sites.push((site, result));
        }
        Ok(sites)
    })
}

/// The unit categories among the sites in force of `prefix`, sorted (the filter's choices).
pub async fn categories(pool: &Pool, prefix: &str) -> Result<Vec<String>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT a.category FROM badges b JOIN applications a ON a.id = b.application_id
             WHERE b.region LIKE $1 || '%' AND b.closed_at IS NULL AND a.category <> '' ORDER BY a.category",
        )
        .bind(prefix)
        .fetch_all(pool)
        .await?)
    })
}
