//! Issued badges: serial allocation per region, status changes with their audit entries.

use super::{Pool, Tx};
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::domain::badge::{BadgeCode, BadgeStatus, LegacyCode, SiteCode};
use crate::domain::region::RegionCode;

/// A badge as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Badge {
    /// The code: a govbadge code, or the national legacy code of a site that keeps it.
    pub code: SiteCode,
    /// The application it was issued for.
    pub application_id: i64,
    /// The unit's account id.
    pub unit_id: i64,
    /// Active, suspended or revoked.
    pub status: BadgeStatus,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The last day to install it.
    pub install_due: NaiveDate,
    /// When its status last changed.
    pub status_changed_at: DateTime<Utc>,
}

type Row = (String, i64, i64, String, DateTime<Utc>, NaiveDate, DateTime<Utc>);

fn from_row(r: Row) -> Result<Badge, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("badge {}", r.0));
    Ok(Badge {
        code: SiteCode::parse(&r.0).ok_or_else(corrupt)?,
        application_id: r.1,
        unit_id: r.2,
        status: BadgeStatus::parse(&r.3).ok_or_else(corrupt)?,
        issued_at: r.4,
        install_due: r.5,
        status_changed_at: r.6,
    })
}

const SELECT: &str =
    "SELECT code, application_id, unit_id, status, issued_at, install_due, status_changed_at FROM badges";

/// Allocates the region's next serial and stores the badge for `application_id`. The serial
/// counter only grows, so a code is never reused; the application can hold one badge only.
pub async fn issue(
    conn: &mut Tx,
    application_id: i64,
    unit_id: i64,
    region: &RegionCode,
    at: DateTime<Utc>,
    install_due: NaiveDate,
) -> Result<BadgeCode, StoreError> {
    let serial: i64 = crate::on_tx!(conn, conn => {
        sqlx::query_scalar(
            "INSERT INTO region_serials (region, last_serial) VALUES ($1, 1)
         ON CONFLICT (region) DO UPDATE SET last_serial = region_serials.last_serial + 1
         RETURNING last_serial",
        )
        .bind(region.as_str())
        .fetch_one(&mut *conn)
        .await?
    });
    let code = u32::try_from(serial)
        .ok()
        .and_then(|s| BadgeCode::new(region, s))
        .ok_or_else(|| StoreError::Corrupt(format!("region {region} has no serials left")))?;
    insert(conn, code.as_str(), serial, application_id, unit_id, region, at, install_due).await?;
    Ok(code)
}

/// Stores an active badge: the one INSERT of both kinds of code.
#[allow(clippy::too_many_arguments)]
async fn insert(
    conn: &mut Tx,
    code: &str,
    serial: i64,
    application_id: i64,
    unit_id: i64,
    region: &RegionCode,
    at: DateTime<Utc>,
    install_due: NaiveDate,
) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query(
            "INSERT INTO badges (code, application_id, unit_id, region, serial, status, issued_at, install_due, status_changed_at)
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8)",
        )
        .bind(code)
        .bind(application_id)
        .bind(unit_id)
        .bind(region.as_str())
        .bind(serial)
        .bind(at)
        .bind(install_due)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_write)?;
    });
    Ok(())
}

/// Makes a legacy code the site's badge for `application_id`: the register's record of it when
/// the unit's (imported earlier), else a new record. A legacy badge takes no serial of its
/// region: it stores the negated application id, which keeps `(region, serial)` unique.
pub async fn keep_legacy(
    conn: &mut Tx,
    code: &LegacyCode,
    application_id: i64,
    unit_id: i64,
    region: &RegionCode,
    at: DateTime<Utc>,
    install_due: NaiveDate,
) -> Result<(), StoreError> {
    let owner: Option<i64> = crate::on_tx!(conn, conn => {
        sqlx::query_scalar("SELECT unit_id FROM badges WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&mut *conn)
            .await?
    });
    match owner {
        Some(owner) if owner == unit_id => Ok(()),
        Some(_) => Err(StoreError::Conflict),
        None => insert_legacy(conn, code, application_id, unit_id, region, at, install_due).await,
    }
}

/// Stores a new record of a legacy badge (see [`keep_legacy`] for its serial).
pub async fn insert_legacy(
    conn: &mut Tx,
    code: &LegacyCode,
    application_id: i64,
    unit_id: i64,
    region: &RegionCode,
    at: DateTime<Utc>,
    install_due: NaiveDate,
) -> Result<(), StoreError> {
    insert(conn, code.as_str(), -application_id, application_id, unit_id, region, at, install_due).await
}

/// Revokes the unit's record of a legacy badge that a new govbadge code replaces (nothing when
/// the register holds none), with its audit entry.
pub async fn retire_legacy(
    conn: &mut Tx,
    code: &str,
    unit_id: i64,
    actor_id: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        let from: Option<String> = sqlx::query_scalar(
            "UPDATE badges SET status = 'revoked', status_changed_at = $1
         WHERE code = $2 AND unit_id = $3 AND status <> 'revoked'
         RETURNING (SELECT status FROM badges WHERE code = $4)",
        )
        .bind(at)
        .bind(code)
        .bind(unit_id)
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(from) = from {
            sqlx::query(
                "INSERT INTO badge_events (code, actor_id, from_status, to_status, reason, at) VALUES ($1, $2, $3, 'revoked', $4, $5)",
            )
            .bind(code)
            .bind(actor_id)
            .bind(from)
            .bind(reason)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    })
}

/// One badge.
pub async fn get(pool: &Pool, code: &str) -> Result<Badge, StoreError> {
    crate::on_pool!(pool, pool => {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE code = $1")).bind(code).fetch_optional(pool).await?;
        row.map(from_row).transpose()?.ok_or(StoreError::NotFound)
    })
}

/// A unit's badges, newest first.
pub async fn list_for_unit(pool: &Pool, unit_id: i64) -> Result<Vec<Badge>, StoreError> {
    crate::on_pool!(pool, pool => {
        let rows: Vec<Row> =
            sqlx::query_as(&format!("{SELECT} WHERE unit_id = $1 ORDER BY issued_at")).bind(unit_id).fetch_all(pool).await?;
        rows.into_iter().map(from_row).collect()
    })
}

/// The public details of one badge: the latest issued application's public fields and who
/// issued it.
pub async fn public_details(
    pool: &Pool,
    code: &str,
) -> Result<Option<crate::badge::details::PublicBadge>, sqlx::Error> {
    crate::on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT b.code, b.status, b.issued_at, a.unit_name, a.category AS unit_type, a.address,
                a.unit_functions AS functions, a.site_name, a.domain_cn, a.domain_en, b.closed_at,
                COALESCE((SELECT ac.display_name FROM application_events e JOIN accounts ac ON ac.id = e.actor_id
                  WHERE e.application_id = b.application_id AND e.event = 'issue' ORDER BY e.id DESC LIMIT 1),
                  CASE WHEN a.origin = 'imported' THEN '原网站标识（由网站注册库导入）' END, '') AS issuer
             FROM badges b JOIN applications a ON a.id = b.application_id WHERE b.code = $1",
        )
        .bind(code)
        .fetch_optional(pool)
        .await
    })
}

/// What the public badge snapshot holds of every badge, in the database's own order: code, status,
/// whether the unit is a public institution (事业单位), and its English and Chinese (punycode)
/// hosts. Each row is handed to `take`, borrowed from one text the database aggregates (a row
/// per badge costs microseconds in the driver; half a million badges must load in well under
/// a second). Codes, statuses and host names hold no tab or line break.
pub async fn listed_rows(
    pool: &Pool,
    mut take: impl FnMut(crate::badge::snapshot::Row<'_>),
) -> Result<(), sqlx::Error> {
    const SQL: &str = "SELECT string_agg(b.code || '\t' || b.status || '\t'
            || CASE WHEN a.category = '事业单位' THEN '1' ELSE '0' END || '\t' || a.domain_en || '\t' || a.domain_cn_ascii,
            '\n')
         FROM badges b JOIN applications a ON a.id = b.application_id";
    let text: Option<String> = crate::on_pool!(pool, pool => sqlx::query_scalar(SQL).fetch_one(pool).await?);
    for line in text.as_deref().unwrap_or_default().split('\n').filter(|l| !l.is_empty()) {
        let mut fields = line.split('\t');
        let mut field = || fields.next().ok_or_else(|| sqlx::Error::Protocol(format!("badge row {line:?}")));
        let (code, status, institution, domain_en, domain_cn_ascii) =
            (field()?, field()?, field()?, field()?, field()?);
        let status = status.parse().map_err(|e: strum::ParseError| sqlx::Error::Decode(e.into()))?;
        take(crate::badge::snapshot::Row {
            code,
            status,
            institution: institution == "1",
            hosts: [domain_en, domain_cn_ascii],
        });
    }
    Ok(())
}

/// A digest of what the public badge data depends on: it changes with every issuance, status
/// change, closure, import or change of an application (for the snapshot's periodic
/// reconcile, which reloads only when it differs).
pub async fn fingerprint(pool: &Pool) -> Result<String, sqlx::Error> {
    let row: (i64, Option<String>, Option<String>, i64, Option<String>) = crate::on_pool!(pool, pool => {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM badges), (SELECT CAST(MAX(status_changed_at) AS TEXT) FROM badges),
                    (SELECT CAST(MAX(closed_at) AS TEXT) FROM badges), (SELECT COUNT(*) FROM applications),
                    (SELECT CAST(MAX(updated_at) AS TEXT) FROM applications)",
        )
        .fetch_one(pool)
        .await?
    });
    Ok(format!("{row:?}"))
}

/// The channel on which instances sharing a `PostgreSQL` database announce badge changes.
pub const CHANGES_CHANNEL: &str = "govbadge_badges";

/// Tells the other instances sharing the database that the public badge data changed (a
/// `NOTIFY` on `PostgreSQL`; nothing on `SQLite`, whose instances rely on the reconcile).
/// `instance` is the sender, which needs no reload.
pub async fn announce_change(pool: &Pool, instance: &str) -> Result<(), sqlx::Error> {
    if let Pool::Postgres(pool) = pool {
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANGES_CHANNEL).bind(instance).execute(pool).await?;
    }
    Ok(())
}

/// Changes the status if it is still `from`, and audits the change.
pub async fn change_status(
    pool: &Pool,
    code: &SiteCode,
    from: BadgeStatus,
    to: BadgeStatus,
    actor_id: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    crate::on_tx!(&mut tx, tx => {
        let done = sqlx::query("UPDATE badges SET status = $1, status_changed_at = $2 WHERE code = $3 AND status = $4")
            .bind(to.as_str())
            .bind(at)
            .bind(code.as_str())
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        sqlx::query(
            "INSERT INTO badge_events (code, actor_id, from_status, to_status, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code.as_str())
        .bind(actor_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(reason)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    });
    tx.commit().await?;
    Ok(())
}

/// Status history of a badge: (from, to, reason, at).
pub async fn status_history(
    pool: &Pool,
    code: &str,
) -> Result<Vec<(String, String, String, DateTime<Utc>)>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as("SELECT from_status, to_status, reason, at FROM badge_events WHERE code = $1 ORDER BY id")
            .bind(code)
            .fetch_all(pool)
            .await?)
    })
}

/// The public list's filters: free text in names, a domain, a region prefix, a category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicFilter {
    /// Part of the website's or the unit's name.
    pub name: String,
    /// Part of a domain (English, or Chinese as typed).
    pub domain: String,
    /// A region code prefix ("" for all).
    pub region: String,
    /// A category, exactly ("" for all).
    pub category: String,
}

/// One approved site as the public list shows it: public fields only.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct PublicSite {
    /// The badge code.
    pub code: String,
    /// Active or suspended.
    pub status: String,
    /// The region code.
    pub region: String,
    /// When the badge was issued.
    pub issued_at: DateTime<Utc>,
    /// The unit's name.
    pub unit_name: String,
    /// The unit's category.
    pub category: String,
    /// The website's name.
    pub site_name: String,
    /// The Chinese domain, as typed.
    pub domain_cn: String,
    /// The English domain.
    pub domain_en: String,
}

const PUBLIC_WHERE: &str = "FROM badges b JOIN applications a ON a.id = b.application_id
     WHERE b.status <> 'revoked'
       AND ($1 = '' OR a.site_name LIKE $2 ESCAPE '\\' OR a.unit_name LIKE $2 ESCAPE '\\')
       AND ($3 = '' OR a.domain_en LIKE $4 ESCAPE '\\' OR a.domain_cn LIKE $4 ESCAPE '\\')
       AND b.region LIKE $5 || '%'
       AND ($6 = '' OR a.category = $6)";

/// Approved sites (badges not revoked) matching `filter`, in region and code order: `limit`
/// of them from `offset`, and how many match in all.
pub async fn public_list(
    pool: &Pool,
    filter: &PublicFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PublicSite>, i64), StoreError> {
    crate::on_pool!(pool, pool => {
        let (name, domain) = (super::contains_pattern(&filter.name), super::contains_pattern(&filter.domain));
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {PUBLIC_WHERE}"))
            .bind(&filter.name)
            .bind(&name)
            .bind(&filter.domain)
            .bind(&domain)
            .bind(&filter.region)
            .bind(&filter.category)
            .fetch_one(pool)
            .await?;
        let rows = sqlx::query_as(&format!(
            "SELECT b.code, b.status, b.region, b.issued_at, a.unit_name, a.category, a.site_name, a.domain_cn, a.domain_en
             {PUBLIC_WHERE} ORDER BY b.region, b.code LIMIT $7 OFFSET $8"
        ))
        .bind(&filter.name)
        .bind(&name)
        .bind(&filter.domain)
        .bind(&domain)
        .bind(&filter.region)
        .bind(&filter.category)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
        Ok((rows, total))
    })
}
