//! Sweeps: every badged site crawled and recorded; a sweep killed with SIGKILL resumes without
//! fetching finished sites again and without duplicate results; site statuses and deadlines.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::Router;
use chrono::Utc;
use govbadge::domain::account::Role;
use govbadge::domain::region::{Level, RegionCode};
use govbadge::store;
use govbadge::store::Pool;

use crate::helpers::*;

type HostLog = Arc<Mutex<BTreeMap<String, usize>>>;

/// One server for many sites: answers by Host header, slowly enough for a sweep to be killed
/// midway. Sites named `good*` carry their badge (the code is in the page's host map).
pub async fn serve_sites(codes: BTreeMap<String, String>) -> (u16, HostLog) {
    let log: HostLog = Default::default();
    let log2 = log.clone();
    let app = Router::new().fallback(move |headers: HeaderMap, uri: axum::http::Uri| {
        let log = log2.clone();
        let codes = codes.clone();
        async move {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().split(':').next().unwrap_or_default().to_owned();
            *log.lock().unwrap().entry(host.clone()).or_default() += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let badge = match codes.get(&host) {
                Some(code) if host.starts_with("good") => {
                    format!("<a href=\"https://bs.example.gov.cn/verify/{code}\"><img src=\"https://bs.example.gov.cn/badge/{code}.svg\"></a>")
                }
                _ => String::new(),
            };
            let body = match uri.path() {
                "/" => format!("<html><body><a href=\"/p1\">1</a><a href=\"/p2\">2</a><a href=\"/p3\">3</a>{badge}</body></html>"),
                "/p1" | "/p2" | "/p3" => format!("<html><body>内容{badge}</body></html>"),
                _ => return (axum::http::StatusCode::NOT_FOUND, "").into_response(),
            };
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, log)
}

/// A unit with a badged site for each host; returns host → code.
pub async fn badged_sites(pool: &Pool, app: &TestApp, hosts: &[&str]) -> BTreeMap<String, String> {
    let unit = app.account("清丰县人民政府.政务", Role::Unit, Some(Level::County), Some("410922")).await;
    let region = RegionCode::parse("410922").unwrap();
    let mut out = BTreeMap::new();
    for host in hosts {
        let mut input = valid_input();
        input.domain_en = (*host).into();
        input.domain_cn = String::new();
        let form = input.parse().unwrap();
        let mut tx = pool.begin().await.unwrap();
        let id = store::applications::create_draft(&mut tx, unit, &form, Utc::now()).await.unwrap();
        // Far enough ahead that the server's scheduled checks (on the days before the deadline)
        // never fall due while a test runs, whatever the day.
        let due = govbadge::domain::calendar::today_in_china(Utc::now()) + chrono::Days::new(60);
        let code = store::badges::issue(&mut tx, id, unit, &region, Utc::now(), due).await.unwrap();
        tx.commit().await.unwrap();
        out.insert((*host).to_owned(), code.to_string());
    }
    out
}

fn sweep_command(db: &str, port: u16, hosts: &[&str], out: &std::path::Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = crawling_command(port, hosts);
    cmd.arg("sweep").arg("--database").arg(db).arg("--out").arg(out).args(extra);
    cmd
}

/// `govbadge` with the sites of `hosts` pinned to the test server on `port`; the caller adds
/// the command.
pub fn crawling_command(port: u16, hosts: &[&str]) -> std::process::Command {
    let resolve: Vec<String> = hosts.iter().map(|h| format!("\"{h}\" = \"127.0.0.1:{port}\"")).collect();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_govbadge"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GOVBADGE_CRAWL__RESOLVE", format!("{{ {} }}", resolve.join(", ")))
        .env("GOVBADGE_CRAWL__PER_HOST_RATE", "20")
        .env("GOVBADGE_CRAWL__PER_IP_RATE", "1000")
        .env("GOVBADGE_CRAWL__SWEEP_SITE_CONCURRENCY", "2")
        .env("GOVBADGE_BADGE__BASE_URL", "https://bs.example.gov.cn")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

pub async fn count(pool: &Pool, sql: &str) -> i64 {
    govbadge::on_pool!(pool, p => sqlx::query_scalar(sql).fetch_one(p).await).unwrap()
}

/// How long the tests that kill a crawling process wait for it to get somewhere first: fresh
/// processes on a busy CI machine can take seconds to.
pub const PROCESS_PROGRESS: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_sweep_resumes_without_refetching_or_duplicates() {
    let app = spawn_app().await;
    let pool = app.ctx.pool.clone();
    let hosts =
        ["good1.test", "good2.test", "bad3.test", "bad4.test", "good5.test", "bad6.test", "good7.test", "bad8.test"];
    let codes = badged_sites(&pool, &app, &hosts).await;
    let (port, log) = serve_sites(codes).await;
    let db = app.ctx.config.database.url.clone();
    let out = tempfile::tempdir().unwrap();

    let mut first = sweep_command(&db, port, &hosts, out.path(), &[]).spawn().unwrap();
    // Kill it with SIGKILL once some sites are done and before all are.
    wait_until("two sites recorded", PROCESS_PROGRESS, async || {
        count(&pool, "SELECT COUNT(*) FROM sweep_sites").await >= 2
    })
    .await;
    first.kill().unwrap();
    first.wait().unwrap();
    let done_before: Vec<String> =
        govbadge::on_pool!(&pool, p => sqlx::query_scalar("SELECT badge_code FROM sweep_sites").fetch_all(p).await)
            .unwrap();
    assert!(done_before.len() >= 2 && done_before.len() < hosts.len(), "killed midway: {} done", done_before.len());
    let requests_before = log.lock().unwrap().clone();

    let status = {
        let mut resume = sweep_command(&db, port, &hosts, out.path(), &["--resume"]);
        tokio::task::spawn_blocking(move || resume.output().unwrap()).await.unwrap()
    };
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stdout));
    assert!(String::from_utf8_lossy(&status.stdout).contains("巡检完成"));

    // One sweep, every site once, no duplicate page rows.
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM sweeps").await, 1);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM sweeps WHERE status = 'finished'").await, 1);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM sweep_sites").await, hosts.len() as i64);
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM sweep_pages").await,
        count(&pool, "SELECT COUNT(DISTINCT badge_code || url) FROM sweep_pages").await
    );
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM sweep_pages").await, 4 * hosts.len() as i64);
    // Sites finished before the kill were not fetched again.
    let after = log.lock().unwrap().clone();
    let code_to_host: BTreeMap<String, String> = govbadge::on_pool!(&pool, p => sqlx::query_as::<_, (String, String)>(
        "SELECT b.code, a.domain_en FROM badges b JOIN applications a ON a.id = b.application_id",
    )
    .fetch_all(p)
    .await)
    .unwrap()
    .into_iter()
    .collect();
    for code in &done_before {
        let host = &code_to_host[code];
        assert_eq!(after.get(host), requests_before.get(host), "{host} was fetched again");
    }
    // Verdicts by site.
    let verdicts: BTreeMap<String, String> = govbadge::on_pool!(&pool, p => sqlx::query_as::<_, (String, String)>("SELECT a.domain_en, s.site_verdict FROM sweep_sites s JOIN badges b ON b.code = s.badge_code JOIN applications a ON a.id = b.application_id")
        .fetch_all(p)
        .await)
        .unwrap()
        .into_iter()
        .collect();
    for host in hosts {
        let want = if host.starts_with("good") { "compliant" } else { "non_compliant" };
        assert_eq!(verdicts[host], want, "{host}");
    }
    // The reports are there: a header and one line per site.
    let dir = std::fs::read_dir(out.path()).unwrap().next().unwrap().unwrap().path();
    let sites = std::fs::read_to_string(dir.join("sites.csv")).unwrap();
    assert_eq!(sites.lines().count(), hosts.len() + 1);
    assert!(dir.join("report.xlsx").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_cleanly_and_says_how_to_resume() {
    let app = spawn_app().await;
    let pool = app.ctx.pool.clone();
    let hosts = ["good1.test", "bad2.test", "good3.test", "bad4.test", "good5.test", "bad6.test"];
    let codes = badged_sites(&pool, &app, &hosts).await;
    let (port, _log) = serve_sites(codes).await;
    let db = app.ctx.config.database.url.clone();
    let out = tempfile::tempdir().unwrap();
    let child = sweep_command(&db, port, &hosts, out.path(), &["--region", "410900"]).spawn().unwrap();
    wait_until("a site recorded", PROCESS_PROGRESS, async || {
        count(&pool, "SELECT COUNT(*) FROM sweep_sites").await >= 1
    })
    .await;
    let interrupt = std::process::Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap();
    assert!(interrupt.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stdout.contains("govbadge sweep --resume --region 410900"), "{stdout}");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM sweeps WHERE status = 'interrupted' AND scope = '4109'").await, 1);
    let resumed = {
        let mut cmd = sweep_command(&db, port, &hosts, out.path(), &["--resume", "--region", "410900"]);
        tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
    };
    assert!(resumed.status.success());
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM sweep_sites").await, hosts.len() as i64);
}
