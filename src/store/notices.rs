//! Enforcement notices as sent: one row per event under a unique key, so that each is sent
//! once; the sites each supervisors' digest named.

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

use super::StoreError;

/// An event's key and what it is about.
pub struct NoticeKey<'a> {
    pub kind: &'a str,
    pub subject: &'a str,
    pub period: &'a str,
    pub badge_code: Option<&'a str>,
    pub account_id: Option<i64>,
}

/// Records the event unless it is already recorded: `Some(id)` for a new event (send it, in the
/// same transaction), `None` when it was sent before.
pub async fn claim(
    conn: &mut SqliteConnection,
    key: &NoticeKey<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO enforcement_notices (kind, subject, period, badge_code, account_id, messages, created_at)
         VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (kind, subject, period) DO NOTHING RETURNING id",
    )
    .bind(key.kind)
    .bind(key.subject)
    .bind(key.period)
    .bind(key.badge_code)
    .bind(key.account_id)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

pub async fn set_messages(conn: &mut SqliteConnection, id: i64, messages: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE enforcement_notices SET messages = ? WHERE id = ?")
        .bind(messages)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn add_digest_site(conn: &mut SqliteConnection, id: i64, code: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT OR IGNORE INTO enforcement_digest_sites (notice_id, badge_code) VALUES (?, ?)")
        .bind(id)
        .bind(code)
        .execute(conn)
        .await?;
    Ok(())
}

/// A notice about a site, directly or in a digest.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SiteNotice {
    pub kind: String,
    pub period: String,
    pub messages: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn for_site(pool: &SqlitePool, code: &str) -> Result<Vec<SiteNotice>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, period, messages, created_at FROM enforcement_notices WHERE badge_code = ?
         UNION ALL
         SELECT n.kind, n.period, n.messages, n.created_at FROM enforcement_notices n
           JOIN enforcement_digest_sites d ON d.notice_id = n.id WHERE d.badge_code = ?
         ORDER BY created_at DESC",
    )
    .bind(code)
    .bind(code)
    .fetch_all(pool)
    .await?)
}

/// A supervisor who receives digests.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Supervisor {
    pub id: i64,
    pub level: Option<String>,
    pub region: Option<String>,
    pub email: String,
    pub mobile: String,
}

/// Supervisors whose accounts are enabled.
pub async fn supervisors(pool: &SqlitePool) -> Result<Vec<Supervisor>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, level, region, email, mobile FROM accounts WHERE role = 'supervisor' AND disabled = 0 ORDER BY id",
    )
    .fetch_all(pool)
    .await?)
}

/// Who a site's notices address: the unit, the site and the application's handler.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitContact {
    pub application_id: i64,
    pub kind: String,
    pub unit_name: String,
    pub site_name: String,
    pub handler_email: String,
    pub handler_mobile: String,
}

pub async fn unit_contact(pool: &SqlitePool, application_id: i64) -> Result<UnitContact, StoreError> {
    sqlx::query_as(
        "SELECT id AS application_id, kind, unit_name, site_name, handler_email, handler_mobile
         FROM applications WHERE id = ?",
    )
    .bind(application_id)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)
}
