//! Rate-limit counters shared by every instance on the database: per scope and key, one count
//! per fixed window (see `service::throttle::SharedWindow` for the sliding limit built on them).

use super::{Pool, StoreError};

/// The counts of `key` in windows starting at or after `since`: (window start, count).
pub async fn recent(pool: &Pool, scope: &str, key: &str, since: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT window_start, count FROM throttle_counts WHERE scope = $1 AND key = $2 AND window_start >= $3",
        )
        .bind(scope)
        .bind(key)
        .bind(since)
        .fetch_all(pool)
        .await?)
    })
}

/// Counts an event in the window starting at `window_start` if its count is below `cap`
/// (one statement: concurrent takers never pass the cap between them); whether it was counted.
pub async fn take(pool: &Pool, scope: &str, key: &str, window_start: i64, cap: i64) -> Result<bool, StoreError> {
    if cap < 1 {
        return Ok(false);
    }
    crate::on_pool!(pool, pool => {
        let counted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO throttle_counts (scope, key, window_start, count) VALUES ($1, $2, $3, 1)
             ON CONFLICT (scope, key, window_start) DO UPDATE SET count = throttle_counts.count + 1
             WHERE throttle_counts.count < $4
             RETURNING count",
        )
        .bind(scope)
        .bind(key)
        .bind(window_start)
        .bind(cap)
        .fetch_optional(pool)
        .await?;
        Ok(counted.is_some())
    })
}

/// Counts an event, whatever the count.
pub async fn add(pool: &Pool, scope: &str, key: &str, window_start: i64) -> Result<(), StoreError> {
    take(pool, scope, key, window_start, i64::MAX).await.map(|_| ())
}

/// Takes back one event of the window starting at `window_start` (one that never happened).
pub async fn give_back(pool: &Pool, scope: &str, key: &str, window_start: i64) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query(
            "UPDATE throttle_counts SET count = count - 1
             WHERE scope = $1 AND key = $2 AND window_start = $3 AND count > 0",
        )
        .bind(scope)
        .bind(key)
        .bind(window_start)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// Forgets every count of `key`.
pub async fn clear(pool: &Pool, scope: &str, key: &str) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query("DELETE FROM throttle_counts WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .execute(pool)
            .await?;
        Ok(())
    })
}

/// Deletes the scope's counts of windows that started before `before`.
pub async fn prune(pool: &Pool, scope: &str, before: i64) -> Result<u64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query("DELETE FROM throttle_counts WHERE scope = $1 AND window_start < $2")
            .bind(scope)
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected())
    })
}
