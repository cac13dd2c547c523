//! `index.html`: the self-contained report of a sweep (styles, charts and the table search are
//! inline; nothing is fetched), for supervisors to open from disk or show in a meeting.

use std::collections::HashSet;
use std::io::{Read, Write};

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

/// The failing pages (not compliant, or not fetched) of a report, rendered site by site into
/// `out` as the pages stream past: at most [`FAILING_PER_SITE`] per site and
/// [`FAILING_IN_ALL`] in all, the rest counted. Only the site being read is held in memory, so
/// a report's memory does not grow with the pages that failed.
pub struct FailingSections<W: Write> {
    out: W,
    env: Environment<'static>,
    /// The site being read: its code, its view, its listed pages, how many more.
    current: Option<(String, SiteView, Vec<PageView>, usize)>,
    listed: usize,
    /// The sites that have a section (the site table links to them).
    sections: HashSet<String>,
}

impl<W: Write> FailingSections<W> {
    /// Sections written to `out`.
    pub fn new(out: W) -> Self {
        Self { out, env: environment(), current: None, listed: 0, sections: HashSet::new() }
    }

    /// Counts a page of `line`'s site, listing it when it fails and the lists have room. The
    /// pages of a site come together.
    pub fn add(&mut self, line: &SiteLine, page: &PageRow) -> Result<(), ReportError> {
        if self.current.as_ref().is_none_or(|(code, ..)| *code != line.site.code) {
            self.write_current()?;
            self.current = Some((line.site.code.clone(), SiteView::from(line), Vec::new(), 0));
        }
        if page.compliant() {
            return Ok(());
        }
        let Some((_, _, pages, more)) = &mut self.current else { return Ok(()) };
        if pages.len() < FAILING_PER_SITE && self.listed < FAILING_IN_ALL {
            pages.push(PageView::from(page));
            self.listed += 1;
        } else {
            *more += 1;
        }
        Ok(())
    }

    fn write_current(&mut self) -> Result<(), ReportError> {
        if let Some((code, site, pages, more)) = self.current.take() {
            if !pages.is_empty() {
                let context = json!({ "s": site, "pages": pages, "more_pages": more });
                let section = self.env.get_template("failing_site.html")?.render(context)?;
                self.out.write_all(section.as_bytes())?;
                self.sections.insert(code);
            }
        }
        Ok(())
    }

    /// Writes the last site's section; returns the output and the codes of the sites with one.
    pub fn finish(mut self) -> Result<(W, HashSet<String>), ReportError> {
        self.write_current()?;
        Ok((self.out, self.sections))
    }
}

/// Where `index.html` takes the failing-page sections (a comment no escaped value can form).
const SECTIONS_MARK: &str = "<!--govbadge:failing-sections-->";

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
    /// The sites whose failing pages have a section ([`FailingSections::finish`]).
    pub sections: &'a HashSet<String>,
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

const TEMPLATES: &[(&str, &str)] = &[
    ("index.html", include_str!("templates/index.html")),
    ("figures.html", include_str!("templates/figures.html")),
    ("failing_site.html", include_str!("templates/failing_site.html")),
];

/// Writes the self-contained HTML report (inline CSS and SVG charts) to `out`, copying the
/// failing-page sections written by [`FailingSections`] from `sections` into their place.
pub fn write(input: &HtmlInput<'_>, sections: &mut impl Read, out: &mut impl Write) -> Result<(), ReportError> {
    let page = render(input)?;
    let (head, tail) = page.split_once(SECTIONS_MARK).unwrap_or((page.as_str(), ""));
    out.write_all(head.as_bytes())?;
    std::io::copy(sections, out)?;
    out.write_all(tail.as_bytes())?;
    Ok(())
}

/// The report without its failing-page sections (a mark in their place).
fn render(input: &HtmlInput<'_>) -> Result<String, ReportError> {
    let env = environment();
    let (regions, all): (Vec<RegionCounts>, RegionCounts) = by_region(input.lines);
    let sites: Vec<serde_json::Value> = input
        .lines
        .iter()
        .map(|line| json!({ "site": SiteView::from(line), "listed": input.sections.contains(&line.site.code) }))
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
        "sections_mark": SECTIONS_MARK,
    }))?;
    Ok(html)
}
