//! Leases on named work, so that of several instances sharing the database one does it at a
//! time: taken when free or expired, renewed by its holder, released when the work is done.

use chrono::{DateTime, Utc};

use super::{Pool, StoreError};

/// Takes the lease `name` for `holder` until `until`, or renews it if `holder` has it. Returns
/// whether `holder` has it now; `false` while another holder's lease runs (at `now`).
pub async fn acquire(
    pool: &Pool,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let got: Option<String> = crate::on_pool!(pool, pool => {
        sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    Ok(got.is_some())
}

/// Gives the lease up, if `holder` has it.
pub async fn release(pool: &Pool, name: &str, holder: &str) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2").bind(name).bind(holder).execute(pool).await?;
    });
    Ok(())
}
