//! The public list of approved websites (已开办网站名录) that the 管理办法 asks offices to
//! publish: search by name, domain, region and category, a page at a time or all matching
//! rows as CSV. Public fields only; no sign-in.

use std::time::Duration;

use serde::Deserialize;

use super::{paging, Context, ServiceError};
use crate::domain::application::SYSTEM_CATEGORIES;
use crate::domain::region::{region_name, RegionCode};
use crate::store::badges::{self, PublicFilter, PublicSite};

/// Sites on one page.
pub const PAGE_SIZE: i64 = 20;

/// Rows in one CSV download at most.
pub const MAX_DOWNLOAD_ROWS: i64 = 100_000;

/// The search as the form sends it; anything malformed is ignored, never an error.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Search {
    /// Part of the website's or unit's name.
    pub q: String,
    /// Part of a domain.
    pub domain: String,
    /// A region code (its whole area is searched).
    pub region: String,
    /// A category.
    pub category: String,
    /// The page, from 1.
    pub page: String,
}

impl Search {
    /// The filter the search stands for: text trimmed and cut to 50 characters, an unknown
    /// region or category dropped.
    pub fn filter(&self) -> PublicFilter {
        PublicFilter {
            name: paging::search_text(&self.q),
            domain: paging::search_text(&self.domain).to_lowercase(),
            region: RegionCode::parse(self.region.trim())
                .map(|r| r.jurisdiction_prefix().to_owned())
                .unwrap_or_default(),
            category: SYSTEM_CATEGORIES
                .iter()
                .find(|c| **c == self.category.trim())
                .map(|c| (*c).to_owned())
                .unwrap_or_default(),
        }
    }

    /// The page asked for (1 when absent or malformed).
    pub fn page(&self) -> i64 {
        paging::page_number(&self.page)
    }
}

/// One page of the list.
pub struct SitesPage {
    /// The sites on it.
    pub sites: Vec<PublicSite>,
    /// Sites matching in all.
    pub total: i64,
    /// This page's number.
    pub page: i64,
    /// The last page's number.
    pub pages: i64,
}

/// A page of approved sites matching `search`.
pub async fn page(ctx: &Context, search: &Search) -> Result<SitesPage, ServiceError> {
    let page = search.page();
    let (sites, total) = badges::public_list(&ctx.pool, &search.filter(), PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let pages = paging::page_count(total, PAGE_SIZE);
    Ok(SitesPage { sites, total, page, pages })
}

/// The CSV's columns: key and Chinese heading.
const CSV_COLUMNS: [(&str, &str); 9] = [
    ("code", "网站标识代码"),
    ("site_name", "网站名称"),
    ("unit_name", "开办主体"),
    ("category", "系统类别"),
    ("region", "行政区划"),
    ("domain_cn", "中文域名"),
    ("domain_en", "英文域名"),
    ("issued_on", "发放日期"),
    ("status", "状态"),
];

/// How long a CSV download waits for its turn before it is refused as one too many.
const CSV_TURN_WAIT: Duration = Duration::from_secs(30);

/// Every approved site matching `search` (up to [`MAX_DOWNLOAD_ROWS`]) as CSV, written as the
/// sweep reports are (UTF-8 with a BOM for Excel, CRLF, cells that a spreadsheet would take for
/// a formula quoted as text: names come from units). Made one download at a time
/// (`Context::csv_turns`), the CSV written on a blocking thread, off the server's workers. A
/// download of the whole list holds its rows and their CSV while it is made: 32 made at once
/// took a server from 51 to 153 MB with 20,000 sites listed (BENCHMARKS.md §7), some 3 MB
/// each, and five times that at [`MAX_DOWNLOAD_ROWS`]. The others wait their turn, 30 s at most.
pub async fn csv(ctx: &Context, search: &Search) -> Result<Vec<u8>, ServiceError> {
    let turn = ctx.csv_turns.take(CSV_TURN_WAIT).await.ok_or(ServiceError::TooMany("名录下载请求过多，请稍后再试"))?;
    let (sites, _) = badges::public_list(&ctx.pool, &search.filter(), MAX_DOWNLOAD_ROWS, 0).await?;
    let written = turn.run_blocking(move || render_csv(&sites));
    written.await.map_err(|e| ServiceError::Internal(anyhow::anyhow!("writing the list's CSV: {e}")))
}

fn render_csv(sites: &[PublicSite]) -> Vec<u8> {
    let china = crate::domain::calendar::china_offset();
    let rows: Vec<Vec<String>> = sites
        .iter()
        .map(|s| {
            vec![
                s.code.clone(),
                s.site_name.clone(),
                s.unit_name.clone(),
                s.category.clone(),
                format!("{}（{}）", region_name(&s.region), s.region),
                s.domain_cn.clone(),
                s.domain_en.clone(),
                s.issued_at.with_timezone(&china).date_naive().to_string(),
                if s.status == "active" { "有效" } else { "暂停" }.to_owned(),
            ]
        })
        .collect();
    crate::report::csv::render(&CSV_COLUMNS, &rows)
}
