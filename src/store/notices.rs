//! Enforcement notices as sent: one row per event under a unique key, so that each is sent
//! once; the sites each supervisors' digest named.

use super::{Pool, Tx};
use chrono::{DateTime, Utc};

use super::StoreError;

/// An event's key and what it is about.
pub struct NoticeKey<'a> {
    /// The notice's kind (`reminder`, `overdue`, `regression`, `digest`).
    pub kind: &'a str,
    /// Its subject.
    pub subject: &'a str,
    /// The period it covers, which makes it unique (one reminder per day and site …).
    pub period: &'a str,
    /// The site it is about (none for a digest).
    pub badge_code: Option<&'a str>,
    /// The supervisor a digest goes to.
    pub account_id: Option<i64>,
}

/// Records the event unless it is already recorded: `Some(id)` for a new event (send it, in the
/// same transaction), `None` when it was sent before.
pub async fn claim(conn: &mut Tx, key: &NoticeKey<'_>, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
    crate::on_tx!(conn, conn => {
        Ok(sqlx::query_scalar(
            "INSERT INTO enforcement_notices (kind, subject, period, badge_code, account_id, messages, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (kind, subject, period) DO NOTHING RETURNING id",
        )
        .bind(key.kind)
        .bind(key.subject)
        .bind(key.period)
        .bind(key.badge_code)
        .bind(key.account_id)
        .bind(now)
        .fetch_optional(conn)
        .await?)
    })
}

/// Records how many messages a notice queued.
pub async fn set_messages(conn: &mut Tx, id: i64, messages: i64) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query("UPDATE enforcement_notices SET messages = $1 WHERE id = $2")
            .bind(messages)
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Lists a site in a digest.
pub async fn add_digest_site(conn: &mut Tx, id: i64, code: &str) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query("INSERT INTO enforcement_digest_sites (notice_id, badge_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(code)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// A notice about a site, directly or in a digest.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SiteNotice {
    /// The notice's kind.
    pub kind: String,
    /// The period it covers.
    pub period: String,
    /// Messages queued.
    pub messages: i64,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The notices about a site, directly or in digests, newest first.
pub async fn for_site(pool: &Pool, code: &str) -> Result<Vec<SiteNotice>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT kind, period, messages, created_at FROM enforcement_notices WHERE badge_code = $1
         UNION ALL
         SELECT n.kind, n.period, n.messages, n.created_at FROM enforcement_notices n
           JOIN enforcement_digest_sites d ON d.notice_id = n.id WHERE d.badge_code = $2
         ORDER BY created_at DESC",
        )
        .bind(code)
        .bind(code)
        .fetch_all(pool)
        .await?)
    })
}

/// A supervisor who receives digests.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Supervisor {
    /// The account id.
    pub id: i64,
    /// Their office level.
    pub level: Option<String>,
    /// Their region.
    pub region: Option<String>,
    /// E-mail, or ''.
    pub email: String,
    /// Mobile number, or ''.
    pub mobile: String,
}

impl Supervisor {
    /// The region code prefix the supervisor oversees ("" for central staff); `None` when the
    /// stored scope does not name one.
    pub fn area_prefix(&self) -> Option<String> {
        match (self.level.as_deref(), &self.region) {
            (Some("central"), _) => Some(String::new()),
            (_, Some(region)) => {
                crate::domain::region::RegionCode::parse(region).ok().map(|c| c.jurisdiction_prefix().to_owned())
            }
            _ => None,
        }
    }
}

/// Supervisors whose accounts are enabled.
pub async fn supervisors(pool: &Pool) -> Result<Vec<Supervisor>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT id, level, region, email, mobile FROM accounts WHERE role = 'supervisor' AND disabled = FALSE ORDER BY id",
        )
        .fetch_all(pool)
        .await?)
    })
}

/// Who a site's notices address: the unit, the site and the application's handler.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitContact {
    /// The site's latest issued application.
    pub application_id: i64,
    /// The unit's category.
    pub kind: String,
    /// The unit's name.
    pub unit_name: String,
    /// The website's name.
    pub site_name: String,
    /// The handler's e-mail.
    pub handler_email: String,
    /// The handler's mobile number.
    pub handler_mobile: String,
}

/// Who the notices of an application's site go to.
pub async fn unit_contact(pool: &Pool, application_id: i64) -> Result<UnitContact, StoreError> {
    crate::on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT id AS application_id, kind, unit_name, site_name, handler_email, handler_mobile
             FROM applications WHERE id = $1",
        )
        .bind(application_id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)
    })
}
