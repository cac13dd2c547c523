//! Scheduled checks: the server checks each newly badged site on its install deadline day, and
//! on the configured reminder days before it, without anyone starting a sweep; then the
//! enforcement rules run over the results.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};

use super::Context;
use crate::domain::calendar::{china_offset, today_in_china};
use crate::domain::site_status::SiteVerdict;
use crate::service::sweep::{check_site, SweepError};
use crate::store::{leases, sweeps};

/// The lease that makes one instance of several do a round at a time.
const ROUND_LEASE: &str = "scheduled_round";

/// How long a round's lease lasts without renewal; the holder renews it after each site.
const ROUND_LEASE_MINUTES: i64 = 30;

/// Runs until the task is aborted. Of several instances sharing the database, the one holding
/// the round's lease runs each round; the others skip it.
pub async fn run(ctx: Context) {
    if ctx.config.crawl.schedule_poll_minutes == 0 {
        tracing::info!("scheduled rounds are off in this instance (crawl.schedule_poll_minutes = 0)");
        return;
    }
    let every = Duration::from_secs(ctx.config.crawl.schedule_poll_minutes * 60);
    loop {
        match hold_round_lease(&ctx).await {
            Ok(true) => {
                round(&ctx).await;
                release_round_lease(&ctx).await;
            }
            Ok(false) => tracing::debug!("another instance runs this round"),
            Err(error) => tracing::error!(%error, "round lease not taken"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Gives the round's lease up, trying again for a while if the database is busy: a lease left
/// behind holds every other instance's rounds off until it runs out.
async fn release_round_lease(ctx: &Context) {
    const ATTEMPTS: u32 = 5;
    for attempt in 1..=ATTEMPTS {
        match leases::release(&ctx.pool, ROUND_LEASE, &ctx.instance).await {
            Ok(()) => return,
            Err(error) if attempt == ATTEMPTS => {
                tracing::warn!(%error, "round lease not released (it runs out by itself)");
            }
            Err(error) => {
                tracing::debug!(%error, attempt, "round lease not released yet; trying again");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        }
    }
}

/// Takes or renews the round's lease for this instance.
pub async fn hold_round_lease(ctx: &Context) -> Result<bool, crate::store::StoreError> {
    let now = Utc::now();
    leases::acquire(&ctx.pool, ROUND_LEASE, &ctx.instance, now, now + chrono::Duration::minutes(ROUND_LEASE_MINUTES))
        .await
}

/// One round: the checks due today, then the enforcement rules.
async fn round(ctx: &Context) {
    match run_due(ctx, Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sites = n, "scheduled checks done"),
        Err(error) => tracing::error!(error = format!("{error:#}"), "scheduled checks failed"),
    }
    match super::enforcement::run(&ctx.pool, &ctx.config, &ctx.calendar, today_in_china(Utc::now())).await {
        Ok(sent) if sent.total() > 0 => {
            ctx.outbox_wake.notify_one();
            tracing::info!(?sent, "enforcement notices queued");
        }
        Ok(_) => {}
        Err(error) => tracing::error!(error = format!("{error:#}"), "enforcement notices failed"),
    }
}

/// Checks every active, not yet compliant site whose check is due today (China time) and has not
/// run today. Returns how many sites were checked.
pub async fn run_due(ctx: &Context, now: DateTime<Utc>) -> Result<usize, SweepError> {
    let today = today_in_china(now);
    let start_of_day = china_offset()
        .from_local_datetime(&today.and_time(NaiveTime::MIN))
        .single()
        .map_or(now, |t| t.with_timezone(&Utc));
    let mut due = Vec::new();
    for site in sweeps::sites(&ctx.pool, "").await? {
        if site.status != crate::domain::badge::BadgeStatus::Active || today > site.install_due {
            continue;
        }
        let left = ctx.calendar.working_days_between(today, site.install_due);
        let is_day = today == site.install_due || ctx.config.crawl.reminder_check_days.contains(&left);
        if !is_day || sweeps::scheduled_on(&ctx.pool, &site.code, start_of_day).await? {
            continue;
        }
        let already = sweeps::latest_result(&ctx.pool, &site.code).await?;
        if already.is_some_and(|r| r.site_verdict == SiteVerdict::Compliant) && today != site.install_due {
            continue;
        }
        due.push(site);
    }
    if due.is_empty() {
        return Ok(0);
    }
    let sweep_id = sweeps::start(&ctx.pool, "scheduled", "", due.len() as i64, now).await?;
    let pages = ctx.config.crawl.scheduled_check_pages;
    let scheme = ctx.config.crawl.seed_scheme.clone();
    for site in &due {
        check_site(&ctx.pool, &ctx.crawler, sweep_id, site, pages, &scheme).await?;
        if !hold_round_lease(ctx).await? {
            tracing::warn!("the round's lease passed to another instance; it checks the rest");
            break;
        }
    }
    sweeps::set_status(&ctx.pool, sweep_id, "finished", Utc::now()).await?;
    Ok(due.len())
}
