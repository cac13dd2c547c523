//! Sweeps: every registered, badged site of a region crawled and checked, persisted site by
//! site as it goes so that a run killed at any moment resumes where it stopped.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::store::Pool;
use chrono::Utc;
use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;
use url::Url;

use super::page_spool::{PageSpool, SpooledPages};
use crate::crawl::{Crawler, PageResult, SiteSpec};
use crate::domain::site_status::SiteVerdict;
use crate::store::sweep_claims;
use crate::store::sweeps::{self, PageRecord, SiteInChunks, SiteOutcome, SiteRow};

/// Why a sweep (or a scheduled check) could not run or record its results.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// `--resume` found no unfinished sweep of the scope.
    #[error("no unfinished sweep of this scope to resume")]
    NothingToResume,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The reports could not be written.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// The working-day calendar does not cover the date.
    #[error(transparent)]
    Calendar(#[from] crate::domain::calendar::CalendarError),
    /// The red page could not be rendered.
    #[error("rendering the red page: {0}")]
    RedPage(#[from] minijinja::Error),
    /// A site's page results could not be spooled (the temporary directory failed).
    #[error("spooling a site's page results: {0}")]
    Spool(std::io::Error),
    /// A site's task panicked or was cancelled.
    #[error("a site's task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<sqlx::Error> for SweepError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// How a sweep ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// The sweep's number.
    pub sweep_id: i64,
    /// Sites in the sweep's scope.
    pub sites_total: usize,
    /// Sites done in this run (not counting those a resumed run found done).
    pub sites_checked: usize,
    /// Sites skipped (no crawlable domain).
    pub sites_skipped: usize,
    /// Page results recorded in this run.
    pub pages: usize,
    /// The run was stopped before every site was done.
    pub interrupted: bool,
}

/// The site to crawl for a badge: its registered host names, started at the English domain.
pub fn site_spec(row: &SiteRow, seed_scheme: &str) -> Option<SiteSpec> {
    let mut hosts = Vec::new();
    for h in [&row.domain_en, &row.domain_cn_ascii] {
        if !h.is_empty() {
            hosts.push(h.to_ascii_lowercase());
        }
    }
    let seed_host = hosts.first()?;
    let seed = Url::parse(&format!("{seed_scheme}://{seed_host}/")).ok()?;
    let legacy =
        row.legacy_code.clone().map(|code| crate::crawl::LegacyIds { code, link_id: row.legacy_link_id.clone() });
    let site_id_code = Some(row.site_id_code.clone()).filter(|c| !c.is_empty());
    Some(SiteSpec { seeds: vec![seed], hosts, code: row.code.clone(), legacy, site_id_code })
}

/// Options of one run.
pub struct SweepOptions {
    /// The region code prefix swept ("" for all).
    pub scope: String,
    /// Continue the last unfinished sweep of the scope.
    pub resume: bool,
    /// Sites crawled at once.
    pub site_concurrency: usize,
    /// URLs per site.
    pub max_pages: usize,
    /// `https` or `http`, for the start URL of each site.
    pub seed_scheme: String,
    /// Becomes `true` to stop: no new sites start, sites in flight are dropped (and redone on
    /// resume).
    pub stop: watch::Receiver<bool>,
}

/// Crawls and records one site; returns its result pages count.
pub async fn check_site(
    pool: &Pool,
    crawler: &Crawler,
    sweep_id: i64,
    row: &SiteRow,
    max_pages: usize,
    seed_scheme: &str,
) -> Result<usize, SweepError> {
    let into = Recording { sweep_id, worker: None };
    check_site_into(pool, crawler, into, row, max_pages, seed_scheme).await.map(|done| done.pages)
}

/// Where a site's result goes: run `sweep_id`, as the holder of the site's claim when a
/// worker crawled it.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    /// The run.
    pub sweep_id: i64,
    /// The worker that claimed the site, if one did.
    pub worker: Option<&'a str>,
}

/// A site checked: its result pages, and whether they were recorded (a worker that lost its
/// claim records nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteDone {
    /// Result pages.
    pub pages: usize,
    /// Written to the database.
    pub recorded: bool,
}

/// Crawls one site and records it `into` a run.
pub async fn check_site_into(
    pool: &Pool,
    crawler: &Crawler,
    into: Recording<'_>,
    row: &SiteRow,
    max_pages: usize,
    seed_scheme: &str,
) -> Result<SiteDone, SweepError> {
    if let Some(verdict) = SiteVerdict::of_inactive(row.status) {
        let recorded = record_detached(pool, into, &row.code, verdict, (0, 0, 0), SitePages::Few(Vec::new())).await?;
        return Ok(SiteDone { pages: 0, recorded });
    }
    if let Some(page) = crate::store::red_pages::published(pool, &row.code).await? {
        // A published red page is the site: check the page govbadge serves for it.
        let html = crate::badge::red_page::render(&page, crawler.badge_base().as_str())?;
        let report = crate::check::check(&crate::check::PageInput {
            bytes: html.as_bytes(),
            content_type: Some("text/html; charset=utf-8"),
            page_url: None,
            expected_code: &row.code,
            legacy: None,
            badge_base: crawler.badge_base(),
        });
        let recorded =
            record_page_into(pool, into, &row.code, PageResult::checked(format!("red-page:{}", row.code), report))
                .await?;
        return Ok(SiteDone { pages: 1, recorded });
    }
    let Some(spec) = site_spec(row, seed_scheme) else {
        let recorded =
            record_detached(pool, into, &row.code, SiteVerdict::Unreachable, (0, 0, 0), SitePages::Few(Vec::new()))
                .await?;
        return Ok(SiteDone { pages: 0, recorded });
    };
    // The pages wait in a spool file, not in memory, until the site's transaction.
    let mut spool = PageSpool::new().map_err(SweepError::Spool)?;
    let mut checked = 0;
    let summary = crawler
        .crawl_site(&spec, max_pages, |p| {
            spool.add_result(p);
            checked += 1;
        })
        .await;
    let counts = (summary.pages as i64, summary.compliant as i64, summary.urls as i64);
    let pages = SitePages::Spooled(spool.finish().map_err(SweepError::Spool)?);
    let recorded = record_detached(pool, into, &row.code, summary.site_verdict, counts, pages).await?;
    tracing::debug!(site.code = %row.code, site.verdict = summary.site_verdict.as_str(), pages = summary.pages, "site checked");
    Ok(SiteDone { pages: checked, recorded })
}

/// Records a site that could not be checked at all (its crawl failed on every try) as
/// unreachable; returns whether it was recorded.
pub async fn record_unreachable(pool: &Pool, into: Recording<'_>, code: &str) -> Result<bool, SweepError> {
    record_detached(pool, into, code, SiteVerdict::Unreachable, (0, 0, 0), SitePages::Few(Vec::new())).await
}

/// Records one checked page as a site's whole result in run `sweep_id` (a unit's check of a
/// page): compliant or not by that page, unreachable when it could not be checked.
pub async fn record_page(pool: &Pool, sweep_id: i64, code: &str, result: PageResult) -> Result<(), SweepError> {
    record_page_into(pool, Recording { sweep_id, worker: None }, code, result).await.map(drop)
}

async fn record_page_into(
    pool: &Pool,
    into: Recording<'_>,
    code: &str,
    result: PageResult,
) -> Result<bool, SweepError> {
    let (verdict, pages, compliant) = match result.page() {
        Some(page) if page.compliant() => (SiteVerdict::Compliant, 1, 1),
        Some(_) => (SiteVerdict::NonCompliant, 1, 0),
        None => (SiteVerdict::Unreachable, 0, 0),
    };
    record_detached(pool, into, code, verdict, (pages, compliant, 1), SitePages::Few(vec![result])).await
}

/// A finished site's pages: the few of a site that was not crawled (none, or one red page),
/// or a crawl's, spooled.
enum SitePages {
    Few(Vec<PageResult>),
    Spooled(SpooledPages),
}

/// Records a finished site in a task of its own, so that a sweep interrupted while the write is
/// under way (Ctrl-C drops the site's future) still commits or rolls back that transaction at
/// once instead of leaving it open on a pooled connection, where it would hold the write lock.
/// `counts`: pages checked, pages compliant, URLs seen. Returns whether it was recorded (a
/// worker's result is not when it lost its claim).
async fn record_detached(
    pool: &Pool,
    into: Recording<'_>,
    code: &str,
    verdict: SiteVerdict,
    counts: (i64, i64, i64),
    pages: SitePages,
) -> Result<bool, SweepError> {
    let pool = pool.clone();
    let code = code.to_owned();
    let (sweep_id, worker) = (into.sweep_id, into.worker.map(str::to_owned));
    let (pages_checked, compliant, urls) = counts;
    let recorded = tokio::spawn(async move {
        let worker = worker.as_deref();
        match pages {
            SitePages::Few(results) => {
                let records: Vec<PageRecord<'_>> = results.iter().map(page_record).collect();
                let site = SiteOutcome {
                    code: &code,
                    site_verdict: verdict,
                    pages: pages_checked,
                    compliant,
                    urls,
                    results: &records,
                };
                sweeps::record_site_of(&pool, sweep_id, worker, &site, Utc::now()).await
            }
            SitePages::Spooled(mut spooled) => {
                let screenshots: Vec<(&str, &[u8])> =
                    spooled.screenshots.iter().map(|(url, png)| (url.as_str(), png.as_slice())).collect();
                let site = SiteInChunks {
                    code: &code,
                    site_verdict: verdict,
                    pages: pages_checked,
                    compliant,
                    urls,
                    summary: &spooled.summary,
                    chunks: &mut spooled.chunks,
                    screenshots: &screenshots,
                };
                sweeps::record_site_in_chunks(&pool, sweep_id, worker, site, Utc::now()).await
            }
        }
    })
    .await??;
    Ok(recorded)
}

/// A sweep run through the whole pipeline: crawl, reports, notices.
pub struct Finished {
    /// The sweep's outcome.
    pub sweep: SweepReport,
    /// Where the reports went (`None` when the sweep was interrupted).
    pub reports: Option<std::path::PathBuf>,
    /// The enforcement notices queued after it (`None` when interrupted).
    pub notices: Option<super::enforcement::Sent>,
}

/// Who crawls a sweep's sites.
pub enum Crawling<'a> {
    /// This process, with this crawler.
    Here(&'a Crawler),
    /// `govbadge worker` processes sharing the database.
    ByWorkers,
}

/// Runs (or resumes) a sweep; when it finishes, writes its reports under `reports_root` and
/// runs the enforcement rules, as of today in China.
pub async fn run_and_report(
    pool: &Pool,
    config: &crate::config::Config,
    crawling: Crawling<'_>,
    options: SweepOptions,
    reports_root: &std::path::Path,
) -> Result<Finished, SweepError> {
    let sweep = match crawling {
        Crawling::Here(crawler) => run(pool, crawler, options).await?,
        Crawling::ByWorkers => run_by_workers(pool, options).await?,
    };
    if sweep.interrupted {
        return Ok(Finished { sweep, reports: None, notices: None });
    }
    let reports = crate::report::write_reports(pool, sweep.sweep_id, reports_root).await?;
    let calendar = crate::domain::calendar::WorkingCalendar::embedded()?;
    let today = crate::domain::calendar::today_in_china(Utc::now());
    let notices = super::enforcement::run(pool, config, &calendar, today).await?;
    Ok(Finished { sweep, reports: Some(reports), notices: Some(notices) })
}

/// A crawled page as the store keeps it.
pub(super) fn page_record(r: &PageResult) -> PageRecord<'_> {
    let page = r.page();
    PageRecord {
        url: &r.url,
        http_status: r.status,
        outcome: r.outcome_str(),
        verdict: r.verdict(),
        warnings: page.map_or(&[], |p| p.warnings.as_slice()),
        title: page.and_then(|p| p.title.as_deref()),
        encoding: page.map(|p| p.encoding),
        footer: page.map(|p| &p.footer),
        certificate_problem: page.and_then(|p| p.certificate_problem.as_deref()),
        rendered: page.and_then(|p| p.rendered.as_ref()),
    }
}

/// Runs (or resumes) a sweep over the badged sites under `options.scope`.
pub async fn run(pool: &Pool, crawler: &Crawler, options: SweepOptions) -> Result<SweepReport, SweepError> {
    let sites = sweeps::sites(pool, &options.scope).await?;
    let (sweep_id, done) = open(pool, &options, sites.len()).await?;
    let todo: Vec<SiteRow> = sites.iter().filter(|s| !done.contains(&s.code)).cloned().collect();
    let skipped = sites.len() - todo.len();
    tracing::info!(sweep.id = sweep_id, sites = sites.len(), already_done = skipped, "sweep started");
    let progress = Progress::new(sites.len(), skipped);
    let pages = AtomicUsize::new(0);
    let checked = AtomicUsize::new(0);

    let mut stop = options.stop.clone();
    let stopped = async move {
        loop {
            if stop.changed().await.is_err() {
                // Nobody can ask to stop any more: run to the end.
                std::future::pending::<()>().await;
            }
            if *stop.borrow() {
                return;
            }
        }
    };
    tokio::pin!(stopped);
    // The rows are moved into their futures (not borrowed by the closure's argument), so that
    // the sweep's future is `Send` and can run as a task on the runtime's workers.
    let work = stream::iter(todo)
        .map(|row| {
            let (progress, pages, checked) = (&progress, &pages, &checked);
            let scheme = options.seed_scheme.clone();
            async move {
                let n = check_site(pool, crawler, sweep_id, &row, options.max_pages, &scheme).await?;
                pages.fetch_add(n, Ordering::Relaxed);
                checked.fetch_add(1, Ordering::Relaxed);
                progress.site_done(n);
                Ok::<(), SweepError>(())
            }
        })
        .buffer_unordered(options.site_concurrency.max(1));
    tokio::pin!(work);
    let mut interrupted = false;
    loop {
        tokio::select! {
            next = work.next() => match next {
                Some(result) => result?,
                None => break,
            },
            () = &mut stopped => {
                interrupted = true;
                break;
            }
        }
    }
    progress.finish();
    let status = if interrupted { "interrupted" } else { "finished" };
    sweeps::set_status(pool, sweep_id, status, Utc::now()).await?;
    Ok(SweepReport {
        sweep_id,
        sites_total: sites.len(),
        sites_checked: checked.load(Ordering::Relaxed),
        sites_skipped: skipped,
        pages: pages.load(Ordering::Relaxed),
        interrupted,
    })
}

/// Starts the sweep, or with `--resume` the last unfinished one of the scope; returns its
/// number and the sites it has done already.
async fn open(pool: &Pool, options: &SweepOptions, sites: usize) -> Result<(i64, Vec<String>), SweepError> {
    let now = Utc::now();
    Ok(match (options.resume, sweeps::unfinished(pool, &options.scope).await?) {
        (true, Some(previous)) => {
            sweeps::set_status(pool, previous.id, "running", now).await?;
            (previous.id, sweeps::done_codes(pool, previous.id).await?)
        }
        (true, None) => return Err(SweepError::NothingToResume),
        (false, _) => (sweeps::start(pool, "sweep", &options.scope, sites as i64, now).await?, Vec::new()),
    })
}

/// How often a sweep left to workers looks at their progress.
const WORKERS_POLL: Duration = Duration::from_millis(500);

/// Runs (or resumes) a sweep whose sites `govbadge worker` processes crawl: lists the sites
/// for them to claim, then waits until every site is recorded (or it is stopped: the sweep is
/// then marked interrupted, and workers claim none of its sites until it is resumed).
pub async fn run_by_workers(pool: &Pool, options: SweepOptions) -> Result<SweepReport, SweepError> {
    // Counted, not loaded: the workers read the sites they claim.
    let sites = usize::try_from(sweeps::count_sites(pool, &options.scope).await?).unwrap_or(0);
    let (sweep_id, done) = open(pool, &options, sites).await?;
    let planned = sweep_claims::plan(pool, sweep_id, &options.scope).await?;
    tracing::info!(sweep.id = sweep_id, sites, already_done = done.len(), planned, "sweep left to workers");
    let progress = Progress::new(sites, done.len());
    let mut stop = options.stop.clone();
    let mut stop_closed = false;
    let mut interrupted = false;
    loop {
        let (left, held) = sweep_claims::remaining(pool, sweep_id, Utc::now()).await?;
        let (recorded, pages) = sweeps::progress(pool, sweep_id).await?;
        progress.show(usize::try_from(recorded).unwrap_or(0), usize::try_from(pages).unwrap_or(0), Some(held));
        if left == 0 {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(WORKERS_POLL) => {}
            changed = stop.changed(), if !stop_closed => match changed {
                Ok(()) if *stop.borrow() => {
                    interrupted = true;
                    break;
                }
                Ok(()) => {}
                Err(_) => stop_closed = true,
            },
        }
    }
    progress.finish();
    let status = if interrupted { "interrupted" } else { "finished" };
    sweeps::set_status(pool, sweep_id, status, Utc::now()).await?;
    // The workers' pace of hosts not visited for an hour holds nothing back any more.
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    crate::store::crawl_pace::prune(pool, hour_ago.timestamp_micros()).await?;
    let (recorded, pages) = sweeps::progress(pool, sweep_id).await?;
    let recorded = usize::try_from(recorded).unwrap_or(0);
    Ok(SweepReport {
        sweep_id,
        sites_total: sites,
        sites_checked: recorded.saturating_sub(done.len()),
        sites_skipped: done.len(),
        pages: usize::try_from(pages).unwrap_or(0),
        interrupted,
    })
}

/// A progress bar on a terminal; plain log lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: AtomicUsize,
    pages: AtomicUsize,
    started: Instant,
    last_line: std::sync::Mutex<Instant>,
}

impl Progress {
    fn new(total: usize, already: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} 个站点 {msg} 预计剩余 {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_position(already as u64);
            bar
        });
        Self {
            bar,
            total,
            done: AtomicUsize::new(already),
            pages: AtomicUsize::new(0),
            started: Instant::now(),
            last_line: std::sync::Mutex::new(Instant::now()),
        }
    }

    fn site_done(&self, pages: usize) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let pages = self.pages.fetch_add(pages, Ordering::Relaxed) + pages;
        self.show(done, pages, None);
    }

    /// Shows the sites and pages recorded so far and, when workers crawl, the sites they hold.
    fn show(&self, done: usize, pages: usize, in_work: Option<i64>) {
        let rate = pages as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
            let held = in_work.map(|n| format!("，{n} 个站点检查中")).unwrap_or_default();
            bar.set_message(format!("{pages} 个页面，{rate:.1} 页/秒{held}"));
        } else {
            let mut last = self.last_line.lock().expect("progress lock");
            if last.elapsed() >= Duration::from_secs(10) || done == self.total {
                *last = Instant::now();
                tracing::info!(
                    sites.done = done,
                    sites.total = self.total,
                    sites.in_work = in_work,
                    pages,
                    pages_per_second = format!("{rate:.1}"),
                    "sweep progress"
                );
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// Keeps the watch sender alive for runs that are never stopped.
pub fn never_stop() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

/// A stop signal wired to Ctrl-C and SIGTERM (a service manager stopping a worker).
pub fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
        let _ = tx.send(true);
        std::future::pending::<()>().await;
    });
    rx
}

/// A stop signal wired to Ctrl-C.
pub fn stop_on_ctrl_c() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(true);
        }
        // Keep the sender so receivers do not see a closed channel as a stop.
        std::future::pending::<()>().await;
    });
    rx
}
