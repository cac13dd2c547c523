//! The figures a report and the dashboard open with, and the worst offenders: computed from the
//! site lines, shown as they are by both.

use serde::Serialize;

use super::rows::{outcome_label, region_name, verdict_text, warnings_text, RegionCounts, SiteLine};
use crate::domain::site_status::SiteStatus;
use crate::store::sweeps::PageRow;

/// The headline figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Sites with a badge in the scope.
    pub sites: usize,
    /// Sites whose badge is in force (not suspended or revoked).
    pub in_force: usize,
    /// Sites whose every checked page is compliant.
    pub compliant: usize,
    /// Sites still within their install period and not yet compliant.
    pub pending: usize,
    /// Sites past their install deadline and not compliant.
    pub overdue: usize,
    /// Sites none of whose pages could be fetched.
    pub unreachable: usize,
    /// Compliant sites as a share of those decided (in force, not pending), e.g. "62.5%", or
    /// "—" while every site is within its grace period.
    pub rate: String,
    /// Pages fetched and checked (each has a verdict; pages.csv lists them and the URLs below).
    pub pages: i64,
    /// URLs that could not be checked (timeouts, errors, robots.txt …), listed in pages.csv too.
    pub unchecked_urls: i64,
    /// Checked pages that were not compliant.
    pub failing_pages: i64,
}

impl Figures {
    /// The figures of a scope: `all` counts its sites by status, `lines` carries their results.
    pub fn of(all: &RegionCounts, lines: &[SiteLine]) -> Figures {
        let results = || lines.iter().filter_map(|l| l.result.as_ref());
        Figures::counted(
            all,
            results().map(|r| r.pages).sum(),
            results().map(|r| r.urls - r.pages).sum(),
            lines.iter().map(SiteLine::failing_pages).sum(),
        )
    }

    /// The figures of a scope from its counts by status and its page totals.
    pub fn counted(all: &RegionCounts, pages: i64, unchecked_urls: i64, failing_pages: i64) -> Figures {
        Figures {
            sites: all.total(),
            in_force: all.total() - all.count(SiteStatus::Suspended) - all.count(SiteStatus::Revoked),
            compliant: all.count(SiteStatus::Compliant),
            pending: all.count(SiteStatus::Pending),
            overdue: all.count(SiteStatus::Overdue),
            unreachable: all.count(SiteStatus::Unreachable),
            rate: all.rate_text(),
            pages,
            unchecked_urls,
            failing_pages,
        }
    }
}

/// A site as the tables of reports and the dashboard show it.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    /// The badge code.
    pub code: String,
    /// The unit's name.
    pub unit: String,
    /// The region code.
    pub region: String,
    /// The region's name.
    pub region_name: &'static str,
    /// The unit's category.
    pub category: String,
    /// The website's name.
    pub site_name: String,
    /// The site's domains, space separated.
    pub domains: String,
    /// The site's status (`compliant`, `overdue` …).
    pub status: &'static str,
    /// The status in Chinese.
    pub status_label: &'static str,
    /// The install deadline.
    pub deadline: String,
    /// Pages checked in the latest run.
    pub pages: Option<i64>,
    /// Compliant pages in the latest run.
    pub compliant: Option<i64>,
    /// The first page that failed.
    pub first_failing_url: Option<String>,
    /// Its verdict in Chinese.
    pub failing_label: &'static str,
    /// When the site was last checked (China time).
    pub checked_at: Option<String>,
}

impl From<&SiteLine> for SiteView {
    fn from(line: &SiteLine) -> Self {
        let result = line.result.as_ref();
        SiteView {
            code: line.site.code.clone(),
            unit: line.site.unit_name.clone(),
            region: line.site.region.clone(),
            region_name: region_name(&line.site.region),
            category: line.site.category.clone(),
            site_name: line.site.site_name.clone(),
            domains: line.domains(),
            status: line.status.as_str(),
            status_label: line.status.label(),
            deadline: line.site.install_due.to_string(),
            pages: result.map(|r| r.pages),
            compliant: result.map(|r| r.compliant),
            first_failing_url: result.and_then(|r| r.first_failing_url.clone()),
            failing_label: line.failing_label(),
            checked_at: result.map(|r| super::rows::china_time(r.checked_at)),
        }
    }
}

/// The sites most in need of action: overdue first (the longest overdue first), then
/// unreachable, then pending sites with failing pages; at most `n`.
pub fn worst_offenders(lines: &[SiteLine], n: usize) -> Vec<&SiteLine> {
    let rank = |s: SiteStatus| match s {
        SiteStatus::Overdue => 0,
        SiteStatus::Unreachable => 1,
        _ => 2,
    };
    let mut bad: Vec<&SiteLine> = lines
        .iter()
        .filter(|l| match l.status {
            SiteStatus::Overdue | SiteStatus::Unreachable => true,
            SiteStatus::Pending => l.failing_pages() > 0,
            _ => false,
        })
        .collect();
    bad.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.site.install_due.cmp(&b.site.install_due))
            .then(b.failing_pages().cmp(&a.failing_pages()))
            .then(a.site.code.cmp(&b.site.code))
    });
    bad.truncate(n);
    bad
}

/// A checked page as the tables show it: labels in Chinese, the verdict key kept for styling.
#[derive(Debug, Clone, Serialize)]
pub struct PageView {
    /// The URL.
    pub url: String,
    /// The HTTP status.
    pub http_status: Option<i64>,
    /// Checked or the failure.
    pub outcome: String,
    /// The verdict, when checked.
    pub verdict: Option<String>,
    /// The verdict (or failure) in Chinese.
    pub verdict_label: String,
    /// The warnings, comma separated.
    pub warnings: String,
    /// The page's title.
    pub title: Option<String>,
    /// The page's character encoding.
    pub encoding: Option<String>,
    /// Whether the page complies (static and rendered checks together).
    pub compliant: bool,
    /// The rendered check's verdict in Chinese, when the page was rendered; "标识由脚本写入"
    /// is added where a script wrote the badge.
    pub rendered_label: Option<String>,
    /// The screenshot of the page's bottom, when one was kept.
    pub screenshot_id: Option<i64>,
}

impl From<&PageRow> for PageView {
    fn from(p: &PageRow) -> Self {
        PageView {
            url: p.url.clone(),
            http_status: p.http_status,
            outcome: outcome_label(&p.outcome).to_owned(),
            verdict: p.verdict.clone(),
            verdict_label: verdict_text(p.verdict.as_deref()).to_owned(),
            warnings: warnings_text(&p.warnings),
            title: p.title.clone(),
            encoding: p.encoding.clone(),
            compliant: p.compliant(),
            rendered_label: rendered_text(p),
            screenshot_id: p.screenshot_id,
        }
    }
}

/// The rendered verdict in Chinese, and whether a script wrote the badge.
pub fn rendered_text(p: &PageRow) -> Option<String> {
    let verdict = crate::render::RenderVerdict::parse(p.rendered.as_deref()?)?;
    Some(if p.script_inserted() {
        format!("{}（标识由脚本写入）", verdict.label())
    } else {
        verdict.label().to_owned()
    })
}
