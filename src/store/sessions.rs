//! Login sessions: only a hash of the token is stored; each session has its CSRF token.

use super::Pool;
use chrono::{DateTime, Utc};

use super::accounts::{self, Account};
use super::StoreError;

/// Stores a new session by its token's hash.
pub async fn create(
    pool: &Pool,
    token_hash: &str,
    account_id: i64,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(pool).await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// The live session's account (not disabled) and CSRF token.
pub async fn find(pool: &Pool, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(Account, String)>, StoreError> {
    let row: Option<(i64, String)> = crate::on_pool!(pool, pool => {
        sqlx::query_as("SELECT account_id, csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
    });
    let Some((account_id, csrf)) = row else {
        return Ok(None);
    };
    let account = accounts::get(pool, account_id).await?;
    Ok((!account.disabled).then_some((account, csrf)))
}

/// Deletes a session.
pub async fn delete(pool: &Pool, token_hash: &str) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
        Ok(())
    })
}
