//! What the verification page, the report form and the certificate show of one badge: its
//! public details, read from the database by code (the snapshot keeps only what the badge
//! itself needs; the pages built from these details are cached per snapshot generation).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::badge::BadgeStatus;
use crate::store::Pool;

/// Public data only: no personal field of the application.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PublicBadge {
    /// The badge code.
    pub code: String,
    /// Active, suspended or revoked.
    #[sqlx(try_from = "String")]
    pub status: BadgeStatus,
    /// The unit's name as approved.
    pub unit_name: String,
    /// The unit's category label (党政机关, 事业单位 …).
    pub unit_type: String,
    /// The unit's address.
    pub address: String,
    /// The unit's functions, as the verification page shows them.
    pub functions: String,
    /// The website's name.
    pub site_name: String,
    /// The Chinese domain name (`.政务`/`.公益`), as typed.
    pub domain_cn: String,
    /// The English domain name.
    pub domain_en: String,
    /// The office that issued the badge.
    pub issuer: String,
    /// When the badge was issued.
    pub issued_at: DateTime<Utc>,
    /// When the site was closed (注销), if it was.
    pub closed_at: Option<DateTime<Utc>>,
}

/// The public details of the badge with this code, if there is one.
pub async fn load(pool: &Pool, code: &str) -> Result<Option<PublicBadge>, sqlx::Error> {
    crate::store::badges::public_details(pool, code).await
}
