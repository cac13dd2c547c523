//! The compliance crawler: fetches a site's pages politely and within hard limits, runs the page
//! check on each HTML page, and reports page by page. A broken website is data: every failure is
//! an outcome in the results, never an error of the crawler.

pub mod fetch;
pub mod politeness;
pub mod result;
pub mod robots;
pub mod sitemap;

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use self::fetch::{Failure, FetchOutcome, Fetcher};
pub use self::result::{CheckedPage, PageOutcome, PageResult, SiteSummary};
use self::robots::Robots;
use crate::check::links::{self, KnownLinks};
use crate::check::{self, PageInput};
use crate::config::CrawlConfig;
use crate::render::{Expected, RenderMode, RenderRequest, Renderer};

/// A site to crawl: where to start, which hosts belong to it, which badge it must carry.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// Where the crawl starts.
    pub seeds: Vec<Url>,
    /// Host names of the site (ASCII, lower case); `www.` aliases are added.
    pub hosts: Vec<String>,
    /// The badge code every page must carry.
    pub code: String,
    /// The site's national legacy badge, accepted beside `code`, if it has one.
    pub legacy: Option<LegacyIds>,
    /// The site's registered government website identifier (网站标识码), cross-checked against
    /// the `SiteIDCode` its pages declare.
    pub site_id_code: Option<String>,
}

/// A site's national legacy badge as registered: its code and, when known, the id its static
/// verification link carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyIds {
    /// `CA` and 21 digits.
    pub code: String,
    /// The `id` of `bszs.conac.cn/sitename?method=show&id=…`.
    pub link_id: Option<String>,
}

impl LegacyIds {
    /// As the page check takes it.
    pub fn as_badge(&self) -> check::LegacyBadge<'_> {
        check::LegacyBadge { code: &self.code, link_id: self.link_id.as_deref() }
    }
}

impl SiteSpec {
    /// The site of one start URL: its host and the `www.` alias.
    pub fn from_url(url: Url, code: &str) -> Self {
        let hosts = url.host_str().map(|h| vec![h.to_owned()]).unwrap_or_default();
        Self { seeds: vec![url], hosts, code: code.to_owned(), legacy: None, site_id_code: None }
    }

    /// Whether `host` is one of the site's hosts (or a `www.` alias).
    pub fn contains_host(&self, host: &str) -> bool {
        self.host_set().contains(&host.trim_end_matches('.').to_ascii_lowercase())
    }

    /// The ports the site is served on: an explicit port of a start URL is the site's own (a
    /// site at `:8080` does not own what the same host serves on `:80`); a default port (80 or
    /// 443) stands for both, since sites move from http to https.
    fn port_set(&self) -> HashSet<u16> {
        let mut ports = HashSet::new();
        for seed in &self.seeds {
            match seed.port_or_known_default() {
                Some(80 | 443) | None => ports.extend([80, 443]),
                Some(port) => {
                    ports.insert(port);
                }
            }
        }
        ports
    }

    fn host_set(&self) -> HashSet<String> {
        let mut set = HashSet::new();
        for h in &self.hosts {
            let h = h.trim_end_matches('.').to_ascii_lowercase();
            match h.strip_prefix("www.") {
                Some(bare) => {
                    set.insert(bare.to_owned());
                }
                None => {
                    set.insert(format!("www.{h}"));
                }
            }
            set.insert(h);
        }
        set
    }
}

/// Crawls sites with shared clients and politeness.
#[derive(Clone)]
pub struct Crawler {
    fetcher: Fetcher,
    badge_base: Arc<Url>,
    /// Checks of big pages run on the blocking pool, at most this many at once: a big page
    /// never holds an async worker (the server's other requests go on), and many never pile
    /// up.
    checks: Arc<tokio::sync::Semaphore>,
    /// The rendered check's browser tabs, unless `crawl.render` is `never`.
    renderer: Option<Arc<Renderer>>,
}

/// What the checks of one site's pages share: for the rendered check, the hosts its pages may
/// load from and the screenshots still to take; for the links, the values already resolved.
struct SiteShared {
    hosts: Vec<String>,
    screenshots_left: AtomicUsize,
    known_links: KnownLinks,
}

impl SiteShared {
    fn new(hosts: Vec<String>, screenshots: usize) -> Arc<Self> {
        Arc::new(Self { hosts, screenshots_left: AtomicUsize::new(screenshots), known_links: KnownLinks::default() })
    }

    /// Takes one screenshot from the site's allowance, if any is left.
    fn take_screenshot(&self) -> bool {
        self.screenshots_left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
    }
}

/// The part of a robots.txt that is read (RFC 9309 asks for at least 500 KiB).
const ROBOTS_CAP: usize = 500 * 1024;
/// The detail of a page cut off by its site's time budget.
const SITE_TIMEOUT_DETAIL: &str = "site time budget used up";
/// Sitemaps read per site at most (an index can list thousands).
const MAX_SITEMAPS: usize = 50;

impl Crawler {
    /// Builds the HTTP clients; fails only when the TLS back end cannot start.
    pub fn new(config: &CrawlConfig, badge_base: Url) -> Result<Self, reqwest::Error> {
        Self::with_fetcher(config, badge_base, Fetcher::new(config)?)
    }

    /// A crawler whose pace per host and per address is shared through `ledger` with every
    /// other crawler using it (workers on several machines).
    pub fn shared(
        config: &CrawlConfig,
        badge_base: Url,
        ledger: Arc<dyn politeness::PaceLedger>,
    ) -> Result<Self, reqwest::Error> {
        Self::with_fetcher(config, badge_base, Fetcher::shared(config, ledger)?)
    }

    fn with_fetcher(config: &CrawlConfig, badge_base: Url, fetcher: Fetcher) -> Result<Self, reqwest::Error> {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let renderer =
            (config.render != RenderMode::Never).then(|| Arc::new(Renderer::new(config, badge_base.clone())));
        Ok(Self {
            fetcher,
            badge_base: Arc::new(badge_base),
            checks: Arc::new(tokio::sync::Semaphore::new(cores)),
            renderer,
        })
    }

    /// The crawl configuration in use.
    pub fn config(&self) -> &CrawlConfig {
        self.fetcher.config()
    }

    /// The badge service's base URL, which badge links must point to.
    pub fn badge_base(&self) -> &Url {
        &self.badge_base
    }

    /// Fetches and checks one page (no links followed).
    pub async fn check_one(&self, url: &Url, code: &str) -> PageResult {
        self.check_one_with_legacy(url, code, None).await
    }

    /// [`Crawler::check_one`] for a site that may carry its national legacy badge instead.
    pub async fn check_one_with_legacy(&self, url: &Url, code: &str, legacy: Option<&LegacyIds>) -> PageResult {
        let host = url.host_str().unwrap_or_default().to_owned();
        let budget = Duration::from_secs(self.config().max_site_seconds);
        let shared = SiteShared::new(SiteSpec::from_url(url.clone(), code).host_set().into_iter().collect(), 1);
        let checking = self.fetch_and_check(url, code, legacy, None, 0, &shared);
        let result = match tokio::time::timeout(budget, checking).await {
            Ok((result, _)) => result,
            Err(_) => PageResult::failed(url, None, Failure::SiteTimeout, Some(SITE_TIMEOUT_DETAIL.into()), 0),
        };
        self.fetcher.politeness().forget(&host);
        result
    }

    /// Crawls `site` up to `max_pages` URLs, calling `on_page` with each result as it comes.
    /// The whole crawl, robots.txt and sitemaps included, stays within the site's time budget
    /// (`crawl.max_site_seconds`): past it, pages in flight or still waiting are reported
    /// `site_timeout`, and the summary says the results are partial.
    ///
    /// The site is crawled over connections of its own, closed when it is done (see
    /// [`Fetcher::for_site`]).
    pub async fn crawl_site(&self, site: &SiteSpec, max_pages: usize, on_page: impl FnMut(&PageResult)) -> SiteSummary {
        let own_connections = Self { fetcher: self.fetcher.for_site(), ..self.clone() };
        own_connections.crawl_site_here(site, max_pages, on_page).await
    }

    async fn crawl_site_here(
        &self,
        site: &SiteSpec,
        max_pages: usize,
        mut on_page: impl FnMut(&PageResult),
    ) -> SiteSummary {
        let config = self.config().clone();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(config.max_site_seconds);
        let hosts = site.host_set();
        let ports = site.port_set();
        let mut robots: HashMap<String, Arc<Robots>> = HashMap::new();
        // The URLs admitted so far, by fingerprint under a key of this crawl's own (a site
        // cannot make a page's URL collide with another's and so hide it).
        let url_keys = foldhash::quality::RandomState::default();
        let mut seen = links::Fingerprints::default();
        let mut frontier: VecDeque<(Url, usize)> = VecDeque::new();
        let mut summary = SiteSummary::default();
        let max_pages = max_pages.min(config.max_pages_per_site).max(1);
        let shared = SiteShared::new(hosts.iter().cloned().collect(), config.render_screenshots_per_site);

        let admit = |url: Url, depth: usize, seen: &mut links::Fingerprints, frontier: &mut VecDeque<(Url, usize)>| {
            let Some(url) = links::canonical(url) else {
                return;
            };
            let in_site = url.host_str().is_some_and(|h| hosts.contains(h))
                && url.port_or_known_default().is_some_and(|p| ports.contains(&p));
            if !in_site
                || depth > config.max_depth
                || url.as_str().len() > config.max_url_length
                || seen.len() >= max_pages
            {
                return;
            }
            if seen.insert(url_keys.hash_one(url.as_str())) {
                frontier.push_back((url, depth));
            }
        };
        for seed in &site.seeds {
            admit(seed.clone(), 0, &mut seen, &mut frontier);
        }
        // robots.txt and sitemaps of the seed hosts first, within the budget.
        let discovery = async {
            let mut found = Vec::new();
            for seed in &site.seeds {
                let rules = self.robots_for(seed, &mut robots).await;
                found.extend(self.sitemap_pages(seed, &rules, max_pages).await);
            }
            found
        };
        match tokio::time::timeout_at(deadline, discovery).await {
            Ok(found) => {
                for sm in found {
                    if let Ok(url) = Url::parse(&sm) {
                        admit(url, 1, &mut seen, &mut frontier);
                    }
                }
            }
            Err(_) => summary.timed_out = true,
        }

        // Each page is fetched and checked in a task of its own, so the checks of a site (and of
        // the sites a sweep runs at once) spread over the runtime's worker threads. Dropping the
        // set (an interrupted sweep) aborts them.
        let mut in_flight = tokio::task::JoinSet::new();
        let limit = (config.per_host_concurrency * hosts.len().max(1)).max(1);
        loop {
            while in_flight.len() < limit && !summary.timed_out {
                let Some((url, depth)) = frontier.pop_front() else {
                    break;
                };
                let rules = match robots.get(&origin_key(&url)) {
                    Some(r) => r.clone(),
                    None => {
                        if let Ok(rules) = tokio::time::timeout_at(deadline, self.robots_for(&url, &mut robots)).await {
                            rules
                        } else {
                            summary.timed_out = true;
                            break;
                        }
                    }
                };
                let path = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                if config.respect_robots && !rules.allowed(&path) {
                    let result = PageResult::failed(&url, None, Failure::RobotsDisallowed, None, depth);
                    summary.add(&result);
                    on_page(&result);
                    continue;
                }
                let code = site.code.clone();
                let legacy = site.legacy.clone();
                let delay = if config.respect_robots { rules.crawl_delay } else { None };
                let crawler = self.clone();
                let shared = shared.clone();
                in_flight.spawn(async move {
                    // Waits for the host's turn, Retry-After sleeps and the fetch itself all end
                    // when the site's budget does.
                    if let Ok(done) = tokio::time::timeout_at(
                        deadline,
                        crawler.fetch_and_check(&url, &code, legacy.as_ref(), delay, depth, &shared),
                    )
                    .await
                    {
                        done
                    } else {
                        let detail = SITE_TIMEOUT_DETAIL.to_owned();
                        (PageResult::failed(&url, None, Failure::SiteTimeout, Some(detail), depth), Vec::new())
                    }
                });
            }
            let (mut result, links) = match in_flight.join_next().await {
                None => break,
                Some(Ok(done)) => done,
                Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Some(Err(_)) => continue,
            };
            if result.failure() == Some(Failure::SiteTimeout) {
                summary.timed_out = true;
            }
            result.flag_site_id(site.site_id_code.as_deref());
            for link in links {
                admit(link, result.depth + 1, &mut seen, &mut frontier);
            }
            summary.add(&result);
            on_page(&result);
        }
        if summary.timed_out {
            // Pages found but never reached are reported too (at most the page cap of them), so
            // a supervisor sees what the budget left unchecked.
            for (url, depth) in frontier.drain(..) {
                let detail = Some("not reached within the site time budget".to_owned());
                let result = PageResult::failed(&url, None, Failure::SiteTimeout, detail, depth);
                summary.add(&result);
                on_page(&result);
            }
            tracing::info!(site.code = %site.code, pages = summary.pages, "site time budget used up; results are partial");
        }
        for h in &hosts {
            self.fetcher.politeness().forget(h);
        }
        summary.finish()
    }

    async fn robots_for(&self, url: &Url, cache: &mut HashMap<String, Arc<Robots>>) -> Arc<Robots> {
        let key = origin_key(url);
        if let Some(r) = cache.get(&key) {
            return r.clone();
        }
        let mut robots_url = url.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        // Only the first 500 KiB are read; a longer file is parsed up to its last whole line.
        let mut body = Vec::new();
        let status = self
            .fetcher
            .stream_resource(&robots_url, None, |chunk| {
                let room = ROBOTS_CAP - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                body.len() < ROBOTS_CAP
            })
            .await;
        let rules = match status {
            Some(200) => {
                if body.len() >= ROBOTS_CAP {
                    let last_line = memchr::memrchr(b'\n', &body).map_or(0, |i| i + 1);
                    body.truncate(last_line);
                }
                Robots::parse(&String::from_utf8_lossy(&body), &self.config().user_agent)
            }
            _ => Robots::allow_all(),
        };
        let rules = Arc::new(rules);
        cache.insert(key, rules.clone());
        rules
    }

    /// Page URLs from the sitemaps robots.txt names, or `/sitemap.xml`: at most `limit` (the
    /// site's page cap), read as the sitemaps stream in and no further.
    async fn sitemap_pages(&self, seed: &Url, robots: &Robots, limit: usize) -> Vec<String> {
        let mut queue: VecDeque<String> = robots.sitemaps.iter().take(MAX_SITEMAPS).cloned().collect();
        if queue.is_empty() {
            let mut default = seed.clone();
            default.set_path("/sitemap.xml");
            default.set_query(None);
            queue.push_back(default.to_string());
        }
        let mut pages = Vec::new();
        let mut read = 0;
        while let Some(next) = queue.pop_front() {
            if read >= MAX_SITEMAPS || pages.len() >= limit {
                break;
            }
            read += 1;
            // Sitemap lines should be absolute; a relative one is read against the site.
            let Ok(url) = seed.join(&next) else { continue };
            let wanted = (limit - pages.len()).max(MAX_SITEMAPS);
            let mut reader = sitemap::SitemapReader::new(wanted, sitemap::MAX_BYTES_PER_FILE);
            if let Some(200) = self.fetcher.stream_resource(&url, robots.crawl_delay, |chunk| reader.feed(chunk)).await
            {
                let parsed = reader.finish();
                pages.extend(parsed.pages.into_iter().take(limit - pages.len()));
                let room = MAX_SITEMAPS.saturating_sub(read + queue.len());
                queue.extend(parsed.sitemaps.into_iter().take(room));
            }
        }
        pages
    }

    /// One URL: wait for the host, fetch with retries on 429/503, check, extract links; render
    /// the page too when `crawl.render` asks for it.
    async fn fetch_and_check(
        &self,
        url: &Url,
        code: &str,
        legacy: Option<&LegacyIds>,
        delay: Option<Duration>,
        depth: usize,
        site: &Arc<SiteShared>,
    ) -> (PageResult, Vec<Url>) {
        let config = self.config();
        // A link the check leaves out as known must have been admitted already. The links of a
        // page at the depth limit are too deep to admit, though a shallower page may admit the
        // same link later: such a page's check neither skips nor remembers any.
        let known = (depth < config.max_depth).then(|| site.clone());
        let mut attempt = 0;
        let outcome = loop {
            match self.fetcher.fetch(url, delay).await {
                FetchOutcome::RetryLater { status, after } => {
                    if attempt >= config.max_retries {
                        break FetchOutcome::Failed {
                            failure: Failure::HttpError,
                            status: Some(status),
                            final_url: url.clone(),
                            detail: "still busy after retries".into(),
                        };
                    }
                    attempt += 1;
                    let backoff = Duration::from_secs(1 << attempt.min(6));
                    let wait = after.unwrap_or(backoff).min(Duration::from_secs(config.max_retry_after_seconds));
                    tokio::time::sleep(wait).await;
                }
                other => break other,
            }
        };
        match outcome {
            FetchOutcome::Page(page) => {
                let (report, links, page) = self.check_fetched(page, code, legacy.cloned(), known).await;
                let wants_render = config.render.wants(report.verdict, report.has_scripts);
                let mut checked = CheckedPage::from_report(report);
                if let (Some(renderer), true) = (&self.renderer, wants_render) {
                    // Boxed: the rendering's state (several kilobytes) would otherwise be part of
                    // every page's task, copied when it is spawned and when it finishes, though
                    // few pages are rendered (6.6 KB a task unboxed, 2.1 KB boxed).
                    checked.rendered =
                        Some(Box::pin(render_page(renderer, &page.final_url, code, legacy, &checked, site)).await);
                }
                checked.certificate_problem = page.certificate_problem;
                checked.redirected_to = (page.final_url != *url).then(|| format!("redirected to {}", page.final_url));
                let result = PageResult {
                    url: url.to_string(),
                    status: Some(page.status),
                    outcome: PageOutcome::Checked(Box::new(checked)),
                    depth,
                };
                (result, links)
            }
            FetchOutcome::Failed { failure, status, detail, .. } => {
                (PageResult::failed(url, status, failure, Some(detail), depth), Vec::new())
            }
            FetchOutcome::RetryLater { status, .. } => {
                (PageResult::failed(url, Some(status), Failure::HttpError, None, depth), Vec::new())
            }
        }
    }
}

/// Pages up to this size are checked on the async worker that fetched them (about 0.2 ms of
/// work at the check's speed); larger ones go to the blocking pool. Handing every page to the
/// pool and back cost two thread wake-ups per page: a fifth of a crawl's CPU was the kernel's
/// scheduler (BENCHMARKS.md §2).
const INLINE_CHECK_MAX: usize = 128 * 1024;

impl Crawler {
    /// Checks a fetched page: a small one here, a big one on the blocking pool within the
    /// check limit.
    async fn check_fetched(
        &self,
        page: fetch::Page,
        code: &str,
        legacy: Option<LegacyIds>,
        known: Option<Arc<SiteShared>>,
    ) -> (check::PageReport, Vec<Url>, fetch::Page) {
        let check = move |page: &fetch::Page, code: &str, legacy: Option<&LegacyIds>, badge_base: &Url| {
            let input = PageInput {
                bytes: &page.body,
                content_type: page.content_type.as_deref(),
                page_url: Some(&page.final_url),
                expected_code: code,
                legacy: legacy.map(LegacyIds::as_badge),
                badge_base,
            };
            check::check_with_links(&input, known.as_deref().map(|site| &site.known_links))
        };
        if page.body.len() <= INLINE_CHECK_MAX {
            let (report, links) = check(&page, code, legacy.as_ref(), &self.badge_base);
            return (report, links, page);
        }
        let permit = self.checks.clone().acquire_owned().await.expect("never closed");
        let badge_base = self.badge_base.clone();
        let code = code.to_owned();
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let (report, links) = check(&page, &code, legacy.as_ref(), &badge_base);
            (report, links, page)
        });
        match task.await {
            Ok(done) => done,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// Renders a checked page and judges its badge as a visitor sees it; takes a screenshot of a
/// non-compliant page while the site's allowance lasts.
async fn render_page(
    renderer: &Renderer,
    url: &Url,
    code: &str,
    legacy: Option<&LegacyIds>,
    checked: &CheckedPage,
    site: &SiteShared,
) -> crate::render::RenderedCheck {
    let code = code.trim().to_ascii_uppercase();
    let screenshot = site.take_screenshot();
    let rendered = renderer
        .render(&RenderRequest {
            url,
            hosts: &site.hosts,
            expected: Expected {
                code: &code,
                legacy_code: legacy.map(|l| l.code.as_str()),
                legacy_link_id: legacy.and_then(|l| l.link_id.as_deref()),
            },
            static_verdict: checked.verdict,
            screenshot,
        })
        .await;
    if screenshot && rendered.screenshot.is_none() {
        site.screenshots_left.fetch_add(1, Ordering::Relaxed);
    }
    rendered
}

/// robots.txt is per scheme, host and port (RFC 9309).
fn origin_key(url: &Url) -> String {
    url.origin().ascii_serialization()
}
