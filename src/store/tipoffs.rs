//! Public reports (举报) of badges seen on sites they do not belong to.

use super::Pool;
use chrono::{DateTime, Utc};

use super::StoreError;

/// A report to store.
pub struct NewTipoff<'a> {
    /// The badge the report is about.
    pub badge_code: &'a str,
    /// Where the reporter saw it.
    pub seen_url: &'a str,
    /// That address's host.
    pub seen_host: &'a str,
    /// What the reporter says.
    pub description: &'a str,
    /// How to reach the reporter ("" when not given).
    pub contact: &'a str,
    /// The badge's region, for who sees the report.
    pub region: &'a str,
}

/// A stored report.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Tipoff {
    /// The row id.
    pub id: i64,
    /// The badge the report is about.
    pub badge_code: String,
    /// Where the reporter saw it.
    pub seen_url: String,
    /// That address's host.
    pub seen_host: String,
    /// What the reporter says.
    pub description: String,
    /// How to reach the reporter.
    pub contact: String,
    /// When it came in.
    pub created_at: DateTime<Utc>,
}

/// Stores a report.
pub async fn create(pool: &Pool, t: &NewTipoff<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "INSERT INTO tipoffs (badge_code, seen_url, seen_host, description, contact, region, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(t.badge_code)
        .bind(t.seen_url)
        .bind(t.seen_host)
        .bind(t.description)
        .bind(t.contact)
        .bind(t.region)
        .bind(now)
        .fetch_one(pool)
        .await?)
    })
}

/// Reports of badges whose region starts with `prefix` ("" for all), newest first.
pub async fn list(pool: &Pool, prefix: &str) -> Result<Vec<Tipoff>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT id, badge_code, seen_url, seen_host, description, contact, created_at FROM tipoffs
             WHERE region LIKE $1 || '%' ORDER BY id DESC LIMIT 500",
        )
        .bind(prefix)
        .fetch_all(pool)
        .await?)
    })
}

/// The region of a badge, if the badge exists.
pub async fn badge_region(pool: &Pool, code: &str) -> Result<Option<String>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar("SELECT region FROM badges WHERE code = $1").bind(code).fetch_optional(pool).await?)
    })
}
