//! What the enforcement rules read: only the sites a rule may still act on, found in SQL from
//! each site's latest result (`site_latest`) and the notices already sent, so a round at
//! national scale reads the history of a handful of sites instead of every one.

use chrono::NaiveDate;

use super::sweeps::{SiteRow, SITE_COLUMNS};
use super::{Pool, StoreError};
use crate::domain::site_status::SiteVerdict;

/// Active sites in force whose latest result is not compliant.
const NOT_COMPLIANT: &str = "FROM badges b JOIN applications a ON a.id = b.application_id
    JOIN site_latest l ON l.badge_code = b.code
    JOIN sweep_sites s ON s.sweep_id = l.sweep_id AND s.badge_code = l.badge_code
    WHERE b.status = 'active' AND b.closed_at IS NULL AND s.site_verdict <> 'compliant'";

/// The sites a rule may act on as of `today` (`$1`), in code order: a deadline before
/// `reminder_before` (`$2`) and not passed, with no reminder sent for it; a deadline passed
/// and a site that answered (an unreachable site is not overdue), with no overdue notice sent
/// for it; a latest result that lost the badge after a compliant one, with no regression
/// notice sent for that run. A superset of what the rules decide: they still judge each site
/// from its two latest results.
pub async fn candidates(pool: &Pool, today: NaiveDate, reminder_before: NaiveDate) -> Result<Vec<SiteRow>, StoreError> {
    let sql = format!(
        "SELECT {SITE_COLUMNS} {NOT_COMPLIANT} AND (
            (b.install_due >= $1 AND b.install_due < $2 AND NOT EXISTS (SELECT 1 FROM enforcement_notices n
                WHERE n.kind = 'reminder' AND n.subject = b.code AND n.period = CAST(b.install_due AS TEXT)))
         OR (b.install_due < $1 AND s.site_verdict <> 'unreachable' AND NOT EXISTS (SELECT 1 FROM enforcement_notices n
                WHERE n.kind = 'overdue' AND n.subject = b.code AND n.period = CAST(b.install_due AS TEXT)))
         OR (s.site_verdict = 'non_compliant'
             AND NOT EXISTS (SELECT 1 FROM enforcement_notices n
                WHERE n.kind = 'regression' AND n.subject = b.code AND n.period = CAST(s.sweep_id AS TEXT))
             AND (SELECT p.site_verdict FROM sweep_sites p WHERE p.badge_code = b.code
                    AND (p.checked_at < s.checked_at OR (p.checked_at = s.checked_at AND p.sweep_id < s.sweep_id))
                  ORDER BY p.checked_at DESC, p.sweep_id DESC LIMIT 1) = 'compliant'))
         ORDER BY b.code"
    );
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&sql).bind(today).bind(reminder_before).fetch_all(pool).await?)
    })
}

/// Active sites in force past their deadline (before `today`) whose latest result is not
/// compliant, with that result's verdict, in code order (the supervisors' digests).
pub async fn overdue(pool: &Pool, today: NaiveDate) -> Result<Vec<(SiteRow, SiteVerdict)>, StoreError> {
    let sql = format!("SELECT {SITE_COLUMNS}, s.site_verdict {NOT_COMPLIANT} AND b.install_due < $1 ORDER BY b.code");
    crate::on_pool!(pool, pool => {
        use sqlx::{FromRow, Row};
        let rows = sqlx::query(&sql).bind(today).fetch_all(pool).await?;
        let mut sites = Vec::with_capacity(rows.len());
        for row in &rows {
            let verdict: String = row.try_get("site_verdict")?;
            let verdict = SiteVerdict::parse(&verdict).ok_or_else(|| sqlx::Error::Decode(verdict.into()))?;
            sites.push((SiteRow::from_row(row)?, verdict));
        }
        Ok(sites)
    })
}
