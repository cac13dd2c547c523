//! The units' self-check from the portal, and the checks the server schedules by itself.

use std::time::Duration;

use chrono::Utc;
use govbadge::config::Config;

use crate::helpers::*;
use crate::sweep::{badged_sites, serve_sites};

fn crawl_to(config: &mut Config, port: u16, hosts: &[&str]) {
    config.crawl.allow_private_addresses = true;
    config.crawl.per_host_rate = 50.0;
    config.badge.base_url = "https://bs.example.gov.cn".parse().unwrap();
    for h in hosts {
        config.crawl.resolve.insert((*h).to_owned(), ([127, 0, 0, 1], port).into());
    }
}

/// A test site server started before the app, so the app's resolver can point at it.
pub async fn setup(
    hosts: &[&str],
    configure: impl FnOnce(&mut Config),
) -> (TestApp, std::collections::BTreeMap<String, String>) {
    // The app's resolver needs the site server's port, the site server needs the codes the app
    // issues: reserve a port first, serve on it once the badges exist.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let hosts_owned: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
    let app = spawn_app_with(|c| {
        crawl_to(c, port, &hosts_owned.iter().map(String::as_str).collect::<Vec<_>>());
        configure(c);
    })
    .await;
    let issued = badged_sites(&app.ctx.pool, &app, hosts).await;
    serve_sites_on(port, issued.clone()).await;
    (app, issued)
}

/// Serves the test sites on `port` (`serve_sites` binds its own port; this forwards to it).
async fn serve_sites_on(port: u16, codes: std::collections::BTreeMap<String, String>) {
    let (inner, _log) = serve_sites(codes).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { break };
            tokio::spawn(async move {
                if let Ok(mut upstream) = tokio::net::TcpStream::connect(("127.0.0.1", inner)).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unit_checks_its_own_page_only_and_within_limits() {
    let (app, codes) = setup(&["good1.test", "bad2.test"], |c| c.self_check.page_checks_per_hour = 3).await;
    let unit = app.browser("清丰县人民政府.政务").await;
    let form = unit.text("/self-check").await;
    assert!(form.contains("检查一个网页") && form.contains(&codes["good1.test"]));

    let r = unit.post("/self-check/page", &[("code", &codes["good1.test"]), ("url", "http://good1.test/p1")]).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("检查结果：合规"), "{page}");

    let r = unit.post("/self-check/page", &[("code", &codes["bad2.test"]), ("url", "http://bad2.test/")]).await;
    let page = html_unescape(&r.text().await.unwrap());
    assert!(page.contains("检查结果：未加挂网站标识") && page.contains("</body>前"), "{page}");
    // What the unit found shows on its portal.
    let portal = html_unescape(&unit.text("/portal").await);
    assert!(
        portal.contains("最近一次检查发现问题：未加挂网站标识") && portal.contains("http://bad2.test/"),
        "{portal}"
    );

    // Another domain, even a registered one of another site, is refused before any request.
    let r = unit.post("/self-check/page", &[("code", &codes["good1.test"]), ("url", "http://bad2.test/")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只能检查本网站登记的域名下的网页"));
    let r = unit.post("/self-check/page", &[("code", &codes["good1.test"]), ("url", "not a url")]).await;
    assert_eq!(r.status(), 422);

    // The third real check is the last this hour (an address typed without http:// is taken).
    let r = unit.post("/self-check/page", &[("code", &codes["good1.test"]), ("url", "www.good1.test/p2")]).await;
    assert_eq!(r.status(), 200);
    let r = unit.post("/self-check/page", &[("code", &codes["good1.test"]), ("url", "http://good1.test/p3")]).await;
    assert_eq!(r.status(), 429);

    // Other roles and other units cannot use it on these sites.
    app.account(
        "南乐县教育局.政务",
        govbadge::domain::account::Role::Unit,
        Some(govbadge::domain::region::Level::County),
        Some("410923"),
    )
    .await;
    let other = app.browser("南乐县教育局.政务").await;
    let r = other.post("/self-check/page", &[("code", &codes["good1.test"]), ("url", "http://good1.test/")]).await;
    assert_eq!(r.status(), 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_site_self_check_runs_in_the_background() {
    let (app, codes) = setup(&["bad1.test"], |_| {}).await;
    let unit = app.browser("清丰县人民政府.政务").await;
    let r = unit.post("/self-check/site", &[("code", &codes["bad1.test"])]).await;
    assert_eq!(r.status(), 303);
    let run = r.headers()["location"].to_str().unwrap().to_owned();
    let mut page = String::new();
    for _ in 0..300 {
        page = html_unescape(&unit.text(&run).await);
        if page.contains("已完成") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(page.contains("已完成") && page.contains("已检查 4 个页面，合规 0 个"), "{page}");
    assert!(page.contains("http://bad1.test/p3") && page.contains("请将标识代码复制并粘贴到页面代码的</body>前"));
    // Nobody else sees the run.
    app.account(
        "南乐县教育局.政务",
        govbadge::domain::account::Role::Unit,
        Some(govbadge::domain::region::Level::County),
        Some("410923"),
    )
    .await;
    assert_eq!(app.browser("南乐县教育局.政务").await.get(&run).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_checks_sites_on_their_deadline_and_reminder_days() {
    let (app, codes) = setup(&["good1.test", "bad2.test", "bad3.test"], |_| {}).await;
    let now = Utc::now();
    let today = govbadge::domain::calendar::today_in_china(now);
    let cal = &app.ctx.calendar;
    // good1 is due today, bad2 in two working days (a reminder day), bad3 in three.
    let in_two = cal.add_working_days(today, 2).date;
    let in_three = cal.add_working_days(today, 3).date;
    for (host, due) in [("good1.test", today), ("bad2.test", in_two), ("bad3.test", in_three)] {
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE badges SET install_due = $1 WHERE code = $2")
            .bind(due)
            .bind(&codes[host])
            .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
    }
    let checked = govbadge::service::schedule::run_due(&app.ctx, now).await.unwrap();
    // Two working days are left for bad2 (a reminder day), three for bad3 (not a check day).
    assert_eq!(checked, 2);
    let verdicts: Vec<(String, String)> =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT badge_code, site_verdict FROM sweep_sites ORDER BY badge_code")
            .fetch_all(p).await)
            .unwrap();
    assert!(verdicts.contains(&(codes["good1.test"].clone(), "compliant".into())));
    assert!(!verdicts.iter().any(|(c, _)| *c == codes["bad3.test"]));
    // Once a day: a second pass the same day checks nothing.
    assert_eq!(govbadge::service::schedule::run_due(&app.ctx, now).await.unwrap(), 0);
}
