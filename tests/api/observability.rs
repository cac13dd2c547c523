//! `/healthz`, `/readyz` and `/metrics`: the probes answer, the metrics are the Prometheus
//! text format with routes as templates, and only the bearer of the token sees them.

use crate::helpers::*;

const TOKEN: &str = "scrape-token-for-tests";

#[tokio::test]
async fn metrics_count_requests_by_route_template_for_the_token_bearer_only() {
    let app = spawn_app_with(|c| c.server.metrics_token = Some(TOKEN.into())).await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client.get(format!("{}/badge/{code}.js", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = client.get(format!("{}/badge/4109220000000.js", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(client.get(format!("{}/no-such-page", app.base)).send().await.unwrap().status(), 404);
    // Made-up methods are one label, not one series each.
    for method in ["BREW", "PROPFIND"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        client.request(method, format!("{}/healthz", app.base)).send().await.unwrap();
    }

    // No token, a wrong one, a token in the wrong scheme: 401, and nothing of the metrics.
    for auth in [None, Some("Bearer wrong"), Some(&*format!("Basic {TOKEN}"))] {
        let mut request = client.get(format!("{}/metrics", app.base));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert!(!r.text().await.unwrap().contains("govbadge_"));
    }

    let r = client.get(format!("{}/metrics", app.base)).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    // The route is the router's template, never the code: one series for every badge.
    assert!(
        text.contains("govbadge_http_requests_total{route=\"/badge/{file}\",method=\"GET\",status=\"200\"} 3\n"),
        "{text}"
    );
    assert!(text.contains("govbadge_http_requests_total{route=\"/badge/{file}\",method=\"GET\",status=\"404\"} 1\n"));
    assert!(text.contains("govbadge_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"));
    assert!(!text.contains(&code), "no badge code as a label");
    assert!(
        text.contains("govbadge_http_requests_total{route=\"/healthz\",method=\"OTHER\",status=\"405\"} 2\n"),
        "{text}"
    );
    assert!(!text.contains("BREW") && !text.contains("PROPFIND"));
    assert!(text.contains("govbadge_http_request_duration_seconds_count{route=\"/badge/{file}\",method=\"GET\"} 4\n"));
    assert!(text.contains(
        "govbadge_http_request_duration_seconds_bucket{route=\"/badge/{file}\",method=\"GET\",le=\"+Inf\"} 4\n"
    ));
    assert!(text.contains("govbadge_badges_published 1\n"), "{text}");
    assert!(text.contains("govbadge_database_up 1\n"));
    assert!(text.contains("govbadge_sweeps_running 0\n"));
    // The issuance queued notices (SMS and e-mail to the unit): the outbox's gauges count them.
    let queued = app.count("outbox").await;
    assert!(queued > 0);
    let gauge = |state: &str| -> i64 {
        let prefix = format!("govbadge_outbox_messages{{state=\"{state}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap().parse().unwrap()
    };
    assert_eq!(gauge("pending") + gauge("sent") + gauge("failed"), queued);
    // Every sample line is `name{labels} value` or `name value`; comments are HELP and TYPE.
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(comment.starts_with("HELP govbadge_") || comment.starts_with("TYPE govbadge_"), "{line}");
        } else {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(line.starts_with("govbadge_"), "{line}");
        }
    }

    // A sweep left to workers: the worker holding sites under a lease shows, its name escaped.
    let now = chrono::Utc::now();
    let pool = &app.ctx.pool;
    let sweep = govbadge::store::sweeps::start(pool, "sweep", "", 1, now).await.unwrap();
    assert_eq!(govbadge::store::sweep_claims::plan(pool, sweep, "").await.unwrap(), 1);
    let worker = "host-7-\"w\"";
    let claimed = govbadge::store::sweep_claims::claim(pool, worker, now, now + chrono::Duration::seconds(60), 5).await;
    assert_eq!(claimed.unwrap().len(), 1);
    let text =
        client.get(format!("{}/metrics", app.base)).bearer_auth(TOKEN).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("govbadge_worker_sites_claimed{worker=\"host-7-\\\"w\\\"\"} 1\n"), "{text}");
    let left: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("govbadge_worker_lease_seconds_left{worker=\"host-7-\\\"w\\\"\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((50.0..=60.0).contains(&left), "{left}");
}

#[tokio::test]
async fn without_a_token_there_are_no_metrics_and_the_probes_answer() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let r = client.get(format!("{}/metrics", app.base)).bearer_auth("anything").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (200, "ok".to_owned()));
    let r = client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), (200, "ready\n".to_owned()));
    // The database gone: not ready (503), while the process still answers /healthz.
    app.ctx.pool.close().await;
    let r = client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.text().await.unwrap(), "database unavailable\n");
    assert_eq!(client.get(format!("{}/healthz", app.base)).send().await.unwrap().status(), 200);
}
