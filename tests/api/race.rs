//! Concurrency: two reviewers acting on the same application at the same moment (exactly one
//! succeeds, the other is told it changed), and badge issuance exactly once per site.

use std::collections::BTreeSet;

use govbadge::domain::badge::BadgeCode;

use crate::helpers::*;
use crate::workflow::submitted;

async fn submitted_application(app: &TestApp, owner: &Api, n: usize) -> i64 {
    let mut input = valid_input();
    input.domain_en = format!("site{n}.qingfeng.gov.cn");
    let (status, body) = owner.post("/api/v1/applications", submitted(input)).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(app.state_of(id).await, "county_review");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_reviewers_at_once_exactly_one_succeeds() {
    let app = spawn_app().await;
    app.cast().await;
    let owner = app.api("清丰县人民政府.政务").await;
    let a = app.api("清丰县编办.政务").await;
    let b = app.api("清丰县编办二.政务").await;
    for n in 0..8 {
        let id = submitted_application(&app, &owner, n).await;
        let version = app.version_of(id).await;
        let path = format!("/api/v1/applications/{id}/review");
        // One approves, the other rejects, at the same version and the same moment.
        let (ra, rb) = tokio::join!(
            a.post(
                &path,
                serde_json::json!({ "version": version, "decision": "approve", "checklist": all_checklist_keys() })
            ),
            b.post(&path, serde_json::json!({ "version": version, "decision": "reject", "reason": "重复" })),
        );
        let mut statuses = [ra.0, rb.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {n}: {ra:?} {rb:?}");
        let loser = if ra.0 == 409 { &ra.1 } else { &rb.1 };
        assert!(loser["error"].as_str().unwrap().contains("已被他人处理或修改"));
        let events: i64 = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM application_events WHERE application_id = $1")
            .bind(id)
            .fetch_one(p).await)
            .unwrap();
        assert_eq!(events, 2, "submit plus exactly one decision");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_badge_is_issued_exactly_once_and_codes_never_repeat() {
    let app = spawn_app().await;
    app.cast().await;
    let owner = app.api("清丰县人民政府.政务").await;
    let a = app.api("清丰县编办.政务").await;
    let b = app.api("清丰县编办二.政务").await;
    let upper = [app.api("濮阳市编办.政务").await, app.api("河南省编办.政务").await, app.api("中央编办.政务").await];
    let mut ids = Vec::new();
    for n in 0..6 {
        let id = submitted_application(&app, &owner, n).await;
        a.step(id, "review", "approve", "").await;
        for r in &upper {
            assert_eq!(r.step(id, "review", "approve", "").await.0, 200);
        }
        assert_eq!(a.step(id, "paper", "receive", "").await.0, 200);
        ids.push(id);
    }
    // Both offices confirm every application at once, all applications concurrently.
    let mut tasks = Vec::new();
    for &id in &ids {
        let version = app.version_of(id).await;
        for api in [&a, &b] {
            let path = format!("/api/v1/applications/{id}/paper");
            let client = api.client.clone();
            let token = api.token.clone();
            let url = format!("{}{path}", api.base);
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "version": version, "decision": "confirm" }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), ids.len(), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), ids.len(), "{statuses:?}");

    let codes: Vec<(i64, String)> = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT application_id, code FROM badges ORDER BY application_id")
        .fetch_all(p).await)
        .unwrap();
    assert_eq!(codes.len(), ids.len(), "one badge per application");
    let distinct: BTreeSet<&str> = codes.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(distinct.len(), ids.len());
    let serials: BTreeSet<String> = codes.iter().map(|(_, c)| c[6..12].to_owned()).collect();
    let expected: BTreeSet<String> = (1..=ids.len()).map(|s| format!("{s:06}")).collect();
    assert_eq!(serials, expected, "serials are allocated without gaps or repeats");
    for (_, c) in &codes {
        assert!(BadgeCode::parse(c).is_some(), "{c} carries a valid check character");
    }
    let issues: i64 = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM application_events WHERE event = 'issue'")
        .fetch_one(p).await)
        .unwrap();
    assert_eq!(issues, ids.len() as i64);
}
