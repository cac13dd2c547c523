//! The register of existing sites as stored: an imported site is a unit account, an issued
//! application of origin `imported` and a badge record of its legacy code. Every write of an
//! import happens in one transaction.

use super::{Pool, Tx};
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::domain::register::RegisterEntry;

/// What the register holds of a site already taken in, for comparing with a new row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSite {
    /// The application that carries the site's data.
    pub application_id: i64,
    /// The unit's account id.
    pub unit_id: i64,
    /// The unit's login name (its credit code).
    pub unit_account: String,
    /// 单位名称.
    pub unit_name: String,
    /// 系统类别.
    pub category: String,
    /// The badge record's region.
    pub region: String,
    /// 单位地址.
    pub address: String,
    /// 单位职能.
    pub unit_functions: String,
    /// 网站名称.
    pub site_name: String,
    /// 中文域名, as typed.
    pub domain_cn: String,
    /// 英文域名.
    pub domain_en: String,
    /// The static verification link's id.
    pub legacy_link_id: Option<String>,
    /// 网站标识码.
    pub site_id_code: String,
}

impl StoredSite {
    /// The stored value of a register column, as a file would give it.
    pub fn cell(&self, key: &str) -> &str {
        match key {
            "unit_name" => &self.unit_name,
            "credit_code" => &self.unit_account,
            "category" => &self.category,
            "region" => &self.region,
            "address" => &self.address,
            "unit_functions" => &self.unit_functions,
            "site_name" => &self.site_name,
            "domain_cn" => &self.domain_cn,
            "domain_en" => &self.domain_en,
            "legacy_link_id" => self.legacy_link_id.as_deref().unwrap_or(""),
            "site_id_code" => &self.site_id_code,
            _ => "",
        }
    }
}

/// The stored site whose badge code is `code`, if any.
pub async fn site_by_code(pool: &Pool, code: &str) -> Result<Option<StoredSite>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT a.id AS application_id, a.unit_id, u.name AS unit_account, a.unit_name, a.category, b.region,
                a.address, a.unit_functions, a.site_name, a.domain_cn, a.domain_en, a.legacy_link_id, a.site_id_code
         FROM badges b JOIN applications a ON a.id = b.application_id JOIN accounts u ON u.id = a.unit_id
         WHERE b.code = $1",
        )
        .bind(code)
        .fetch_optional(pool)
        .await?)
    })
}

/// The code of the badged site (not revoked) that holds a domain (English, or Chinese in
/// punycode), if any.
pub async fn domain_holder(pool: &Pool, domain_ascii: &str) -> Result<Option<String>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar(
            "SELECT b.code FROM badges b JOIN applications a ON a.id = b.application_id
             WHERE b.status <> 'revoked' AND (a.domain_en = $1 OR a.domain_cn_ascii = $1) LIMIT 1",
        )
        .bind(domain_ascii)
        .fetch_optional(pool)
        .await?)
    })
}

/// The role of the account named `name`, if one exists.
pub async fn account_role(pool: &Pool, name: &str) -> Result<Option<String>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar("SELECT role FROM accounts WHERE name = $1").bind(name).fetch_optional(pool).await?)
    })
}

/// A row to write: new, or an update of the stored site's application.
#[derive(Debug, Clone)]
pub enum Write<'a> {
    /// A site not yet in the register.
    Add(&'a RegisterEntry),
    /// A site whose data changed: the application to update.
    Update(&'a RegisterEntry, i64),
}

/// What one import run wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Sites added.
    pub added: usize,
    /// Sites updated.
    pub updated: usize,
    /// Unit accounts created (disabled until an office activates them).
    pub accounts: usize,
}

/// A password hash no password matches: imported unit accounts cannot sign in until an office
/// activates them with a password of their own.
pub const NO_PASSWORD: &str = "!imported";

/// The record of the run.
pub struct Run<'a> {
    /// Who ran it (none from the command line).
    pub actor_id: Option<i64>,
    /// The file's name.
    pub file_name: &'a str,
    /// Data rows in the file.
    pub rows_total: usize,
    /// Rows already in the register, unchanged.
    pub unchanged: usize,
}

/// Writes every row and the run's record in one transaction: all or nothing.
pub async fn write(
    pool: &Pool,
    writes: &[Write<'_>],
    run: &Run<'_>,
    now: DateTime<Utc>,
) -> Result<Written, StoreError> {
    let mut tx = pool.begin().await?;
    let mut written = Written::default();
    for w in writes {
        match w {
            Write::Add(entry) => {
                let (unit_id, created) = unit_account(&mut tx, entry, now).await?;
                written.accounts += usize::from(created);
                add_site(&mut tx, entry, unit_id, now).await?;
                written.added += 1;
            }
            Write::Update(entry, application_id) => {
                update_site(&mut tx, entry, *application_id, now).await?;
                written.updated += 1;
            }
        }
    }
    crate::on_tx!(&mut tx, tx => {
        sqlx::query(
            "INSERT INTO register_imports (actor_id, file_name, rows_total, added, updated, unchanged, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(run.actor_id)
        .bind(run.file_name)
        .bind(run.rows_total as i64)
        .bind(written.added as i64)
        .bind(written.updated as i64)
        .bind(run.unchanged as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    });
    tx.commit().await?;
    Ok(written)
}

/// The unit's account, named by its credit code: found, or created disabled.
async fn unit_account(conn: &mut Tx, entry: &RegisterEntry, now: DateTime<Utc>) -> Result<(i64, bool), StoreError> {
    crate::on_tx!(conn, conn => {
        let name = entry.credit_code.as_str();
        let found: Option<(i64, String)> =
            sqlx::query_as("SELECT id, role FROM accounts WHERE name = $1").bind(name).fetch_optional(&mut *conn).await?;
        match found {
            Some((id, role)) if role == "unit" => Ok((id, false)),
            Some(_) => Err(StoreError::Conflict),
            None => {
                let id = sqlx::query_scalar(
                    "INSERT INTO accounts (name, display_name, role, level, region, password_hash, disabled, email, mobile, created_at)
                     VALUES ($1, $2, 'unit', $3, $4, $5, TRUE, $6, $7, $8) RETURNING id",
                )
                .bind(name)
                .bind(&entry.unit_name)
                .bind(entry.region.level().as_str())
                .bind(entry.region.as_str())
                .bind(NO_PASSWORD)
                .bind(entry.email.as_ref().map_or("", |e| e.as_str()))
                .bind(entry.mobile.as_ref().map_or("", |m| m.as_str()))
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(StoreError::from_write)?;
                Ok((id, true))
            }
        }
    })
}

/// The issue time of an imported badge: its issue date (noon, China time) or now.
fn issued_at(entry: &RegisterEntry, now: DateTime<Utc>) -> DateTime<Utc> {
    entry.issued_on.and_then(|d| d.and_hms_opt(4, 0, 0)).map_or(now, |t| DateTime::from_naive_utc_and_offset(t, Utc))
}

async fn add_site(conn: &mut Tx, entry: &RegisterEntry, unit_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    let code = entry.legacy_code.as_str();
    let id: i64 = crate::on_tx!(conn, conn => {
        sqlx::query_scalar(
            "INSERT INTO applications (unit_id, kind, state, state_since, unit_name, unit_functions, category, address,
             site_name, domain_cn, domain_cn_ascii, domain_en, credit_code, recheck_code, badge_code, legacy_code,
             legacy_link_id, site_id_code, origin, created_at, updated_at)
         VALUES ($1, 'recheck', 'issued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'imported', $17, $18) RETURNING id",
        )
        .bind(unit_id)
        .bind(now)
        .bind(&entry.unit_name)
        .bind(&entry.unit_functions)
        .bind(entry.category)
        .bind(&entry.address)
        .bind(&entry.site_name)
        .bind(entry.domain_cn.as_ref().map_or("", |d| d.unicode()))
        .bind(entry.domain_cn.as_ref().map_or("", |d| d.ascii()))
        .bind(entry.domain_en.as_ref().map_or("", |d| d.as_str()))
        .bind(entry.credit_code.as_str())
        .bind(code)
        .bind(code)
        .bind(code)
        .bind(&entry.legacy_link_id)
        .bind(entry.site_id_code.as_deref().unwrap_or(""))
        .bind(now)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::from_write)?
    });
    let issued = issued_at(entry, now);
    // Sites of the register carry their badge already: the install deadline is the import day.
    let due: NaiveDate = crate::domain::calendar::today_in_china(now);
    super::badges::insert_legacy(conn, &entry.legacy_code, id, unit_id, &entry.region, issued, due).await
}

async fn update_site(
    conn: &mut Tx,
    entry: &RegisterEntry,
    application_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query(
            "UPDATE applications SET unit_name = $1, unit_functions = $2, category = $3, address = $4, site_name = $5,
             domain_cn = $6, domain_cn_ascii = $7, domain_en = $8, legacy_link_id = $9, site_id_code = $10,
             version = version + 1, updated_at = $11
         WHERE id = $12",
        )
        .bind(&entry.unit_name)
        .bind(&entry.unit_functions)
        .bind(entry.category)
        .bind(&entry.address)
        .bind(&entry.site_name)
        .bind(entry.domain_cn.as_ref().map_or("", |d| d.unicode()))
        .bind(entry.domain_cn.as_ref().map_or("", |d| d.ascii()))
        .bind(entry.domain_en.as_ref().map_or("", |d| d.as_str()))
        .bind(&entry.legacy_link_id)
        .bind(entry.site_id_code.as_deref().unwrap_or(""))
        .bind(now)
        .bind(application_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE badges SET region = $1 WHERE application_id = $2")
            .bind(entry.region.as_str())
            .bind(application_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// One import run as recorded.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ImportRun {
    /// The file's name.
    pub file_name: String,
    /// Data rows in the file.
    pub rows_total: i64,
    /// Sites added.
    pub added: i64,
    /// Sites updated.
    pub updated: i64,
    /// Rows unchanged.
    pub unchanged: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// The latest `limit` import runs, newest first.
pub async fn recent_runs(pool: &Pool, limit: i64) -> Result<Vec<ImportRun>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT file_name, rows_total, added, updated, unchanged, at FROM register_imports ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
