//! What `/metrics` and `/readyz` read from the database: that it answers, the outbox's depth
//! and failures, and the progress of sweeps under way.

use super::Pool;

use super::StoreError;

/// Whether the database answers a trivial query.
pub async fn ping(pool: &Pool) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query("SELECT 1").execute(pool).await?;
        Ok(())
    })
}

/// Notices of the outbox by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Not yet sent and not given up on (the queue's depth).
    pub pending: i64,
    /// Sent.
    pub sent: i64,
    /// Given up on after the last attempt.
    pub failed: i64,
    /// Pending notices whose last attempt failed (they will be tried again).
    pub retrying: i64,
}

/// The outbox's counts.
pub async fn outbox(pool: &Pool) -> Result<OutboxCounts, StoreError> {
    crate::on_pool!(pool, pool => {
        let (pending, sent, failed, retrying): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 END),
                COUNT(CASE WHEN sent_at IS NOT NULL THEN 1 END),
                COUNT(CASE WHEN failed_at IS NOT NULL AND sent_at IS NULL THEN 1 END),
                COUNT(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 END)
             FROM outbox",
        )
        .fetch_one(pool)
        .await?;
        Ok(OutboxCounts { pending, sent, failed, retrying })
    })
}

/// A sweep under way and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunningSweep {
    /// The sweep's id.
    pub id: i64,
    /// `sweep`, `scheduled` or `self_check`.
    pub kind: String,
    /// Sites it covers.
    pub sites_total: i64,
    /// Sites recorded so far.
    pub sites_done: i64,
    /// Pages recorded so far.
    pub pages_done: i64,
}

/// The sweeps with status `running`, oldest first.
pub async fn running_sweeps(pool: &Pool) -> Result<Vec<RunningSweep>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT s.id, s.kind, s.sites_total,
                (SELECT COUNT(*) FROM sweep_sites WHERE sweep_id = s.id) AS sites_done,
                (SELECT COUNT(*) FROM sweep_pages WHERE sweep_id = s.id) AS pages_done
         FROM sweeps s WHERE s.status = 'running' ORDER BY s.id",
        )
        .fetch_all(pool)
        .await?)
    })
}
