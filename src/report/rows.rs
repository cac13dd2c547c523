//! The rows of the reports, from a sweep's stored results: one per site, one per page, and the
//! summary by region and status. Each column has an English key (for machine use) and a Chinese
//! header.

use std::collections::BTreeMap;

use crate::store::Pool;
use chrono::NaiveDate;

use super::ReportError;
use crate::check::footer::Footer;
use crate::domain::calendar::china_offset;
use crate::domain::site_status::{site_status, SiteStatus};
use crate::store::sweeps::{self, LatestResult, PageRow, SiteRow};

/// The sites file's columns: key and Chinese heading.
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

/// The pages file's columns: key and Chinese heading.
pub const PAGE_COLUMNS: [(&str, &str); 9] = [
    ("code", "标识代码"),
    ("url", "网址"),
    ("http_status", "HTTP状态"),
    ("outcome", "访问结果"),
    ("verdict", "判定"),
    ("rendered", "渲染检查"),
    ("warnings", "提示"),
    ("title", "页面标题"),
    ("encoding", "编码"),
];

/// The summary's columns (one row per region): key and Chinese heading.
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

/// The statuses in the order the summary and charts show them.
pub const STATUSES: [SiteStatus; 6] = [
    SiteStatus::Compliant,
    SiteStatus::Pending,
    SiteStatus::Overdue,
    SiteStatus::Unreachable,
    SiteStatus::Suspended,
    SiteStatus::Revoked,
];

/// Region names of the codes the service knows (data/regions.tsv).
pub use crate::domain::region::region_name;

/// Where a report takes each site's result from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultSource {
    /// The results of one sweep (a stored report, reproducible).
    Sweep(i64),
    /// Each site's latest result from any run (the live dashboard).
    Latest,
}

/// One badged site with its result and status, before it becomes cells or a chart.
#[derive(Debug, Clone)]
pub struct SiteLine {
    /// The site's registration.
    pub site: SiteRow,
    /// Its status on the report's day.
    pub status: SiteStatus,
    /// Its latest (or the report's sweep's) result.
    pub result: Option<LatestResult>,
    /// Pages per verdict in the result's run.
    pub verdicts: BTreeMap<String, i64>,
    /// Footer items found on its start page.
    pub footer: Footer,
}

impl SiteLine {
    /// The Chinese and English domains, space separated.
    pub fn domains(&self) -> String {
        [self.site.domain_cn.as_str(), self.site.domain_en.as_str()]
            .iter()
            .filter(|d| !d.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The Chinese label of the first failing page's verdict ("" when none failed).
    pub fn failing_label(&self) -> &'static str {
        self.result
            .as_ref()
            .and_then(|r| r.first_failing_verdict.as_deref())
            .and_then(crate::check::Verdict::parse)
            .map(crate::check::Verdict::label)
            .unwrap_or_default()
    }

    /// Pages that do not carry the badge properly (checked pages minus compliant ones).
    pub fn failing_pages(&self) -> i64 {
        self.result.as_ref().map_or(0, |r| r.pages - r.compliant)
    }
}

/// Which sites a report covers within its scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SiteFilter {
    /// A region code prefix inside the scope ("" for the whole scope).
    pub region: String,
    /// Only sites of this status.
    pub status: Option<SiteStatus>,
    /// Only sites of this category.
    pub category: Option<String>,
}

impl SiteFilter {
    /// Whether `line` passes the filter.
    pub fn accepts(&self, line: &SiteLine) -> bool {
        line.site.region.starts_with(&self.region)
            && self.status.is_none_or(|s| s == line.status)
            && self.category.as_ref().is_none_or(|c| *c == line.site.category)
    }
}

/// The sites of `scope` (a region code prefix) with their results and statuses as of `today`.
pub async fn site_lines(
    pool: &Pool,
    scope: &str,
    source: ResultSource,
    today: NaiveDate,
) -> Result<Vec<SiteLine>, ReportError> {
    // Two queries for the whole list: the sites, and their results with the counts and
    // footer kept beside them (older results without those are read page by page).
    let mut results = match source {
        ResultSource::Sweep(id) => sweeps::results_of(pool, id).await?,
        ResultSource::Latest => sweeps::latest_results_in(pool, scope).await?,
    };
    let mut lines = Vec::new();
    for site in sweeps::sites(pool, scope).await? {
        let result = results.remove(&site.code);
        lines.push(line(pool, site, result, today).await?);
    }
    Ok(lines)
}

/// One site with its result and status as of `today`.
pub async fn site_line(
    pool: &Pool,
    site: SiteRow,
    source: ResultSource,
    today: NaiveDate,
) -> Result<SiteLine, ReportError> {
    let result = match source {
        ResultSource::Sweep(id) => sweeps::site_result(pool, id, &site.code).await?,
        ResultSource::Latest => sweeps::latest_result(pool, &site.code).await?,
    };
    line(pool, site, result, today).await
}

/// A site with its result (or none) and its status as of `today`.
pub async fn line(
    pool: &Pool,
    site: SiteRow,
    result: Option<LatestResult>,
    today: NaiveDate,
) -> Result<SiteLine, ReportError> {
    let badge = site.status;
    let status = site_status(badge, result.as_ref().map(|r| r.site_verdict), site.install_due, today);
    let (verdicts, footer) = match &result {
        Some(r) => {
            let verdicts = match r.verdict_counts.as_deref().and_then(|c| serde_json::from_str(c).ok()) {
                Some(counts) => counts,
                None => sweeps::verdict_counts(pool, r.sweep_id, &site.code).await?.into_iter().collect(),
            };
            let footer = match (&r.footer, r.verdict_counts.is_some()) {
                (Some(f), _) => serde_json::from_str(f).unwrap_or_default(),
                (None, true) => Footer::default(),
                (None, false) => sweeps::first_footer(pool, r.sweep_id, &site.code)
                    .await?
                    .and_then(|f| serde_json::from_str(&f).ok())
                    .unwrap_or_default(),
            };
            (verdicts, footer)
        }
        None => (BTreeMap::new(), Footer::default()),
    };
    Ok(SiteLine { site, status, result, verdicts, footer })
}

/// The `sites.csv` cells of a site.
pub fn site_cells(line: &SiteLine) -> Vec<String> {
    let count = |v: &str| line.verdicts.get(v).copied().unwrap_or(0).to_string();
    let result = line.result.as_ref();
    let site = &line.site;
    vec![
        site.code.clone(),
        site.unit_name.clone(),
        site.region.clone(),
        region_name(&site.region).to_owned(),
        site.category.clone(),
        site.site_name.clone(),
        line.domains(),
        line.status.label().to_owned(),
        site.install_due.to_string(),
        result.map(|r| r.pages.to_string()).unwrap_or_default(),
        result.map(|r| r.compliant.to_string()).unwrap_or_default(),
        count("missing"),
        count("wrong_code"),
        count("after_body"),
        count("in_head"),
        count("commented_out"),
        count("hidden"),
        result.and_then(|r| r.first_failing_url.clone()).unwrap_or_default(),
        line.failing_label().to_owned(),
        line.footer.icp.clone().unwrap_or_default(),
        line.footer.police.clone().unwrap_or_default(),
        line.footer.site_id_code.clone().unwrap_or_default(),
        result.map(|r| china_time(r.checked_at)).unwrap_or_default(),
    ]
}

/// A time as supervisors read it: China time to the minute.
pub fn china_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string()
}

/// The sites of one region by status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCounts {
    /// The region code ("" for the total).
    pub region: String,
    /// Parallel to [`STATUSES`].
    pub counts: [usize; 6],
}

impl RegionCounts {
    /// All the region's sites.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The region's sites of `status`.
    pub fn count(&self, status: SiteStatus) -> usize {
        self.counts[status_index(status)]
    }

    /// The sites whose compliance is decided: in force and not pending (a site within its
    /// grace period that has no badge yet is not a failure).
    pub fn decided(&self) -> usize {
        self.total()
            - self.count(SiteStatus::Suspended)
            - self.count(SiteStatus::Revoked)
            - self.count(SiteStatus::Pending)
    }

    /// Compliant sites as a share of the decided ones (percent); `None` when none is decided
    /// yet (every site is still within its grace period).
    pub fn rate(&self) -> Option<f64> {
        let decided = self.decided();
        (decided > 0).then(|| self.count(SiteStatus::Compliant) as f64 * 100.0 / decided as f64)
    }

    /// The rate as printed: `62.5%`, or `—` while nothing is decided.
    pub fn rate_text(&self) -> String {
        self.rate().map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"))
    }
}

fn status_index(status: SiteStatus) -> usize {
    STATUSES.iter().position(|s| *s == status).unwrap_or(0)
}

/// Counts by region (in code order) and their total (under region ""), from the counts the
/// database made (`store::oversight::counts`).
pub fn by_region_counted(counts: &[crate::store::oversight::StatusCount]) -> (Vec<RegionCounts>, RegionCounts) {
    let mut map: BTreeMap<&str, [usize; 6]> = BTreeMap::new();
    let mut all = [0; 6];
    for count in counts {
        let Some(status) = SiteStatus::parse(&count.site_status) else { continue };
        let sites = usize::try_from(count.sites).unwrap_or(0);
        map.entry(count.region.as_str()).or_default()[status_index(status)] += sites;
        all[status_index(status)] += sites;
    }
    let regions = map.into_iter().map(|(r, counts)| RegionCounts { region: r.to_owned(), counts }).collect();
    (regions, RegionCounts { region: String::new(), counts: all })
}

/// Counts by region (in code order), and the total over all of them last under region "".
pub fn by_region(lines: &[SiteLine]) -> (Vec<RegionCounts>, RegionCounts) {
    let mut map: BTreeMap<&str, [usize; 6]> = BTreeMap::new();
    let mut all = [0; 6];
    for line in lines {
        map.entry(line.site.region.as_str()).or_default()[status_index(line.status)] += 1;
        all[status_index(line.status)] += 1;
    }
    let regions = map.into_iter().map(|(r, counts)| RegionCounts { region: r.to_owned(), counts }).collect();
    (regions, RegionCounts { region: String::new(), counts: all })
}

/// The site-level cells of the CSV and XLSX files (pages are streamed: [`for_each_page`]).
#[derive(Debug, Default)]
pub struct ReportData {
    /// One row of cells per site.
    pub sites: Vec<Vec<String>>,
    /// The status of each site row (for colouring), parallel to `sites`.
    pub site_statuses: Vec<SiteStatus>,
    /// One row of cells per region, then the total.
    pub summary: Vec<Vec<String>>,
}

/// A page's fetch outcome as supervisors read it.
pub fn outcome_label(outcome: &str) -> &str {
    match outcome {
        "ok" => "正常",
        other => crate::crawl::fetch::Failure::parse(other).map_or(other, |f| f.label()),
    }
}

/// A page's verdict as supervisors read it.
pub fn verdict_text(verdict: Option<&str>) -> &str {
    match verdict {
        Some(v) => crate::check::Verdict::parse(v).map_or(v, |v| v.label()),
        None => "",
    }
}

/// A page's warnings (comma-separated keys) as supervisors read them.
pub fn warnings_text(warnings: &str) -> String {
    warnings
        .split(',')
        .filter(|w| !w.is_empty())
        .map(|w| crate::check::Warning::parse(w).map_or(w, |w| w.label()))
        .collect::<Vec<_>>()
        .join("；")
}

impl ReportData {
    /// The cells of `lines` and the summary by region.
    pub fn build(lines: &[SiteLine]) -> ReportData {
        let mut data = ReportData::default();
        for line in lines {
            data.sites.push(site_cells(line));
            data.site_statuses.push(line.status);
        }
        for counts in by_region(lines).0 {
            let mut row =
                vec![counts.region.clone(), region_name(&counts.region).to_owned(), counts.total().to_string()];
            row.extend(counts.counts.iter().map(std::string::ToString::to_string));
            row.push(counts.rate_text());
            data.summary.push(row);
        }
        data
    }
}

/// The `pages.csv` cells of a page of the site `code`.
pub fn page_cells(code: &str, p: &PageRow) -> Vec<String> {
    vec![
        code.to_owned(),
        p.url.clone(),
        p.http_status.map(|s| s.to_string()).unwrap_or_default(),
        outcome_label(&p.outcome).to_owned(),
        verdict_text(p.verdict.as_deref()).to_owned(),
        super::figures::rendered_text(p).unwrap_or_default(),
        warnings_text(&p.warnings),
        p.title.clone().unwrap_or_default(),
        p.encoding.clone().unwrap_or_default(),
    ]
}

/// The stored pages of the results of `lines`, a site at a time, holding two sites' pages in
/// memory at most: the next site's are read (by the database's own thread, or the server)
/// while the caller has this site's. Dropped early, it aborts a read still under way.
pub struct SitePages<'a> {
    pool: &'a Pool,
    /// The sites with a result, and the run each result is of.
    sites: Vec<(&'a SiteLine, i64)>,
    /// The next site to hand out.
    at: usize,
    reading: tokio::task::JoinSet<Result<Vec<PageRow>, ReportError>>,
}

impl<'a> SitePages<'a> {
    /// Starts reading the first site's pages.
    pub fn new(pool: &'a Pool, lines: &'a [SiteLine]) -> Self {
        let sites = lines.iter().filter_map(|line| Some((line, line.result.as_ref()?.sweep_id))).collect();
        let mut pages = Self { pool, sites, at: 0, reading: tokio::task::JoinSet::new() };
        pages.read(0);
        pages
    }

    fn read(&mut self, at: usize) {
        if let Some(&(line, sweep_id)) = self.sites.get(at) {
            let (pool, code) = (self.pool.clone(), line.site.code.clone());
            self.reading.spawn(async move { Ok(sweeps::pages(&pool, sweep_id, &code).await?) });
        }
    }

    /// The next site and its pages, in the order of `lines`; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<(&'a SiteLine, Vec<PageRow>)>, ReportError> {
        let Some(&(line, _)) = self.sites.get(self.at) else { return Ok(None) };
        let read = self.reading.join_next().await.expect("a read is started for every site before it is reached");
        let pages = super::joined(read, "reading a site's pages");
        // After a failed read there is nothing more to hand out.
        self.at = if pages.is_ok() { self.at + 1 } else { self.sites.len() };
        self.read(self.at);
        Ok(Some((line, pages?)))
    }
}

/// Calls `each` with every stored page of the results of `lines`, site by site, as
/// [`SitePages`] reads them.
pub async fn for_each_page(
    pool: &Pool,
    lines: &[SiteLine],
    mut each: impl FnMut(&SiteLine, &PageRow) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let mut sites = SitePages::new(pool, lines);
    while let Some((line, pages)) = sites.next().await? {
        for page in &pages {
            each(line, page)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_leaves_out_sites_within_their_grace_period() {
        // Compliant, pending, overdue, unreachable, suspended, revoked.
        let all_pending = RegionCounts { region: "410922".into(), counts: [0, 3, 0, 0, 0, 0] };
        assert_eq!(all_pending.rate(), None);
        assert_eq!(all_pending.rate_text(), "—", "not 0.0% while every site is still within its deadline");
        let mixed = RegionCounts { region: "410922".into(), counts: [1, 5, 2, 1, 1, 0] };
        assert_eq!(mixed.decided(), 4);
        assert_eq!(mixed.rate_text(), "25.0%");
    }
}
