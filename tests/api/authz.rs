//! The authorization matrix: every route × every role. A unit cannot see or change another
//! unit's application, a reviewer cannot act outside its level or region, a supervisor cannot
//! change anything, anonymous users reach only public pages; every form needs its CSRF token.

use crate::helpers::*;

/// The roles, in the column order of the tables below; `None` is anonymous.
const ROLES: [Option<&str>; 11] = [
    None,
    Some("清丰县人民政府.政务"), // the owner, a county unit in 410922
    Some("南乐县教育局.政务"),   // another unit
    Some("清丰县编办.政务"),     // county office of the owner
    Some("南乐县编办.政务"),     // another county's office
    Some("濮阳市编办.政务"),     // the owner's city office
    Some("安阳市编办.政务"),     // another city's office
    Some("河南省编办.政务"),     // the province
    Some("中央编办.政务"),       // central
    Some("濮阳市监督.政务"),     // supervisor of the owner's city
    Some("admin"),
];

async fn browsers(app: &TestApp) -> Vec<Browser> {
    let mut out = Vec::new();
    for role in ROLES {
        out.push(match role {
            Some(name) => app.browser(name).await,
            None => Browser::anonymous(&app.base),
        });
    }
    out
}

fn check(route: &str, got: &[u16], want: &[u16; 11]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{route} as {:?}: got {g}, want {w}", ROLES[i].unwrap_or("anonymous"));
    }
}

#[tokio::test]
async fn page_matrix() {
    let app = spawn_app().await;
    app.cast().await;
    let b = browsers(&app).await;
    let owner = &b[1];
    let id = owner.create_application(&valid_input(), true).await;
    let mut draft_input = valid_input();
    draft_input.domain_en = "draft.qingfeng.gov.cn".into();
    let draft = owner.create_application(&draft_input, false).await;

    let gets: Vec<(String, [u16; 11])> = vec![
        ("/".into(), [200; 11]),
        ("/healthz".into(), [200; 11]),
        ("/static/app.js".into(), [200; 11]),
        ("/static/app.css".into(), [200; 11]),
        ("/static/regions.json".into(), [200; 11]),
        ("/lookup".into(), [200; 11]),
        ("/sightings".into(), [303, 403, 403, 200, 200, 200, 200, 200, 200, 200, 403]),
        ("/self-check".into(), [303, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("/portal/red-page".into(), [303, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("/api/openapi.json".into(), [200; 11]),
        ("/portal".into(), [303, 200, 200, 303, 303, 303, 303, 303, 303, 303, 303]),
        ("/applications".into(), [303, 303, 303, 200, 200, 200, 200, 200, 200, 200, 403]),
        ("/applications/new".into(), [303, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
        (format!("/applications/{id}"), [303, 200, 404, 200, 404, 200, 404, 200, 200, 200, 404]),
        (format!("/applications/{draft}"), [303, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        (format!("/applications/{id}/edit"), [303, 409, 404, 403, 404, 403, 404, 403, 403, 403, 404]),
        (format!("/applications/{draft}/edit"), [303, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
        (format!("/applications/{id}/print"), [303, 409, 404, 403, 403, 403, 403, 403, 403, 403, 403]),
        (format!("/print/letter?ids={id}"), [303, 409, 404, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("/admin/accounts".into(), [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
        ("/admin/outbox".into(), [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
        ("/admin/register".into(), [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
        ("/office/units".into(), [303, 403, 403, 200, 200, 200, 200, 200, 200, 403, 403]),
        ("/admin/register/template.csv".into(), [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
        ("/no/such/page".into(), [404; 11]),
    ];
    for (route, want) in &gets {
        let mut got = Vec::new();
        for browser in &b {
            got.push(browser.get(route).await.status().as_u16());
        }
        check(route, &got, want);
    }
    // Anonymous requests for pages behind login go to the login page, which returns there.
    let r = b[0].get(&format!("/applications/{id}")).await;
    assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/login?next=%2Fapplications%2F{id}"));
}

#[tokio::test]
async fn only_the_reviewer_in_charge_can_act_and_nothing_changes_otherwise() {
    let app = spawn_app().await;
    app.cast().await;
    let b = browsers(&app).await;
    let id = b[1].create_application(&valid_input(), true).await;
    let version = app.version_of(id).await.to_string();
    let review = format!("/applications/{id}/review");
    let mut approve = vec![("version", version.as_str()), ("decision", "approve"), ("reason", "")];
    let checks = all_checklist_fields();
    approve.extend(checks.iter().map(|(k, v)| (k.as_str(), v.as_str())));

    // Everybody but the county office of the owner is refused; the application is untouched.
    let mut got = Vec::new();
    for (i, browser) in b.iter().enumerate() {
        if i == 3 {
            got.push(0);
            continue;
        }
        got.push(browser.post(&review, &approve).await.status().as_u16());
    }
    check(&review, &got, &[303, 403, 404, 0, 404, 403, 404, 403, 403, 403, 404]);
    assert_eq!(app.state_of(id).await, "county_review");
    assert_eq!(app.count("application_events").await, 1);

    // A post without the CSRF token is refused even from the right reviewer.
    let no_token = b[3].client.post(format!("{}{review}", app.base)).form(&approve).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong_token = b[3]
        .client
        .post(format!("{}{review}", app.base))
        .form(&[("version", version.as_str()), ("decision", "approve"), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 403);
    assert_eq!(app.state_of(id).await, "county_review");

    // The county office can.
    assert_eq!(b[3].post(&review, &approve).await.status(), 303);
    assert_eq!(app.state_of(id).await, "city_review");

    // Now at the city: the county office is past its step, another city is out of region.
    let version = app.version_of(id).await.to_string();
    let mut approve = vec![("version", version.as_str()), ("decision", "approve"), ("reason", "")];
    let checks = all_checklist_fields();
    approve.extend(checks.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for i in [1, 3, 6, 7, 8, 9] {
        let s = b[i].post(&review, &approve).await.status().as_u16();
        assert!(s == 403 || s == 404, "{:?} got {s}", ROLES[i]);
    }
    // Nobody can take a paper step or submit, and other POST routes refuse the wrong roles.
    let paper = format!("/applications/{id}/paper");
    let submit = format!("/applications/{id}/submit");
    for (i, browser) in b.iter().enumerate() {
        let p = browser.post(&paper, &[("version", &version), ("decision", "receive")]).await.status().as_u16();
        let s = browser.post(&submit, &[("version", &version)]).await.status().as_u16();
        let a = browser.post("/admin/accounts", &[("name", "x")]).await.status().as_u16();
        assert!(matches!(p, 303 | 403 | 404 | 409) && (i == 0) == (p == 303), "paper as {:?}: {p}", ROLES[i]);
        assert!(matches!(s, 303 | 403 | 404 | 409) && (i == 0) == (s == 303), "submit as {:?}: {s}", ROLES[i]);
        let want_admin = match i {
            0 => 303,
            10 => 422,
            _ => 403,
        };
        assert_eq!(a, want_admin, "account creation as {:?}", ROLES[i]);
    }
    assert_eq!(app.state_of(id).await, "city_review");
    assert_eq!(app.count("application_events").await, 2);
    assert_eq!(app.count("accounts").await, 11);
}

#[tokio::test]
async fn api_matrix() {
    let app = spawn_app().await;
    app.cast().await;
    let owner = app.api("清丰县人民政府.政务").await;
    let body = crate::workflow::submitted(valid_input());
    let (_, created) = owner.post("/api/v1/applications", body).await;
    let id = created["id"].as_i64().unwrap();
    let detail = format!("/api/v1/applications/{id}");

    let anon = reqwest::Client::new();
    assert_eq!(anon.get(format!("{}{detail}", app.base)).send().await.unwrap().status(), 401);
    assert_eq!(anon.get(format!("{}/api/v1/applications", app.base)).send().await.unwrap().status(), 401);
    let forged = anon.get(format!("{}{detail}", app.base)).bearer_auth("forged").send().await.unwrap();
    assert_eq!(forged.status(), 401);

    let want_detail = [200, 404, 200, 404, 200, 404, 200, 200, 200, 404];
    for (i, role) in ROLES[1..].iter().enumerate() {
        let api = app.api(role.unwrap()).await;
        let (status, body) = api.get(&detail).await;
        assert_eq!(status, want_detail[i], "GET detail as {role:?}: {body}");
        let (status, list) = api.get("/api/v1/applications").await;
        let listed = list["items"].as_array().is_some_and(|items| items.iter().any(|a| a["id"] == id));
        assert_eq!(listed, want_detail[i] == 200, "list as {role:?} ({status})");
        if i != 2 {
            let (status, _) = api.step(id, "review", "approve", "").await;
            assert!(status == 403 || status == 404, "approve as {role:?}: {status}");
        }
    }
    // A supervisor sees the application but not the personal data in full.
    let (_, seen) = app.api("濮阳市监督.政务").await.get(&detail).await;
    assert_eq!(seen["form"]["handler_id_number"], "110105********002X");
    assert_eq!(seen["form"]["handler_mobile"], "138****2001");
    assert_eq!(app.state_of(id).await, "county_review");
}

#[tokio::test]
async fn lists_mask_personal_data_for_everyone() {
    let app = spawn_app().await;
    app.cast().await;
    let owner = app.browser("清丰县人民政府.政务").await;
    let id = owner.create_application(&valid_input(), true).await;
    let queue = app.browser("清丰县编办.政务").await.text("/applications").await;
    assert!(queue.contains("138****2001") && !queue.contains("13803932001"));
    // The reviewer handling it sees the details in full on its page.
    let detail = app.browser("清丰县编办.政务").await.text(&format!("/applications/{id}")).await;
    assert!(detail.contains("13803932001") && detail.contains("11010519491231002X"));
    let (_, list) = app.api("清丰县编办.政务").await.get("/api/v1/applications").await;
    assert_eq!(list["items"][0]["form"]["handler_id_number"], "110105********002X");
}

#[tokio::test]
async fn every_documented_api_operation_is_routed_and_guarded() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for (method, path) in govbadge::web::openapi::OPERATIONS {
        let url = format!("{}{}", app.base, path.replace("{id}", "1").replace("{code}", "4109220000016"));
        let r = client
            .request(method.to_uppercase().parse().unwrap(), &url)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status != 404 && status != 405, "{method} {path}: {status}");
        // Without a token only the public operations answer 2xx.
        let public = matches!(*path, "/api/v1/sessions" | "/api/v1/deadline");
        assert!(public || status == 401, "{method} {path} without a token: {status}");
    }
}

#[tokio::test]
async fn accounts_are_managed_by_the_admin_only() {
    let app = spawn_app().await;
    app.cast().await;
    let admin = app.api("admin").await;
    let reviewer = app.api("清丰县编办.政务").await;
    let new = serde_json::json!({ "name": "范县编办.政务", "display_name": "范县委编办", "role": "reviewer", "level": "county", "region": "410926", "password": "a long enough password" });
    assert_eq!(reviewer.post("/api/v1/accounts", new.clone()).await.0, 403);
    assert_eq!(reviewer.get("/api/v1/accounts").await.0, 403);
    let (status, created) = admin.post("/api/v1/accounts", new.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(admin.post("/api/v1/accounts", new).await.1["fields"]["name"], "该账号名称已存在");
    let bad = serde_json::json!({ "name": "x", "display_name": "x", "role": "reviewer", "level": "city", "region": "410926", "password": "short" });
    let (status, body) = admin.post("/api/v1/accounts", bad).await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"]["password"], "密码至少10个字符");
    assert_eq!(body["fields"]["region"], "行政区划代码与层级不符");
    // Disabling an account ends its sessions at once.
    let (status, list) = admin.get("/api/v1/accounts").await;
    assert_eq!(status, 200);
    let target = list["items"].as_array().unwrap().iter().find(|a| a["name"] == "清丰县编办.政务").unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        admin.post(&format!("/api/v1/accounts/{target}/disabled"), serde_json::json!({ "disabled": true })).await.0,
        204
    );
    assert_eq!(reviewer.get("/api/v1/applications").await.0, 401);
    let b = Browser::anonymous(&app.base);
    assert_eq!(b.try_login("清丰县编办.政务", PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn badge_pages_by_role() {
    let app = spawn_app().await;
    app.cast().await;
    let owner = app.api("清丰县人民政府.政务").await;
    let (_, created) = owner.post("/api/v1/applications", crate::workflow::submitted(valid_input())).await;
    let id = created["id"].as_i64().unwrap();
    for r in ["清丰县编办.政务", "濮阳市编办.政务", "河南省编办.政务", "中央编办.政务"] {
        app.api(r).await.step(id, "review", "approve", "").await;
    }
    let county = app.api("清丰县编办.政务").await;
    county.step(id, "paper", "receive", "").await;
    let (_, issued) = county.step(id, "paper", "confirm", "").await;
    let code = issued["badge_code"].as_str().unwrap().to_owned();

    let b = browsers(&app).await;
    let page = format!("/badges/{code}");
    let mut got = Vec::new();
    for browser in &b {
        got.push(browser.get(&page).await.status().as_u16());
    }
    check(&page, &got, &[303, 200, 404, 200, 404, 200, 404, 200, 200, 200, 404]);
    // Only reviewers covering the unit change the status; supervisors and units cannot.
    let status = format!("/badges/{code}/status");
    let mut got = Vec::new();
    for browser in &b {
        got.push(browser.post(&status, &[("status", "suspended"), ("reason", "测试")]).await.status().as_u16());
    }
    // The county office acts first (303), so later reviewers find it already suspended (422).
    check(&status, &got, &[303, 403, 404, 303, 404, 422, 404, 422, 422, 403, 404]);
    let changes: i64 = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM badge_events").fetch_one(p).await).unwrap();
    assert_eq!(changes, 1);
}

/// Every API answer is JSON, errors of the extractors included.
#[tokio::test]
async fn api_errors_are_always_json() {
    let app = spawn_app().await;
    app.cast().await;
    let api = app.api("清丰县编办.政务").await;
    for (path, status) in [
        ("/api/v1/applications/not-a-number", 400),
        ("/api/v1/applications/999999", 404),
        ("/api/v1/deadline?date=2026-12-01&days=many", 400),
        ("/api/v1/no-such-thing", 404),
    ] {
        let (got, body) = api.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    // A badge code whose check character is wrong never reaches the service.
    let (got, body) = api
        .post("/api/v1/badges/4109220000017/status", serde_json::json!({ "status": "suspended", "reason": "x" }))
        .await;
    assert_eq!(got, 400, "{body}");
    assert!(body["error"].is_string(), "{body}");
    let page = app.browser("清丰县编办.政务").await.get("/badges/4109220000017").await;
    assert_eq!(page.status(), 404);
    let (got, body) = api.post("/api/v1/applications/1/review", serde_json::json!({ "version": "x" })).await;
    assert!(got == 400 || got == 422, "{got} {body}");
    assert!(body["error"].is_string(), "{body}");
}
