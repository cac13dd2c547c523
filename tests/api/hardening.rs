//! Hostile input against the service: login floods, oversized and malformed requests, text
//! that reorders itself on screen, caching that hides a counterfeit warning.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{issued_badge, spawn_app_with, valid_input, PASSWORD};

pub async fn api_login(client: &reqwest::Client, base: &str, name: &str, password: &str) -> u16 {
    client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "name": name, "password": password }))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

#[tokio::test]
async fn parallel_guesses_never_pass_the_account_lock() {
    let app = spawn_app_with(|c| c.auth.max_failures_per_account = 5).await;
    app.cast().await;
    let client = reqwest::Client::new();
    let guesses =
        (0..300).map(|i| api_login(&client, &app.base, "清丰县人民政府.政务", if i % 2 == 0 { "x" } else { "y" }));
    let statuses = join_all(guesses).await;
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(wrong, 5, "exactly the account's attempts were checked: {statuses:?}");
    assert_eq!(wrong + refused, 300, "every other guess was refused at once, none failed: {statuses:?}");
    // Locked: even the right password waits for the window.
    assert_eq!(api_login(&client, &app.base, "清丰县人民政府.政务", PASSWORD).await, 429);
    // The service is still there for everybody else.
    assert_eq!(api_login(&client, &app.base, "清丰县编办.政务", PASSWORD).await, 201);
}

#[tokio::test]
async fn a_flood_across_accounts_is_shed_not_queued() {
    let app = spawn_app_with(|c| {
        c.auth.max_failures_per_account = 1000;
        c.auth.max_failures_per_address = 1000;
    })
    .await;
    app.cast().await;
    let client = reqwest::Client::new();
    let names = ["清丰县人民政府.政务", "南乐县教育局.政务", "清丰县编办.政务", "濮阳市编办.政务", "nobody"];
    let guesses = (0..400).map(|i| api_login(&client, &app.base, names[i % names.len()], "wrong"));
    let statuses = join_all(guesses).await;
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "only refusals, no 5xx: {statuses:?}");
    assert!(statuses.contains(&429), "past the hashing queue, attempts are shed at once");
    assert!(statuses.contains(&401));
    // Once the flood is over a right password signs in straight away.
    assert_eq!(api_login(&client, &app.base, "南乐县教育局.政务", PASSWORD).await, 201);
}

#[tokio::test]
async fn an_address_with_many_failures_is_slowed_but_a_right_password_still_signs_in() {
    let app = spawn_app_with(|c| {
        c.auth.max_failures_per_address = 4;
        c.auth.max_failures_per_account = 100;
    })
    .await;
    app.cast().await;
    let client = reqwest::Client::new();
    for _ in 0..6 {
        assert_eq!(api_login(&client, &app.base, "清丰县人民政府.政务", "wrong").await, 401);
    }
    // Behind one NAT address, a colleague with the right password is let in, after a pause.
    let started = Instant::now();
    assert_eq!(api_login(&client, &app.base, "南乐县教育局.政务", PASSWORD).await, 201);
    assert!(started.elapsed() >= Duration::from_secs(1), "an address past its limit is slowed down");
}

#[tokio::test]
async fn a_flood_of_beaconed_hosts_cannot_hide_a_real_counterfeit() {
    let app = spawn_app_with(|c| {
        c.badge.base_url = "https://bs.example.gov.cn".parse().unwrap();
        c.badge.beacons_per_minute = 10_000;
    })
    .await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cap = govbadge::badge::sightings::MAX_HOSTS_PER_CODE;
    for i in 0..(cap + 50) {
        let r = client
            .post(format!("{}/badge/{code}/sighting", app.base))
            .body(format!("flood{i}.example"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    app.ctx.sightings.flush(&app.ctx.pool).await.unwrap();
    // A real counterfeit: pages of another host load the badge script.
    for page in ["/", "/news/1.html"] {
        let r = client
            .get(format!("{}/badge/{code}.js", app.base))
            .header(reqwest::header::REFERER, format!("http://counterfeit.example{page}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    app.ctx.sightings.flush(&app.ctx.pool).await.unwrap();
    let hosts: Vec<String> =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT host FROM badge_sightings WHERE code = $1")
        .bind(&code)
        .fetch_all(p).await)
        .unwrap();
    assert_eq!(hosts.len() as i64, cap, "the bound holds");
    assert!(hosts.iter().any(|h| h == "counterfeit.example"), "the real counterfeit is recorded despite the flood");
    let (evicted, dropped): (i64, i64) =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT evicted, dropped FROM sighting_evictions WHERE code = $1")
            .bind(&code)
            .fetch_one(p).await)
            .unwrap();
    assert_eq!((evicted, dropped), (1, 50), "one-off beacons past the bound are dropped; the counterfeit evicts one");
    let page = app.browser("濮阳市监督.政务").await.text("/sightings").await;
    assert!(page.contains("记录上限提示") && page.contains("counterfeit.example"));
}

#[tokio::test]
async fn the_verification_page_is_cached_apart_per_referer() {
    let app = spawn_app_with(|c| c.badge.base_url = "https://bs.example.gov.cn".parse().unwrap()).await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let r = reqwest::Client::new()
        .get(format!("{}/verify/{code}", app.base))
        .header(reqwest::header::REFERER, "http://counterfeit.example/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["vary"], "Referer");
    assert!(r.headers()["cache-control"].to_str().unwrap().starts_with("private"));
}

#[tokio::test]
async fn text_that_reorders_itself_is_refused_per_field() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let owner = app.api("清丰县人民政府.政务").await;
    for sneaky in ["清丰县\u{202e}府政民人", "清丰县\u{2066}人民政府", "清丰县\u{2028}人民政府"] {
        let mut body = serde_json::to_value(valid_input()).unwrap();
        body["unit_name"] = json!(sneaky);
        let (status, answer) = owner.post("/api/v1/applications", body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["fields"]["unit_name"].as_str().unwrap().contains("显示方向"), "{answer}");
    }
}

#[tokio::test]
async fn oversized_bodies_get_413_in_the_form_they_were_asked_in() {
    let app = spawn_app_with(|_| {}).await;
    let client = reqwest::Client::new();
    let big = "x".repeat(3 * 1024 * 1024);
    let r = client
        .post(format!("{}/api/v1/sessions", app.base))
        .header("content-type", "application/json")
        .body(format!("{{\"name\":\"{big}\",\"password\":\"x\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // The rest of the body is left unread: the client is told not to send more on this
    // connection (it would find it closed).
    assert_eq!(r.headers()["connection"], "close");
    assert!(r.json::<serde_json::Value>().await.unwrap()["error"].is_string(), "the API answers JSON");

    let r = client
        .post(format!("{}/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={big}&password=x&csrf=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["connection"], "close");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("提交的内容过大"));
}
