//! The rows of the reports, from a sweep's stored results: one per site, one per page, and the
//! summary by region and status. Each column has an English key (for machine use) and a Chinese
//! header.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::SqlitePool;

use crate::check::footer::Footer;
use crate::domain::badge::BadgeStatus;
use crate::domain::calendar::china_offset;
use crate::domain::site_status::{site_status, SiteStatus};
use crate::store::sweeps::{self, Sweep};

pub const SITE_COLUMNS: [(&str, &str); 23] = [
    ("code", "标识代码"),
    ("unit", "开办主体"),
    ("region", "行政区划代码"),
    ("region_name", "行政区划"),
    ("category", "系统类别"),
    ("site_name", "网站名称"),
    ("domains", "域名"),
    ("status", "状态"),
    ("deadline", "挂标期限"),
    ("pages", "检查页面数"),
    ("compliant", "合规页面数"),
    ("missing", "未挂标"),
    ("wrong_code", "标识代码不符"),
    ("after_body", "位于</body>之后"),
    ("in_head", "位于<head>内"),
    ("commented_out", "被注释"),
    ("hidden", "被隐藏"),
    ("first_failing_url", "首个不合规页面"),
    ("first_failing_verdict", "不合规原因"),
    ("icp", "ICP备案号"),
    ("police", "公安备案号"),
    ("site_id_code", "网站标识码"),
    ("checked_at", "检查时间"),
];

pub const PAGE_COLUMNS: [(&str, &str); 8] = [
    ("code", "标识代码"),
    ("url", "网址"),
    ("http_status", "HTTP状态"),
    ("outcome", "访问结果"),
    ("verdict", "判定"),
    ("warnings", "提示"),
    ("title", "页面标题"),
    ("encoding", "编码"),
];

pub const SUMMARY_COLUMNS: [(&str, &str); 10] = [
    ("region", "行政区划代码"),
    ("region_name", "行政区划"),
    ("sites", "站点数"),
    ("compliant", "已合规"),
    ("pending", "待挂标"),
    ("overdue", "逾期未挂标"),
    ("unreachable", "无法访问"),
    ("suspended", "已暂停"),
    ("revoked", "已撤销"),
    ("compliance_rate", "合规率"),
];

const STATUSES: [SiteStatus; 6] = [
    SiteStatus::Compliant,
    SiteStatus::Pending,
    SiteStatus::Overdue,
    SiteStatus::Unreachable,
    SiteStatus::Suspended,
    SiteStatus::Revoked,
];

/// Region names of the codes the service knows (data/regions.tsv).
pub fn region_name(code: &str) -> &'static str {
    const TABLE: &str = include_str!("../../data/regions.tsv");
    TABLE.lines().find_map(|l| l.split_once('\t').filter(|(c, _)| *c == code).map(|(_, n)| n)).unwrap_or("")
}

/// Everything the reports show, as text cells.
#[derive(Debug, Default)]
pub struct ReportData {
    pub sites: Vec<Vec<String>>,
    /// The status of each site row (for colouring), parallel to `sites`.
    pub site_statuses: Vec<SiteStatus>,
    pub pages: Vec<Vec<String>>,
    pub summary: Vec<Vec<String>>,
}

pub async fn load(pool: &SqlitePool, sweep: &Sweep, today: NaiveDate) -> anyhow::Result<ReportData> {
    let mut data = ReportData::default();
    let mut by_region: BTreeMap<String, [usize; 6]> = BTreeMap::new();
    for site in sweeps::sites(pool, &sweep.scope).await? {
        let result = sweeps::site_result(pool, sweep.id, &site.code).await?;
        let badge = BadgeStatus::parse(&site.status).unwrap_or(BadgeStatus::Active);
        let status = site_status(badge, result.as_ref().map(|r| r.site_verdict.as_str()), site.install_due, today);
        let verdicts: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT verdict, COUNT(*) FROM sweep_pages WHERE sweep_id = ? AND badge_code = ? AND verdict IS NOT NULL GROUP BY verdict",
        )
        .bind(sweep.id)
        .bind(&site.code)
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect();
        let footer: Footer = sqlx::query_scalar::<_, String>(
            "SELECT footer FROM sweep_pages WHERE sweep_id = ? AND badge_code = ? AND footer IS NOT NULL ORDER BY id LIMIT 1",
        )
        .bind(sweep.id)
        .bind(&site.code)
        .fetch_optional(pool)
        .await?
        .and_then(|f| serde_json::from_str(&f).ok())
        .unwrap_or_default();
        let count = |v: &str| verdicts.get(v).copied().unwrap_or(0).to_string();
        let domains = [site.domain_cn.as_str(), site.domain_en.as_str()]
            .iter()
            .filter(|d| !d.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let region_key = site.region.clone();
        data.sites.push(vec![
            site.code.clone(),
            site.unit_name.clone(),
            site.region.clone(),
            region_name(&site.region).to_owned(),
            site.category.clone(),
            site.site_name.clone(),
            domains,
            status.label().to_owned(),
            site.install_due.to_string(),
            result.as_ref().map(|r| r.pages.to_string()).unwrap_or_default(),
            result.as_ref().map(|r| r.compliant.to_string()).unwrap_or_default(),
            count("missing"),
            count("wrong_code"),
            count("after_body"),
            count("in_head"),
            count("commented_out"),
            count("hidden"),
            result.as_ref().and_then(|r| r.first_failing_url.clone()).unwrap_or_default(),
            result
                .as_ref()
                .and_then(|r| r.first_failing_verdict.as_deref())
                .and_then(crate::check::Verdict::parse)
                .map(crate::check_cli::verdict_label)
                .unwrap_or_default()
                .to_owned(),
            footer.icp.unwrap_or_default(),
            footer.police.unwrap_or_default(),
            footer.site_id_code.unwrap_or_default(),
            result
                .as_ref()
                .map(|r| r.checked_at.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
        ]);
        data.site_statuses.push(status);
        let counts = by_region.entry(region_key).or_default();
        counts[STATUSES.iter().position(|s| *s == status).unwrap_or(0)] += 1;
        for p in sweeps::pages(pool, sweep.id, &site.code).await? {
            data.pages.push(vec![
                site.code.clone(),
                p.url,
                p.http_status.map(|s| s.to_string()).unwrap_or_default(),
                p.outcome,
                p.verdict.unwrap_or_default(),
                p.warnings,
                p.title.unwrap_or_default(),
                p.encoding.unwrap_or_default(),
            ]);
        }
    }
    for (region, counts) in by_region {
        let total: usize = counts.iter().sum();
        let rate = if total == 0 { 0.0 } else { counts[0] as f64 * 100.0 / total as f64 };
        let mut row = vec![region.clone(), region_name(&region).to_owned(), total.to_string()];
        row.extend(counts.iter().map(|c| c.to_string()));
        row.push(format!("{rate:.1}%"));
        data.summary.push(row);
    }
    Ok(data)
}
