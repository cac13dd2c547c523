//! Hosted red pages: one per badge, written by the badge's unit, public while published and
//! the badge is active.

use super::Pool;
use chrono::{DateTime, Utc};

use crate::domain::red_page::RedPage;

#[derive(sqlx::FromRow)]
struct Row {
    code: String,
    unit_id: i64,
    title: String,
    introduction: String,
    functions: String,
    address: String,
    public_phone: String,
    service_links: String,
    published: bool,
}

impl From<Row> for RedPage {
    fn from(r: Row) -> Self {
        RedPage {
            code: r.code,
            unit_id: r.unit_id,
            title: r.title,
            introduction: r.introduction,
            functions: r.functions,
            address: r.address,
            public_phone: r.public_phone,
            service_links: r.service_links,
            published: r.published,
        }
    }
}

const COLUMNS: &str =
    "r.code, r.unit_id, r.title, r.introduction, r.functions, r.address, r.public_phone, r.service_links, r.published";

/// The red page of badge `code` if `unit_id` wrote it.
pub async fn of_unit(pool: &Pool, unit_id: i64, code: &str) -> Result<Option<RedPage>, sqlx::Error> {
    crate::on_pool!(pool, pool => {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM red_pages r WHERE r.code = $1 AND r.unit_id = $2"))
                .bind(code)
                .bind(unit_id)
                .fetch_optional(pool)
                .await?;
        Ok(row.map(RedPage::from))
    })
}

/// Writes (inserts or replaces the content of) a red page.
pub async fn save(pool: &Pool, page: &RedPage, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    crate::on_pool!(pool, pool => {
        sqlx::query(
            "INSERT INTO red_pages (code, unit_id, title, introduction, functions, address, public_phone, service_links, published, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (code) DO UPDATE SET title = excluded.title, introduction = excluded.introduction,
           functions = excluded.functions, address = excluded.address, public_phone = excluded.public_phone,
           service_links = excluded.service_links, published = excluded.published, updated_at = excluded.updated_at",
        )
        .bind(&page.code)
        .bind(page.unit_id)
        .bind(&page.title)
        .bind(&page.introduction)
        .bind(&page.functions)
        .bind(&page.address)
        .bind(&page.public_phone)
        .bind(&page.service_links)
        .bind(page.published)
        .bind(now)
        .execute(pool)
        .await?;
        Ok(())
    })
}

/// A published red page of an active badge, for the public.
pub async fn published(pool: &Pool, code: &str) -> Result<Option<RedPage>, sqlx::Error> {
    crate::on_pool!(pool, pool => {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM red_pages r JOIN badges b ON b.code = r.code
             WHERE r.code = $1 AND r.published = TRUE AND b.status = 'active'"
        ))
        .bind(code)
        .fetch_optional(pool)
        .await?;
        Ok(row.map(RedPage::from))
    })
}
