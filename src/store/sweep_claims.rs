//! The sites of a sweep left to `govbadge worker` processes: listed when the sweep is planned,
//! claimed a few at a time under a lease the worker renews, and deleted in the transaction that
//! records the site (see [`super::sweeps::record_claimed_site`]).

use chrono::{DateTime, Utc};

use super::{Pool, StoreError};

/// A site a worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claim {
    /// The sweep it belongs to.
    pub sweep_id: i64,
    /// The site's badge code.
    pub badge_code: String,
    /// Claims of the site so far, this one included.
    pub attempts: i32,
}

/// Lists every site of sweep `sweep_id` in `scope` (a region prefix) not yet recorded in it, to
/// be claimed by workers; sites already listed stay as they are. Returns how many were added.
pub async fn plan(pool: &Pool, sweep_id: i64, scope: &str) -> Result<u64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query(
            "INSERT INTO sweep_claims (sweep_id, badge_code)
             SELECT $1, b.code FROM badges b
             WHERE b.region LIKE $2 || '%' AND b.closed_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM sweep_sites s WHERE s.sweep_id = $1 AND s.badge_code = b.code)
             ON CONFLICT (sweep_id, badge_code) DO NOTHING",
        )
        .bind(sweep_id)
        .bind(scope)
        .execute(pool)
        .await?
        .rows_affected())
    })
}

/// Claims up to `limit` sites of running sweeps for `worker` until `lease_until`: sites nobody
/// holds, or whose holder's lease ran out before `now`. Oldest sweep first, in code order.
pub async fn claim(
    pool: &Pool,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claim>, StoreError> {
    // As in the outbox: the free condition is checked again on the locked row, and PostgreSQL
    // skips rows another worker is claiming instead of waiting for them.
    const FREE: &str = "(sweep_claims.lease_until IS NULL OR sweep_claims.lease_until < $3)";
    let lock = if pool.is_postgres() { "FOR UPDATE OF c SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE sweep_claims SET worker = $1, lease_until = $2, attempts = attempts + 1
         WHERE (sweep_id, badge_code) IN (
             SELECT c.sweep_id, c.badge_code FROM sweep_claims c JOIN sweeps s ON s.id = c.sweep_id
             WHERE s.status = 'running' AND (c.lease_until IS NULL OR c.lease_until < $3)
             ORDER BY c.sweep_id, c.badge_code LIMIT $4 {lock})
           AND {FREE}
         RETURNING sweep_id, badge_code, attempts"
    );
    let mut claimed: Vec<Claim> = crate::on_pool!(pool, pool => {
        sqlx::query_as(&sql).bind(worker).bind(lease_until).bind(now).bind(limit).fetch_all(pool).await?
    });
    claimed.sort_by(|a, b| (a.sweep_id, &a.badge_code).cmp(&(b.sweep_id, &b.badge_code)));
    Ok(claimed)
}

/// Renews every claim `worker` still holds until `lease_until`; returns how many it holds.
pub async fn renew(pool: &Pool, worker: &str, lease_until: DateTime<Utc>) -> Result<u64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query("UPDATE sweep_claims SET lease_until = $1 WHERE worker = $2")
            .bind(lease_until)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected())
    })
}

/// Gives back every claim `worker` holds (a worker stopping), for others to claim at once.
pub async fn release(pool: &Pool, worker: &str) -> Result<u64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query("UPDATE sweep_claims SET worker = NULL, lease_until = NULL WHERE worker = $1")
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected())
    })
}

/// Gives back one claim `worker` holds (its crawl failed), for any worker to try again.
pub async fn give_back(pool: &Pool, claim: &Claim, worker: &str) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query(
            "UPDATE sweep_claims SET worker = NULL, lease_until = NULL
             WHERE sweep_id = $1 AND badge_code = $2 AND worker = $3",
        )
        .bind(claim.sweep_id)
        .bind(&claim.badge_code)
        .bind(worker)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// Whether any running sweep has a site not recorded yet (free or held by a worker).
pub async fn work_left(pool: &Pool) -> Result<bool, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sweep_claims c JOIN sweeps s ON s.id = c.sweep_id WHERE s.status = 'running')",
        )
        .fetch_one(pool)
        .await?)
    })
}

/// Sites of sweep `sweep_id` not recorded yet, and of those how many a worker holds now.
pub async fn remaining(pool: &Pool, sweep_id: i64, now: DateTime<Utc>) -> Result<(i64, i64), StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), COUNT(CASE WHEN lease_until >= $2 THEN 1 END) FROM sweep_claims WHERE sweep_id = $1",
        )
        .bind(sweep_id)
        .bind(now)
        .fetch_one(pool)
        .await?)
    })
}

/// The workers holding claims now: name, sites held, when their lease ends (for `/metrics`).
pub async fn holders(pool: &Pool, now: DateTime<Utc>) -> Result<Vec<(String, i64, DateTime<Utc>)>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT worker, COUNT(*), MAX(lease_until) FROM sweep_claims
             WHERE worker IS NOT NULL AND lease_until >= $1 GROUP BY worker ORDER BY worker",
        )
        .bind(now)
        .fetch_all(pool)
        .await?)
    })
}
