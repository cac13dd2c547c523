//! `govbadge worker`: crawls the sites of sweeps planned by `govbadge sweep --workers`, on any
//! number of machines sharing a database. A worker claims a few sites at a time under a lease
//! it renews while it crawls them; each site's result is written in the transaction that
//! deletes its claim, and only by the claim's holder. A killed worker's sites are claimed again
//! once its lease has run out, and should it come back, its late results are dropped: every site
//! is recorded once. The pace per host and per IP address is shared through the database.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::sweep::{check_site_into, Recording, SiteDone, SweepError};
use crate::crawl::politeness::{PaceLedger, Reserved};
use crate::crawl::Crawler;
use crate::store::sweep_claims::{self, Claim};
use crate::store::{crawl_pace, sweeps, Pool};

/// Options of one worker.
pub struct WorkerOptions {
    /// The worker's name, unique among running workers.
    pub name: String,
    /// How long a claim holds without renewal; renewed every third of it.
    pub lease: Duration,
    /// Sites crawled at once.
    pub site_concurrency: usize,
    /// URLs per site.
    pub max_pages: usize,
    /// `https` or `http`, for the start URL of each site.
    pub seed_scheme: String,
    /// How often an idle worker looks for work.
    pub poll: Duration,
    /// Stop once no running sweep has a site left (free, or held by a worker that may die),
    /// instead of waiting for the next sweep (for batch runs and tests).
    pub until_idle: bool,
    /// Becomes `true` to stop: sites in flight are dropped and their claims given back.
    pub stop: watch::Receiver<bool>,
}

/// What a worker did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkerReport {
    /// Sites crawled and recorded.
    pub sites: usize,
    /// Result pages recorded.
    pub pages: usize,
    /// Sites crawled whose claim was lost meanwhile (recorded by another worker instead).
    pub lost: usize,
}

/// The pace ledger in the database (`crawl_pace`).
pub struct DatabasePace {
    pool: Pool,
}

impl DatabasePace {
    /// The ledger of the database `pool` connects to.
    pub fn new(pool: Pool) -> Arc<Self> {
        Arc::new(Self { pool })
    }
}

impl PaceLedger for DatabasePace {
    fn reserve<'a>(&'a self, key: &'a str, interval: Duration, slots: u32) -> Reserved<'a> {
        Box::pin(async move {
            let now_us = micros(SystemTime::now());
            let span_us = micros_of(interval.saturating_mul(slots));
            match crawl_pace::reserve(&self.pool, key, now_us, span_us).await {
                Ok(start_us) => Some(UNIX_EPOCH + Duration::from_micros(u64::try_from(start_us).unwrap_or(0))),
                Err(error) => {
                    tracing::warn!(%error, key, "the shared pace did not answer; pacing alone");
                    None
                }
            }
        })
    }
}

fn micros(t: SystemTime) -> i64 {
    micros_of(t.duration_since(UNIX_EPOCH).unwrap_or_default())
}

fn micros_of(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Claims of one site before a worker gives up crawling it and records it unreachable (each
/// try failed: the database refused its result, or the crawl panicked).
const MAX_ATTEMPTS: i32 = 3;

/// A claimed site's crawl: its result, or why it failed (a panic is caught, so that the claim
/// is known and given back).
type Crawled = (Claim, Result<SiteDone, String>);

/// Runs a worker until it is stopped (or, with `until_idle`, until there is no work left). A
/// database that does not answer is waited for, not given up on; the error returned is that of
/// giving the claims in flight back at the end.
pub async fn run(pool: &Pool, crawler: &Crawler, options: WorkerOptions) -> Result<WorkerReport, SweepError> {
    let name: Arc<str> = options.name.clone().into();
    let lease = chrono::Duration::from_std(options.lease).unwrap_or(chrono::Duration::MAX);
    let mut report = WorkerReport::default();
    let mut tasks: JoinSet<Crawled> = JoinSet::new();
    let mut heartbeat = tokio::time::interval((options.lease / 3).max(Duration::from_millis(100)));
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stop = options.stop.clone();
    let mut stop_closed = false;
    tracing::info!(worker = %name, "worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        let free = options.site_concurrency.saturating_sub(tasks.len());
        let mut found_none = false;
        if free > 0 {
            let now = Utc::now();
            let claims = match sweep_claims::claim(pool, &name, now, now + lease, free as i64).await {
                Ok(claims) => claims,
                Err(error) => {
                    // The database is away (a restart, a failover): try again after the poll.
                    tracing::warn!(worker = %name, %error, "could not claim sites; trying again");
                    Vec::new()
                }
            };
            found_none = claims.is_empty();
            for claim in claims {
                tasks.spawn(crawl_claimed(
                    pool.clone(),
                    crawler.clone(),
                    name.clone(),
                    claim,
                    options.max_pages,
                    options.seed_scheme.clone(),
                ));
            }
        }
        if tasks.is_empty() && found_none && options.until_idle {
            // Nothing to claim now; done unless sites held by others may still come free.
            match sweep_claims::work_left(pool).await {
                Ok(false) => break,
                Ok(true) => {}
                Err(error) => tracing::warn!(worker = %name, %error, "could not look for work left; trying again"),
            }
        }
        let waiting = found_none || free == 0;
        tokio::select! {
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                let Ok((claim, done)) = joined else { continue };
                match done {
                    Ok(done) if done.recorded => {
                        report.sites += 1;
                        report.pages += done.pages;
                    }
                    Ok(_) => {
                        report.lost += 1;
                        tracing::warn!(worker = %name, sweep.id = claim.sweep_id, site.code = %claim.badge_code,
                            "the claim ran out before the site was done; another worker records it");
                    }
                    Err(error) => {
                        if let Err(error) = after_failure(pool, &name, &claim, &error).await {
                            // The claim stays this worker's until its lease runs out; then
                            // another worker (or this one) tries the site again.
                            tracing::warn!(worker = %name, %error, site.code = %claim.badge_code, "could not give the site back");
                        }
                    }
                }
            },
            _ = heartbeat.tick() => {
                if let Err(error) = sweep_claims::renew(pool, &name, Utc::now() + lease).await {
                    tracing::warn!(worker = %name, %error, "could not renew the claims; trying again");
                }
            }
            () = tokio::time::sleep(options.poll), if waiting => {}
            changed = stop.changed(), if !stop_closed => stop_closed = changed.is_err(),
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    // Sites in flight go back at once instead of when the lease runs out.
    let released = sweep_claims::release(pool, &name).await?;
    tracing::info!(worker = %name, sites = report.sites, pages = report.pages, lost = report.lost, released, "worker stopped");
    Ok(report)
}

/// Crawls and records one claimed site.
async fn crawl_claimed(
    pool: Pool,
    crawler: Crawler,
    name: Arc<str>,
    claim: Claim,
    max_pages: usize,
    scheme: String,
) -> Crawled {
    use futures_util::FutureExt;
    let crawl = async {
        let row = sweeps::site(&pool, &claim.badge_code).await?;
        let into = Recording { sweep_id: claim.sweep_id, worker: Some(&name) };
        check_site_into(&pool, &crawler, into, &row, max_pages, &scheme).await
    };
    let done = match std::panic::AssertUnwindSafe(crawl).catch_unwind().await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("the site's crawl panicked".to_owned()),
    };
    (claim, done)
}

/// A claimed site whose crawl failed: given back for another try, or after
/// [`MAX_ATTEMPTS`] recorded unreachable so that the sweep can finish.
async fn after_failure(pool: &Pool, name: &str, claim: &Claim, error: &str) -> Result<(), SweepError> {
    tracing::warn!(worker = %name, sweep.id = claim.sweep_id, site.code = %claim.badge_code, attempts = claim.attempts, error,
        "the site's crawl failed");
    if claim.attempts >= MAX_ATTEMPTS {
        let into = Recording { sweep_id: claim.sweep_id, worker: Some(name) };
        super::sweep::record_unreachable(pool, into, &claim.badge_code).await?;
    } else {
        sweep_claims::give_back(pool, claim, name).await?;
    }
    Ok(())
}
