//! One-time password reset codes (hashed) and the password change they allow.

use super::Pool;
use chrono::{DateTime, Utc};

use super::StoreError;

/// The open code of an account: its id, hash and wrong guesses so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenReset {
    /// The row id.
    pub id: i64,
    /// SHA-256 of the account id and the code, hex.
    pub code_hash: String,
    /// Wrong guesses so far.
    pub attempts: i64,
}

/// Stores a new code for an account, closing any earlier one.
pub async fn create(
    pool: &Pool,
    account_id: i64,
    code_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    crate::on_tx!(&mut tx, tx => {
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO password_resets (account_id, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)")
            .bind(account_id)
            .bind(code_hash)
            .bind(expires_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    });
    tx.commit().await?;
    Ok(())
}

/// The account's unused, unexpired code, if any.
pub async fn open(pool: &Pool, account_id: i64, now: DateTime<Utc>) -> Result<Option<OpenReset>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT id, code_hash, attempts FROM password_resets
             WHERE account_id = $1 AND used_at IS NULL AND expires_at > $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(account_id)
        .bind(now)
        .fetch_optional(pool)
        .await?)
    })
}

/// Counts a wrong guess.
pub async fn wrong_guess(pool: &Pool, id: i64) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query("UPDATE password_resets SET attempts = attempts + 1 WHERE id = $1").bind(id).execute(pool).await?;
        Ok(())
    })
}

/// Uses the code: sets the account's password and ends its sessions, in one transaction; a
/// code already used is a conflict.
pub async fn use_code(
    pool: &Pool,
    id: i64,
    account_id: i64,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    crate::on_tx!(&mut tx, tx => {
        let done = sqlx::query("UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
    });
    tx.commit().await?;
    Ok(())
}
