//! The crawl's politeness shared by every worker: per key (a host or an IP address), the time
//! before which no further request may start, moved on by each reservation.

use super::{Pool, StoreError};

/// Reserves `span_us` microseconds of request slots for `key`, starting at `now_us` or when
/// the last reservation ends, whichever is later; returns the start (microseconds since the
/// epoch).
pub async fn reserve(pool: &Pool, key: &str, now_us: i64, span_us: i64) -> Result<i64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "INSERT INTO crawl_pace (key, next_at_us) VALUES ($1, $2 + $3)
             ON CONFLICT (key) DO UPDATE SET next_at_us =
                 CASE WHEN crawl_pace.next_at_us > $2 THEN crawl_pace.next_at_us ELSE $2 END + $3
             RETURNING next_at_us - $3",
        )
        .bind(key)
        .bind(now_us)
        .bind(span_us)
        .fetch_one(pool)
        .await?)
    })
}

/// Drops the keys whose last reservation ended before `before_us`: they hold nothing back.
pub async fn prune(pool: &Pool, before_us: i64) -> Result<u64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query("DELETE FROM crawl_pace WHERE next_at_us < $1").bind(before_us).execute(pool).await?.rows_affected())
    })
}
