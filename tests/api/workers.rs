//! Distributed sweeps: `govbadge sweep --workers` plans and waits while workers claim and crawl
//! the sites; every site is recorded once, also when a worker is killed mid-sweep; the pace per
//! host is shared by the workers through the database.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use govbadge::crawl::politeness::{Limits, Politeness};
use govbadge::crawl::Crawler;
use govbadge::service::sweep::{self, SweepOptions, SweepReport};
use govbadge::service::worker::{self, DatabasePace, WorkerOptions, WorkerReport};
use govbadge::store::{sweep_claims, sweeps, Pool};
use tokio::sync::watch;

use crate::helpers::*;
use crate::sweep::{badged_sites, count, crawling_command, serve_sites, PROCESS_PROGRESS};

const HOSTS: [&str; 6] = ["good1.test", "bad2.test", "good3.test", "bad4.test", "good5.test", "bad6.test"];

/// A crawler like a worker's (pace shared through the database) for the test sites on `port`.
fn worker_crawler(app: &TestApp, port: u16) -> Crawler {
    let mut config = app.ctx.config.crawl.clone();
    config.allow_private_addresses = true;
    config.per_host_rate = 20.0;
    config.resolve = HOSTS.iter().map(|h| ((*h).to_owned(), format!("127.0.0.1:{port}").parse().unwrap())).collect();
    let base = url::Url::parse("https://bs.example.gov.cn").unwrap();
    Crawler::shared(&config, base, DatabasePace::new(app.ctx.pool.clone())).unwrap()
}

fn worker_options(name: &str, lease: Duration, stop: watch::Receiver<bool>) -> WorkerOptions {
    WorkerOptions {
        name: name.to_owned(),
        lease,
        site_concurrency: 2,
        max_pages: 10,
        seed_scheme: "http".into(),
        poll: Duration::from_millis(50),
        until_idle: false,
        stop,
    }
}

/// Starts `govbadge sweep --workers` in this process: it plans the sweep and waits.
fn start_planned_sweep(pool: &Pool) -> (tokio::task::JoinHandle<SweepReport>, watch::Sender<bool>) {
    let (keep, never) = sweep::never_stop();
    let options = SweepOptions {
        scope: String::new(),
        resume: false,
        site_concurrency: 1,
        max_pages: 10,
        seed_scheme: "http".into(),
        stop: never,
    };
    let pool = pool.clone();
    (tokio::spawn(async move { sweep::run_by_workers(&pool, options).await.unwrap() }), keep)
}

/// Waits until the planned sweep lists its sites for the workers; returns its number.
async fn planned_sweep(pool: &Pool) -> i64 {
    wait_until("the sweep to list its sites for workers", PROCESS_PROGRESS, async || {
        count(pool, "SELECT COUNT(*) FROM sweep_claims").await == HOSTS.len() as i64
    })
    .await;
    count(pool, "SELECT MAX(sweep_id) FROM sweep_claims").await
}

async fn recorded_once(pool: &Pool, codes: &BTreeMap<String, String>) {
    let per_site: Vec<(String, i64)> = govbadge::on_pool!(pool, p => sqlx::query_as(
        "SELECT badge_code, COUNT(*) FROM sweep_sites GROUP BY badge_code ORDER BY badge_code",
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let mut want: Vec<(String, i64)> = codes.values().map(|c| (c.clone(), 1)).collect();
    want.sort();
    assert_eq!(per_site, want, "every site recorded once");
    assert_eq!(
        count(pool, "SELECT COUNT(*) FROM sweep_pages").await,
        count(pool, "SELECT COUNT(DISTINCT badge_code || url) FROM sweep_pages").await,
        "no page recorded twice"
    );
    assert_eq!(count(pool, "SELECT COUNT(*) FROM sweep_claims").await, 0, "no claim left");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_share_a_planned_sweep_and_record_every_site_once() {
    let app = spawn_app().await;
    let pool = app.ctx.pool.clone();
    let codes = badged_sites(&pool, &app, &HOSTS).await;
    let (port, log) = serve_sites(codes.clone()).await;
    let (sweep_task, _keep) = start_planned_sweep(&pool);
    planned_sweep(&pool).await;

    let (stop_workers, stop) = watch::channel(false);
    let workers: Vec<tokio::task::JoinHandle<WorkerReport>> = ["worker-a", "worker-b"]
        .into_iter()
        .map(|name| {
            let (pool, crawler, options) =
                (pool.clone(), worker_crawler(&app, port), worker_options(name, Duration::from_secs(30), stop.clone()));
            tokio::spawn(async move { worker::run(&pool, &crawler, options).await.unwrap() })
        })
        .collect();
    let report = tokio::time::timeout(Duration::from_secs(60), sweep_task).await.expect("the sweep ends").unwrap();
    stop_workers.send(true).unwrap();
    let mut done = Vec::new();
    for w in workers {
        done.push(w.await.unwrap());
    }

    assert!(!report.interrupted);
    assert_eq!((report.sites_total, report.sites_checked), (HOSTS.len(), HOSTS.len()));
    assert_eq!(report.pages, 4 * HOSTS.len(), "four pages a site");
    assert_eq!(done.iter().map(|w| w.sites).sum::<usize>(), HOSTS.len(), "{done:?}");
    assert!(done.iter().all(|w| w.sites >= 1 && w.lost == 0), "both workers crawled: {done:?}");
    recorded_once(&pool, &codes).await;
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM sweeps WHERE status = 'finished'").await, 1);
    // Each site was crawled once: robots.txt, sitemap.xml (both 404) and four pages.
    for host in HOSTS {
        assert_eq!(log.lock().unwrap().get(host).copied(), Some(6), "{host}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_workers_sites_are_claimed_again_after_its_lease_and_its_late_results_are_dropped() {
    let app = spawn_app().await;
    let pool = app.ctx.pool.clone();
    let codes = badged_sites(&pool, &app, &HOSTS).await;
    let (port, _log) = serve_sites(codes.clone()).await;
    let (sweep_task, _keep) = start_planned_sweep(&pool);
    let sweep_id = planned_sweep(&pool).await;

    // A worker claims three sites and dies without a word (as SIGKILL leaves it).
    let now = Utc::now();
    let lease = Duration::from_secs(2);
    let dead = sweep_claims::claim(&pool, "dead-worker", now, now + chrono::Duration::seconds(2), 3).await.unwrap();
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().all(|c| c.sweep_id == sweep_id && c.attempts == 1));
    let started = Instant::now();

    let (_stop_worker, stop) = watch::channel(false);
    let crawler = worker_crawler(&app, port);
    let live = {
        let (pool, options) = (pool.clone(), worker_options("live-worker", lease, stop));
        tokio::spawn(async move { worker::run(&pool, &crawler, options).await.unwrap() })
    };
    let report = tokio::time::timeout(Duration::from_secs(60), sweep_task).await.expect("the sweep ends").unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1900), "the dead worker's sites waited for its lease");
    assert_eq!(report.sites_checked, HOSTS.len());
    recorded_once(&pool, &codes).await;
    let retried: i64 = count(&pool, "SELECT COUNT(*) FROM sweep_sites").await;
    assert_eq!(retried, HOSTS.len() as i64);

    // The dead worker comes back and writes its result for a site it had claimed: dropped.
    let outcome = sweeps::SiteOutcome {
        code: &dead[0].badge_code,
        site_verdict: govbadge::domain::site_status::SiteVerdict::Compliant,
        pages: 1,
        compliant: 1,
        urls: 1,
        results: &[],
    };
    assert!(!sweeps::record_claimed_site(&pool, sweep_id, "dead-worker", &outcome, Utc::now()).await.unwrap());
    recorded_once(&pool, &codes).await;
    live.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_processes_finish_a_sweep_after_one_is_killed_with_sigkill() {
    let app = spawn_app().await;
    let pool = app.ctx.pool.clone();
    let codes = badged_sites(&pool, &app, &HOSTS).await;
    let (port, _log) = serve_sites(codes.clone()).await;
    let db = app.ctx.config.database.url.clone();
    let out = tempfile::tempdir().unwrap();

    let mut sweep = crawling_command(port, &HOSTS);
    sweep.args(["sweep", "--workers", "--database", &db, "--out"]).arg(out.path());
    let sweep = sweep.spawn().unwrap();
    let worker = |extra: &[&str]| {
        let mut cmd = crawling_command(port, &HOSTS);
        cmd.args(["worker", "--lease-seconds", "3", "--database", &db]).args(extra);
        cmd
    };
    let mut first = worker(&[]).spawn().unwrap();
    // Kill it once it has recorded a site and holds two others. It claims a site as soon as one
    // is done, so one of the two is freshly claimed, with a second of slow pages ahead of it:
    // at "holds one", that one could be recorded before the kill lands, leaving none held.
    wait_until("the first worker to record a site and hold two others", PROCESS_PROGRESS, async || {
        count(&pool, "SELECT COUNT(*) FROM sweep_sites").await >= 1
            && count(&pool, "SELECT COUNT(*) FROM sweep_claims WHERE worker IS NOT NULL").await >= 2
    })
    .await;
    first.kill().unwrap();
    first.wait().unwrap();
    let held = count(&pool, "SELECT COUNT(*) FROM sweep_claims WHERE worker IS NOT NULL").await;
    assert!(held >= 1, "the killed worker held sites");

    let second = {
        let mut cmd = worker(&["--until-idle"]);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let sweep_pid = sweep.id();
    let waited = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || sweep.wait_with_output().unwrap()),
    )
    .await;
    let Ok(output) = waited else {
        let _ = std::process::Command::new("kill").arg(sweep_pid.to_string()).status();
        panic!("the sweep did not finish within a minute");
    };
    let output = output.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("巡检完成"), "{stdout}");
    let second = second.await.unwrap();
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stdout).contains("本工作进程共检查站点"));
    recorded_once(&pool, &codes).await;
    // The reports cover every site.
    let dir = std::fs::read_dir(out.path()).unwrap().next().unwrap().unwrap().path();
    assert_eq!(std::fs::read_to_string(dir.join("sites.csv")).unwrap().lines().count(), HOSTS.len() + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_share_one_pace_per_host_through_the_database() {
    let app = spawn_app().await;
    let limits = Limits {
        per_host_rate: 10.0,
        per_host_concurrency: 4,
        per_ip_rate: 1000.0,
        per_ip_concurrency: 8,
        global_concurrency: 64,
    };
    let a = Arc::new(Politeness::shared(limits, DatabasePace::new(app.ctx.pool.clone())));
    let b = Arc::new(Politeness::shared(limits, DatabasePace::new(app.ctx.pool.clone())));
    let started = Instant::now();
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let politeness = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                drop(politeness.enter("www.example.gov.cn", Some("192.0.2.9".parse().unwrap()), None).await);
                started.elapsed()
            })
        })
        .collect();
    let mut starts = Vec::new();
    for task in tasks {
        starts.push(task.await.unwrap());
    }
    starts.sort();
    // Ten a second from both workers together: the k-th request starts no sooner than k × 100 ms
    // after the first could (a lower bound, whatever the database's latency; 5 ms for the two
    // clocks). Paced apart, the two workers would each start one at once.
    for (k, start) in starts.iter().enumerate() {
        assert!(*start + Duration::from_millis(5) >= Duration::from_millis(100) * k as u32, "{starts:?}");
    }
    assert_eq!(count(&app.ctx.pool, "SELECT COUNT(*) FROM crawl_pace").await, 2, "one row per host and per address");

    // A host last visited two hours ago is pruned; the hosts just visited are kept.
    let now_us = Utc::now().timestamp_micros();
    let two_hours_us = 2 * 3600 * 1_000_000;
    let old =
        govbadge::store::crawl_pace::reserve(&app.ctx.pool, "host:old.example.gov.cn", now_us - two_hours_us, 1_000)
            .await
            .unwrap();
    assert_eq!(old, now_us - two_hours_us, "a free key's reservation starts when asked");
    let pruned = govbadge::store::crawl_pace::prune(&app.ctx.pool, now_us - two_hours_us / 2).await.unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(count(&app.ctx.pool, "SELECT COUNT(*) FROM crawl_pace").await, 2);
}
