//! Change and cancellation requests of badged sites, and their approval: a change rewrites the
//! site's fields and keeps what they replaced; a cancellation revokes and closes the badge.
//! Each decision is one transaction.

use super::{Pool, Tx};
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::site_request::{RequestKind, RequestState, CHANGEABLE_FIELDS};

/// A request as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRequest {
    /// The row id.
    pub id: i64,
    /// The site's badge code.
    pub badge_code: String,
    /// The unit that asked.
    pub unit_id: i64,
    /// Change or cancellation.
    #[sqlx(try_from = "String")]
    pub kind: RequestKind,
    /// Pending, approved or rejected.
    #[sqlx(try_from = "String")]
    pub state: RequestState,
    /// JSON object of the new values (a change).
    pub changes: String,
    /// JSON object of the values they replaced (written on approval).
    pub previous: String,
    /// The unit's reason.
    pub reason: String,
    /// The office's display name, once decided.
    pub decider: Option<String>,
    /// The office's reason (required to refuse).
    pub decision_reason: String,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

impl TryFrom<String> for RequestKind {
    type Error = strum::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl TryFrom<String> for RequestState {
    type Error = strum::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

const SELECT: &str = "SELECT r.id, r.badge_code, r.unit_id, r.kind, r.state, r.changes, r.previous, r.reason,
        d.display_name AS decider, r.decision_reason, r.created_at, r.decided_at
     FROM site_requests r LEFT JOIN accounts d ON d.id = r.decided_by";

/// Stores a pending request; a site with one pending already is a conflict.
pub async fn create(
    pool: &Pool,
    code: &str,
    unit_id: i64,
    kind: RequestKind,
    changes: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query_scalar(
            "INSERT INTO site_requests (badge_code, unit_id, kind, state, changes, reason, created_at)
             VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING id",
        )
        .bind(code)
        .bind(unit_id)
        .bind(kind.as_str())
        .bind(changes)
        .bind(reason)
        .bind(now)
        .fetch_one(pool)
        .await
        .map_err(StoreError::from_write)
    })
}

/// One request.
pub async fn get(pool: &Pool, id: i64) -> Result<SiteRequest, StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query_as(&format!("{SELECT} WHERE r.id = $1")).bind(id).fetch_optional(pool).await?.ok_or(StoreError::NotFound)
    })
}

/// A site's requests, newest first: its history of changes.
pub async fn for_badge(pool: &Pool, code: &str) -> Result<Vec<SiteRequest>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(&format!("{SELECT} WHERE r.badge_code = $1 ORDER BY r.id DESC"))
            .bind(code)
            .fetch_all(pool)
            .await?)
    })
}

/// A pending request with what the office's queue shows beside it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRequest {
    /// The request.
    pub id: i64,
    /// The site's badge code.
    pub badge_code: String,
    /// Change or cancellation.
    #[sqlx(try_from = "String")]
    pub kind: RequestKind,
    /// The website's name.
    pub site_name: String,
    /// The unit's name.
    pub unit_name: String,
    /// The unit's level.
    pub unit_level: Option<String>,
    /// The unit's region.
    pub unit_region: Option<String>,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
}

/// Every pending request, oldest first.
pub async fn pending(pool: &Pool) -> Result<Vec<PendingRequest>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT r.id, r.badge_code, r.kind, a.site_name, a.unit_name, u.level AS unit_level, u.region AS unit_region,
                r.created_at
         FROM site_requests r JOIN badges b ON b.code = r.badge_code JOIN applications a ON a.id = b.application_id
         JOIN accounts u ON u.id = r.unit_id
         WHERE r.state = 'pending' ORDER BY r.id",
        )
        .fetch_all(pool)
        .await?)
    })
}

/// Marks a pending request decided; a request no longer pending is a conflict.
async fn decide(
    conn: &mut Tx,
    id: i64,
    state: RequestState,
    previous: &str,
    actor_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let done = crate::on_tx!(conn, conn => {
        sqlx::query(
            "UPDATE site_requests SET state = $1, previous = $2, decided_by = $3, decision_reason = $4, decided_at = $5
             WHERE id = $6 AND state = 'pending'",
        )
        .bind(state.as_str())
        .bind(previous)
        .bind(actor_id)
        .bind(reason)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    });
    if done == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// Refuses a pending request.
pub async fn reject(pool: &Pool, id: i64, actor_id: i64, reason: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    decide(&mut tx, id, RequestState::Rejected, "{}", actor_id, reason, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Approves a change: writes the new values into the application that carries the site's data
/// and keeps the values they replaced. Only [`CHANGEABLE_FIELDS`] are written (and the Chinese
/// domain's punycode with it).
#[allow(clippy::too_many_arguments)]
pub async fn approve_change(
    pool: &Pool,
    id: i64,
    application_id: i64,
    changes: &[(&'static str, String)],
    domain_cn_ascii: Option<&str>,
    previous: &str,
    actor_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    decide(&mut tx, id, RequestState::Approved, previous, actor_id, "", now).await?;
    crate::on_tx!(&mut tx, tx => {
        for (field, value) in changes {
            // The column name comes from the fixed list, never from input.
            let column = CHANGEABLE_FIELDS.iter().find(|(f, _)| f == field).map(|(f, _)| *f).ok_or(StoreError::NotFound)?;
            sqlx::query(&format!("UPDATE applications SET {column} = $1 WHERE id = $2"))
                .bind(value)
                .bind(application_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(ascii) = domain_cn_ascii {
            sqlx::query("UPDATE applications SET domain_cn_ascii = $1 WHERE id = $2")
                .bind(ascii)
                .bind(application_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE applications SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
    });
    tx.commit().await?;
    Ok(())
}

/// Approves a cancellation: the badge is revoked and the site closed, with the badge's audit
/// entry.
pub async fn approve_cancel(
    pool: &Pool,
    id: i64,
    code: &str,
    actor_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    decide(&mut tx, id, RequestState::Approved, "{}", actor_id, "", now).await?;
    crate::on_tx!(&mut tx, tx => {
        let from: Option<String> =
            sqlx::query_scalar("SELECT status FROM badges WHERE code = $1").bind(code).fetch_optional(&mut *tx).await?;
        let from = from.ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE badges SET status = 'revoked', status_changed_at = $1, closed_at = $2 WHERE code = $3")
            .bind(now)
            .bind(now)
            .bind(code)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO badge_events (code, actor_id, from_status, to_status, reason, at)
             VALUES ($1, $2, $3, 'revoked', '网站注销', $4)",
        )
        .bind(code)
        .bind(actor_id)
        .bind(from)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    });
    tx.commit().await?;
    Ok(())
}
