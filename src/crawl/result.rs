//! What a crawl says of each URL and of the whole site: a page was checked (with the check's
//! findings) or it could not be (and why), and the site's totals.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::fetch::Failure;
use crate::check::footer::Footer;
use crate::check::{PageReport, Verdict, Warning};
use crate::domain::site_status::SiteVerdict;
use crate::render::{page_compliant, RenderedCheck};

/// One fetched (or skipped) URL.
#[derive(Debug, Clone)]
pub struct PageResult {
    /// The URL as fetched (before redirects).
    pub url: String,
    /// The HTTP status of the final answer, when there was one.
    pub status: Option<u16>,
    /// Checked, or why not.
    pub outcome: PageOutcome,
    /// Links followed from the start to reach it.
    pub depth: usize,
}

/// What became of a URL.
#[derive(Debug, Clone)]
pub enum PageOutcome {
    /// Fetched and checked.
    Checked(Box<CheckedPage>),
    /// Not checked: why, and what the fetch said.
    Failed {
        /// Why.
        failure: Failure,
        /// The error's text, when there was one.
        detail: Option<String>,
    },
}

/// A checked page's findings.
#[derive(Debug, Clone)]
pub struct CheckedPage {
    /// The page's verdict.
    pub verdict: Verdict,
    /// Things to fix that do not make the page non-compliant.
    pub warnings: Vec<Warning>,
    /// The page's `<title>`.
    pub title: Option<String>,
    /// The encoding the page was read in, e.g. `GBK`.
    pub encoding: &'static str,
    /// Badge codes found on the page, whether of this site or not.
    pub codes_found: Vec<String>,
    /// Which badge markup decided the verdict (ours, or the site's legacy national badge).
    pub badge: Option<crate::check::BadgeKind>,
    /// The footer items found (sponsor, ICP record …).
    pub footer: Footer,
    /// Set when the page was fetched despite an invalid certificate.
    pub certificate_problem: Option<String>,
    /// Where redirects led, when elsewhere.
    pub redirected_to: Option<String>,
    /// The rendered check, when the page was also loaded in the browser (`crawl.render`).
    pub rendered: Option<RenderedCheck>,
}

impl CheckedPage {
    /// The findings of a page check.
    pub fn from_report(report: PageReport) -> Self {
        Self {
            verdict: report.verdict,
            warnings: report.warnings,
            title: report.title,
            encoding: report.encoding,
            codes_found: report.codes_found,
            badge: report.badge,
            footer: report.footer,
            certificate_problem: None,
            redirected_to: None,
            rendered: None,
        }
    }

    /// Whether the page complies ([`page_compliant`]).
    pub fn compliant(&self) -> bool {
        page_compliant(self.verdict, self.rendered.as_ref().map(|r| r.verdict))
    }
}

impl PageResult {
    /// A result for a URL that could not be checked.
    pub fn failed(url: &url::Url, status: Option<u16>, failure: Failure, detail: Option<String>, depth: usize) -> Self {
        Self { url: url.to_string(), status, outcome: PageOutcome::Failed { failure, detail }, depth }
    }

    /// The result of a page checked without fetching it (a red page govbadge serves).
    pub fn checked(url: String, report: PageReport) -> Self {
        Self { url, status: None, outcome: PageOutcome::Checked(Box::new(CheckedPage::from_report(report))), depth: 0 }
    }

    /// The page's findings, when it was checked.
    pub fn page(&self) -> Option<&CheckedPage> {
        match &self.outcome {
            PageOutcome::Checked(page) => Some(page),
            PageOutcome::Failed { .. } => None,
        }
    }

    /// Why it was not checked.
    pub fn failure(&self) -> Option<Failure> {
        match &self.outcome {
            PageOutcome::Checked(_) => None,
            PageOutcome::Failed { failure, .. } => Some(*failure),
        }
    }

    /// The outcome's word: `ok`, or the failure's (`timeout`, `too_large`, …).
    pub fn outcome_str(&self) -> &'static str {
        self.failure().map_or("ok", Failure::as_str)
    }

    /// Adds [`Warning::SiteIdMismatch`] when the page declares a government website identifier
    /// (`SiteIDCode`) other than the one registered for the site.
    pub fn flag_site_id(&mut self, registered: Option<&str>) {
        let (PageOutcome::Checked(page), Some(registered)) = (&mut self.outcome, registered) else { return };
        let declared = page.footer.site_id_code.as_deref();
        if declared.is_some_and(|d| !d.eq_ignore_ascii_case(registered.trim()))
            && !page.warnings.contains(&Warning::SiteIdMismatch)
        {
            page.warnings.push(Warning::SiteIdMismatch);
            page.warnings.sort();
        }
    }

    /// The verdict, when the page was checked.
    pub fn verdict(&self) -> Option<Verdict> {
        self.page().map(|p| p.verdict)
    }

    /// Whether the page was checked and complies ([`CheckedPage::compliant`]).
    pub fn compliant(&self) -> bool {
        self.page().is_some_and(CheckedPage::compliant)
    }

    /// The fetch failure's detail, or where a checked page's redirects led.
    pub fn detail(&self) -> Option<&str> {
        match &self.outcome {
            PageOutcome::Checked(page) => page.redirected_to.as_deref(),
            PageOutcome::Failed { detail, .. } => detail.as_deref(),
        }
    }
}

/// The flat form of a page result in JSON (`crawl --json`, the self-check page): the fields of
/// a checked page are absent for a failure.
impl Serialize for PageResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            url: &'a str,
            status: Option<u16>,
            outcome: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            verdict: Option<Verdict>,
            #[serde(skip_serializing_if = "Option::is_none")]
            warnings: Option<&'a [Warning]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            title: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            encoding: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            codes_found: Option<&'a [String]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            badge: Option<crate::check::BadgeKind>,
            #[serde(skip_serializing_if = "Option::is_none")]
            footer: Option<&'a Footer>,
            #[serde(skip_serializing_if = "Option::is_none")]
            certificate_problem: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            detail: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            compliant: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            rendered: Option<&'a RenderedCheck>,
        }
        let page = self.page();
        Flat {
            url: &self.url,
            status: self.status,
            outcome: self.outcome_str(),
            verdict: self.verdict(),
            warnings: page.map(|p| p.warnings.as_slice()),
            title: page.and_then(|p| p.title.as_deref()),
            encoding: page.map(|p| p.encoding),
            codes_found: page.map(|p| p.codes_found.as_slice()),
            badge: page.and_then(|p| p.badge),
            footer: page.map(|p| &p.footer),
            certificate_problem: page.and_then(|p| p.certificate_problem.as_deref()),
            detail: self.detail(),
            compliant: page.map(CheckedPage::compliant),
            rendered: page.and_then(|p| p.rendered.as_ref()),
        }
        .serialize(s)
    }
}

/// The site's totals after a crawl.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SiteSummary {
    /// Always `true`: marks the summary line among JSON Lines of pages.
    pub summary: bool,
    /// The site's time budget (`crawl.max_site_seconds`) ran out; the results are partial.
    pub timed_out: bool,
    /// Checked HTML pages.
    pub pages: usize,
    /// Checked pages that were compliant.
    pub compliant: usize,
    /// URLs fetched or skipped, checked or not.
    pub urls: usize,
    /// Compliant when every checked page is; unreachable when no page could be checked.
    pub site_verdict: SiteVerdict,
    /// Checked pages by verdict.
    pub verdicts: BTreeMap<&'static str, usize>,
    /// URLs by outcome (checked or the failure).
    pub outcomes: BTreeMap<&'static str, usize>,
    /// Rendered pages by rendered verdict.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rendered: BTreeMap<&'static str, usize>,
}

impl SiteSummary {
    pub(super) fn add(&mut self, page: &PageResult) {
        self.urls += 1;
        *self.outcomes.entry(page.outcome_str()).or_default() += 1;
        if let Some(checked) = page.page() {
            self.pages += 1;
            self.compliant += usize::from(checked.compliant());
            *self.verdicts.entry(checked.verdict.as_str()).or_default() += 1;
            if let Some(rendered) = &checked.rendered {
                *self.rendered.entry(rendered.verdict.as_str()).or_default() += 1;
            }
        }
    }

    pub(super) fn finish(mut self) -> Self {
        self.summary = true;
        self.site_verdict = if self.pages == 0 {
            SiteVerdict::Unreachable
        } else if self.compliant == self.pages {
            SiteVerdict::Compliant
        } else {
            SiteVerdict::NonCompliant
        };
        self
    }
}
