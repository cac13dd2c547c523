//! `index.html`: the self-contained report of a sweep (styles, charts and the table search are
//! inline; nothing is fetched), for supervisors to open from disk or show in a meeting.

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;
use serde_json::json;

use super::charts;
use super::figures::{worst_offenders, Figures, PageView, SiteView};
use super::rows::{by_region, region_name, RegionCounts, SiteLine};
use super::ReportError;
use crate::store::sweeps::{PageRow, Sweep, TrendPoint};

/// Failing pages listed per site, and in all, in the HTML report; the CSV and XLSX files have
/// every page.
pub const FAILING_PER_SITE: usize = 50;
/// Failing pages listed in the HTML report at most; the CSV lists all.
pub const FAILING_IN_ALL: usize = 10_000;

/// The pages that failed (not compliant, or not fetched), per site, as many as the HTML
/// report lists, and how many more there are.
#[derive(Debug, Default)]
pub struct FailingPages {
    by_site: BTreeMap<String, (Vec<PageView>, usize)>,
    listed: usize,
}

impl FailingPages {
    /// Counts a page of site `code`, keeping it when it fails and the list has room.
    pub fn add(&mut self, code: &str, page: &PageRow) {
        if page.verdict.as_deref() == Some("compliant") {
            return;
        }
        let (listed, more) = self.by_site.entry(code.to_owned()).or_default();
        if listed.len() < FAILING_PER_SITE && self.listed < FAILING_IN_ALL {
            listed.push(PageView::from(page));
            self.listed += 1;
        } else {
            *more += 1;
        }
    }
}

/// An unregistered host seen showing a badge of the scope.
#[derive(Debug, Clone, Serialize)]
pub struct CounterfeitSighting {
    /// The badge code seen.
    pub code: String,
    /// The unregistered host that carried it.
    pub host: String,
    /// When it was first seen (China time).
    pub first_seen: String,
}

/// What the report shows beside the site lines.
pub struct HtmlInput<'a> {
    /// The sweep reported.
    pub sweep: &'a Sweep,
    /// Its sites with their results.
    pub lines: &'a [SiteLine],
    /// The failing pages listed.
    pub failing: &'a FailingPages,
    /// The compliance rate of earlier sweeps.
    pub trend: &'a [TrendPoint],
    /// Badges seen on hosts they are not registered for.
    pub sightings: &'a [CounterfeitSighting],
}

/// The scope a report speaks for: the sweep's own, or, for a sweep of every site, the narrowest
/// province or city that holds all the sites it found (a city's server swept "all" of its own).
pub fn covered_scope(scope: &str, lines: &[SiteLine]) -> String {
    if !scope.is_empty() || lines.is_empty() {
        return scope.to_owned();
    }
    for len in [4, 2] {
        let first = &lines[0].site.region;
        if first.len() >= len && lines.iter().all(|l| l.site.region.get(..len) == first.get(..len)) {
            return first[..len].to_owned();
        }
    }
    String::new()
}

/// The heading of a scope: its region's name, or 全国 for all.
pub fn scope_label(scope: &str) -> String {
    if scope.is_empty() {
        return "全国".to_owned();
    }
    let code = format!("{scope:0<6}");
    match region_name(&code) {
        "" => format!("行政区划 {scope}"),
        name => name.to_owned(),
    }
}

/// The report's templates: `index.html` and the parts the web dashboard shares with it
/// (`figures.html`). The web layer builds its environment on this one, so both show the same
/// figures from one template.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source).expect("embedded report templates compile");
    }
    env
}

const TEMPLATES: &[(&str, &str)] =
    &[("index.html", include_str!("templates/index.html")), ("figures.html", include_str!("templates/figures.html"))];

/// Renders the self-contained HTML report (inline CSS and SVG charts).
pub fn render(input: &HtmlInput<'_>) -> Result<String, ReportError> {
    let env = environment();
    let (regions, all): (Vec<RegionCounts>, RegionCounts) = by_region(input.lines);
    let sites: Vec<serde_json::Value> = input
        .lines
        .iter()
        .map(|line| {
            let (pages, more) =
                input.failing.by_site.get(&line.site.code).map(|(p, m)| (p.as_slice(), *m)).unwrap_or_default();
            json!({ "site": SiteView::from(line), "pages": pages, "more_pages": more })
        })
        .collect();
    let offenders: Vec<SiteView> = worst_offenders(input.lines, 10).into_iter().map(SiteView::from).collect();
    let region_rows: Vec<serde_json::Value> = regions
        .iter()
        .map(|r| {
            json!({
                "region": r.region, "name": region_name(&r.region), "total": r.total(),
                "counts": r.counts, "rate": r.rate_text(),
            })
        })
        .collect();
    let html = env.get_template("index.html")?.render(json!({
        "title": format!("{}党政机关网站标识巡检报告", scope_label(&covered_scope(&input.sweep.scope, input.lines))),
        "sweep_id": input.sweep.id,
        "started_at": super::rows::china_time(input.sweep.started_at),
        "finished_at": input.sweep.finished_at.map(super::rows::china_time),
        "figures": Figures::of(&all, input.lines),
        "region_chart": charts::region_bars(&regions),
        "status_chart": charts::status_breakdown(&all),
        "trend_chart": charts::trend(input.trend),
        "regions": region_rows,
        "statuses": super::rows::STATUSES.map(super::super::domain::site_status::SiteStatus::label),
        "offenders": offenders,
        "sightings": input.sightings,
        "sites": sites,
        "pages_per_site": FAILING_PER_SITE,
    }))?;
    Ok(html)
}
