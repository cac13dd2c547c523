//! Hostile input against the service: login floods, oversized and malformed requests, text
//! that reorders itself on screen, caching that hides a counterfeit warning.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app_with, PASSWORD};

async fn api_login(client: &reqwest::Client, base: &str, name: &str, password: &str) -> u16 {
    client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "name": name, "password": password }))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
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
