//! The workflow end to end over HTTP: a county unit's application through every level to an
//! issued badge, the notices received by a real SMTP server and the SMS gateway, rejection and
//! resubmission, the paper-problem path, re-check and suspension, and the audit log.

use govbadge::domain::account::Role;
use govbadge::domain::badge::BadgeCode;
use govbadge::domain::region::Level;
use serde_json::json;

use crate::helpers::*;

/// Approves at the current level through the page's form, as the reviewer would.
async fn approve_page(b: &Browser, id: i64) {
    let page = b.text(&format!("/applications/{id}")).await;
    assert!(page.contains("审核通过"), "reviewer sees the approve button");
    let version = current_version(&page);
    let mut fields =
        vec![("version".to_owned(), version), ("decision".into(), "approve".into()), ("reason".into(), String::new())];
    fields.extend(all_checklist_fields());
    let r = b.post_pairs(&format!("/applications/{id}/review"), fields).await;
    assert_eq!(r.status(), 303);
}

fn current_version(page: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = page.find(marker).expect("a step form") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn county_application_through_every_level_to_an_issued_badge() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start(0).await;
    let app = spawn_app_with(|c| with_notifications(c, smtp.port, &sms.url)).await;
    app.cast().await;

    let unit = app.browser("清丰县人民政府.政务").await;
    let id = unit.create_application(&valid_input(), true).await;
    assert_eq!(app.state_of(id).await, "county_review");

    // Each level in turn: the county office, the city, the province, then 中央编办.
    for (reviewer, next) in [
        ("清丰县编办.政务", "city_review"),
        ("濮阳市编办.政务", "province_review"),
        ("河南省编办.政务", "central_review"),
        ("中央编办.政务", "approved_online"),
    ] {
        let b = app.browser(reviewer).await;
        let queue = b.text("/applications").await;
        assert!(queue.contains("清丰县人民政府网"), "{reviewer} sees it in the queue");
        approve_page(&b, id).await;
        assert_eq!(app.state_of(id).await, next);
    }

    // The unit is told to print and hand in the paper, and can print both documents.
    let mails = smtp.wait_for(1).await;
    assert!(mail_text(mails[0]["data"].as_str().unwrap()).contains("一式4份"));
    let form = unit.text(&format!("/applications/{id}/print")).await;
    assert!(form.contains("党政机关网站开办审核/资格复核申请表") && form.contains("☑ 新开办网站申请"));
    assert!(form.contains("县级编制部门意见") && form.contains("申请表一式4份"));
    assert!(unit.text("/portal").await.contains("打印申请函（列入勾选的网站）"));
    let letter = unit.text(&format!("/print/letter?id={id}")).await;
    assert!(letter.contains("进行开办审核的函") && letter.contains("“清丰县人民政府网”等1个网站"));
    assert!(letter.contains("清丰县委编办："), "addressed to the same-level office");

    // The county office receives and confirms the paper; the badge is issued.
    let county = app.browser("清丰县编办.政务").await;
    for decision in ["receive", "confirm"] {
        let page = county.text(&format!("/applications/{id}")).await;
        if decision == "receive" {
            assert!(page.contains("申请经办人身份证复印件"), "the materials' checklist");
        }
        let v = current_version(&page);
        let mut fields =
            vec![("version".to_owned(), v), ("decision".into(), decision.into()), ("reason".into(), String::new())];
        fields.extend(all_checklist_fields());
        let r = county.post_pairs(&format!("/applications/{id}/paper"), fields).await;
        assert_eq!(r.status(), 303, "{decision}");
    }
    assert_eq!(app.state_of(id).await, "issued");
    let code: String =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT badge_code FROM applications WHERE id = $1")
        .bind(id)
        .fetch_one(p).await)
        .unwrap();
    let code = BadgeCode::parse(&code).expect("a valid 13-character code");
    assert!(code.as_str().starts_with("410922000001"));

    // The portal shows the code, the snippet and the deadline.
    let portal = html_unescape(&unit.text("/portal").await);
    assert!(portal.contains(code.as_str()));
    let snippet = govbadge::badge::snippet::install_snippet(&app.ctx.config.badge.base_url, &code);
    assert!(portal.contains(&snippet), "the portal shows the install snippet");
    let due: String =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT CAST(install_due AS TEXT) FROM badges WHERE code = $1")
        .bind(code.as_str())
        .fetch_one(p).await)
        .unwrap();
    assert!(portal.contains(&due));

    // The issuance notice reached the SMTP server and the SMS gateway.
    let mails = smtp.wait_for(2).await;
    let issued = mail_text(mails[1]["data"].as_str().unwrap());
    assert_eq!(mails[1]["rcpt_tos"], json!(["jbr@qingfeng.gov.cn"]));
    assert!(issued.contains(code.as_str()) && issued.contains(&due) && issued.contains("</body>"));
    let texts = sms.wait_for(2).await;
    assert_eq!(texts[1]["mobile"], "13803932001");
    assert!(texts[1]["content"].as_str().unwrap().contains(code.as_str()));
    assert_eq!(sms.received.lock().unwrap()[1].0.as_deref(), Some("Bearer test-key"));

    // The audit log holds every step in order, with who and in which role.
    let rows: Vec<(String, String, String, String, Option<String>)> = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as(
        "SELECT event, from_state, to_state, actor_role, actor_level FROM application_events WHERE application_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(p).await)
    .unwrap();
    let expected = [
        ("submit", "draft", "county_review", "unit", Some("county")),
        ("approve", "county_review", "city_review", "reviewer", Some("county")),
        ("approve", "city_review", "province_review", "reviewer", Some("city")),
        ("approve", "province_review", "central_review", "reviewer", Some("province")),
        ("approve", "central_review", "approved_online", "reviewer", Some("central")),
        ("receive_paper", "approved_online", "paper_received", "reviewer", Some("county")),
        ("confirm_paper", "paper_received", "confirmed", "reviewer", Some("county")),
        ("issue", "confirmed", "issued", "reviewer", Some("county")),
    ];
    let got: Vec<_> =
        rows.iter().map(|(e, f, t, r, l)| (e.as_str(), f.as_str(), t.as_str(), r.as_str(), l.as_deref())).collect();
    assert_eq!(got, expected);
    // Append-only: the database refuses to rewrite history.
    assert!(govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE application_events SET reason = 'x'").execute(p).await.map(|r| r.rows_affected())).is_err());
    assert!(
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("DELETE FROM application_events").execute(p).await.map(|r| r.rows_affected())).is_err()
    );

    // Personal data stays out of the logs' outbox records' errors and out of public pages.
    let home = reqwest::get(format!("{}/", app.base)).await.unwrap().text().await.unwrap();
    assert!(!home.contains("11010519491231002X") && !home.contains("13803932001"));
}

#[tokio::test]
async fn rejection_shows_the_reason_and_resubmission_starts_a_new_round() {
    let smtp = SmtpSink::start();
    let sms = SmsGateway::start(0).await;
    let app = spawn_app_with(|c| with_notifications(c, smtp.port, &sms.url)).await;
    app.cast().await;
    let unit = app.api("清丰县人民政府.政务").await;
    let (status, created) = unit.post("/api/v1/applications", submitted(valid_input())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();

    app.api("清丰县编办.政务").await.step(id, "review", "approve", "").await;
    // A rejection needs a reason.
    let city = app.api("濮阳市编办.政务").await;
    let (status, body) = city.step(id, "review", "reject", "  ").await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = city.step(id, "review", "reject", "网站名称与单位职能不符").await;
    assert_eq!(status, 200);
    assert_eq!(app.state_of(id).await, "rejected");

    // The unit sees the reason, on the page and by mail.
    let page = app.browser("清丰县人民政府.政务").await.text(&format!("/applications/{id}")).await;
    assert!(page.contains("网站名称与单位职能不符") && page.contains("修改申请"));
    let mails = smtp.wait_for(1).await;
    assert!(mail_text(mails[0]["data"].as_str().unwrap()).contains("网站名称与单位职能不符"));

    // Edit and resubmit: round two starts again at the county.
    let (_, current) = unit.get(&format!("/api/v1/applications/{id}")).await;
    let mut input = as_object(valid_input());
    input["site_name"] = json!("清丰县人民政府门户网站");
    input["version"] = current["version"].clone();
    input["submit"] = json!(true);
    let (status, updated) = unit.call(reqwest::Method::PUT, &format!("/api/v1/applications/{id}"), Some(input)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["state"], "county_review");
    assert_eq!(updated["round"], 2);
    let history = updated["history"].as_array().unwrap();
    let rounds: Vec<(i64, &str)> =
        history.iter().map(|h| (h["round"].as_i64().unwrap(), h["event"].as_str().unwrap())).collect();
    assert_eq!(rounds, [(1, "submit"), (1, "approve"), (1, "reject"), (2, "submit")]);
    assert_eq!(history[2]["reason"], "网站名称与单位职能不符");
}

fn as_object(input: govbadge::domain::application::ApplicationInput) -> serde_json::Value {
    serde_json::to_value(input).unwrap()
}

/// The API body that creates and submits `input` at once.
pub fn submitted(input: govbadge::domain::application::ApplicationInput) -> serde_json::Value {
    let mut body = as_object(input);
    body["submit"] = json!(true);
    body
}

#[tokio::test]
async fn paper_problem_sends_the_application_back_for_resubmission() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.api("清丰县人民政府.政务").await;
    let (_, created) = unit.post("/api/v1/applications", submitted(valid_input())).await;
    let id = created["id"].as_i64().unwrap();
    for reviewer in ["清丰县编办.政务", "濮阳市编办.政务", "河南省编办.政务", "中央编办.政务"]
    {
        assert_eq!(app.api(reviewer).await.step(id, "review", "approve", "").await.0, 200);
    }
    let county = app.api("清丰县编办.政务").await;
    assert_eq!(county.step(id, "paper", "receive", "").await.0, 200);
    // Only the unit's own-level office handles the paper.
    assert_eq!(app.api("濮阳市编办.政务").await.step(id, "paper", "problem", "缺少公章").await.0, 403);
    let (status, body) = county.step(id, "paper", "problem", "申请表未加盖单位公章").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "paper_problem");
    assert_eq!(app.count("badges").await, 0);
    // The unit resubmits, and the application goes through the chain again.
    let (status, body) =
        unit.post(&format!("/api/v1/applications/{id}/submit"), json!({ "version": body["version"] })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "county_review");
    assert_eq!(body["round"], 2);
}

#[tokio::test]
async fn recheck_keeps_the_code_and_a_failed_site_can_be_suspended_and_revoked() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.api("清丰县人民政府.政务").await;
    let (_, created) = unit.post("/api/v1/applications", submitted(valid_input())).await;
    let id = created["id"].as_i64().unwrap();
    let reviewers = ["清丰县编办.政务", "濮阳市编办.政务", "河南省编办.政务", "中央编办.政务"];
    for r in reviewers {
        app.api(r).await.step(id, "review", "approve", "").await;
    }
    let county = app.api("清丰县编办.政务").await;
    county.step(id, "paper", "receive", "").await;
    let (_, issued) = county.step(id, "paper", "confirm", "").await;
    let code = issued["badge_code"].as_str().unwrap().to_owned();

    // A re-check of that site follows the same path and keeps the code.
    let mut recheck = as_object(valid_input());
    recheck["kind"] = json!("recheck");
    recheck["recheck_code"] = json!(code);
    recheck["submit"] = json!(true);
    let (status, body) = unit.post("/api/v1/applications", recheck.clone()).await;
    assert_eq!(status, 201, "{body}");
    let rid = body["id"].as_i64().unwrap();
    for r in reviewers {
        app.api(r).await.step(rid, "review", "approve", "").await;
    }
    county.step(rid, "paper", "receive", "").await;
    let (_, done) = county.step(rid, "paper", "confirm", "").await;
    assert_eq!(done["state"], "issued");
    assert_eq!(done["badge_code"], json!(code));
    assert_eq!(app.count("badges").await, 1);

    // Another unit cannot re-check a code it does not hold.
    let other = app.api("南乐县教育局.政务").await;
    let (status, body) = other.post("/api/v1/applications", recheck).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["recheck_code"].is_string());

    // Suspension needs a reason and a reviewer covering the unit; revocation is final.
    let path = format!("/api/v1/badges/{code}/status");
    let suspend = json!({ "status": "suspended", "reason": "x" });
    assert_eq!(app.api("南乐县编办.政务").await.post(&path, suspend.clone()).await.0, 404);
    assert_eq!(app.api("濮阳市监督.政务").await.post(&path, suspend).await.0, 403);
    assert_eq!(county.post(&path, json!({ "status": "suspended", "reason": "" })).await.0, 422);
    assert_eq!(county.post(&path, json!({ "status": "suspended", "reason": "资格复核未通过" })).await.0, 200);
    assert_eq!(county.post(&path, json!({ "status": "revoked", "reason": "单位已撤销" })).await.0, 200);
    assert_eq!(county.post(&path, json!({ "status": "active", "reason": "恢复" })).await.0, 422);
    let statuses: Vec<(String, String, String)> =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT from_status, to_status, reason FROM badge_events WHERE code = $1 ORDER BY id")
            .bind(&code)
            .fetch_all(p).await)
            .unwrap();
    assert_eq!(
        statuses,
        [
            ("active".into(), "suspended".into(), "资格复核未通过".into()),
            ("suspended".into(), "revoked".into(), "单位已撤销".into()),
        ]
    );
}

#[tokio::test]
async fn notices_wait_in_the_outbox_while_the_mail_server_is_down() {
    let port = free_port();
    let sms = SmsGateway::start(2).await;
    let app = spawn_app_with(|c| with_notifications(c, port, &sms.url)).await;
    app.cast().await;
    let unit = app.api("清丰县人民政府.政务").await;
    let (_, created) = unit.post("/api/v1/applications", submitted(valid_input())).await;
    let id = created["id"].as_i64().unwrap();
    app.api("清丰县编办.政务").await.step(id, "review", "reject", "材料不全").await;

    // Nothing listens on the SMTP port: the mail is retried, not lost.
    let mut attempts = 0_i64;
    for _ in 0..100 {
        attempts = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT attempts FROM outbox WHERE channel = 'email'")
            .fetch_one(p).await)
            .unwrap();
        if attempts >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(attempts >= 2, "the sender retried");
    let sent: Option<String> =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT sent_at FROM outbox WHERE channel = 'email'")
        .fetch_one(p).await)
        .unwrap();
    assert!(sent.is_none());

    // The server comes up; the next retry delivers it. The SMS gateway failed twice, then took it.
    let smtp = SmtpSink::start_on(port);
    let mails = smtp.wait_for(1).await;
    assert!(mail_text(mails[0]["data"].as_str().unwrap()).contains("材料不全"));
    let texts = sms.wait_for(1).await;
    assert!(texts[0]["content"].as_str().unwrap().contains("材料不全"));
    assert_eq!(texts.len(), 1, "delivered once");
}

/// Runs a submitted application through the four online reviews and the paper receipt.
async fn to_paper_confirmation(app: &TestApp, id: i64) {
    for r in ["清丰县编办.政务", "濮阳市编办.政务", "河南省编办.政务", "中央编办.政务"] {
        assert_eq!(app.api(r).await.step(id, "review", "approve", "").await.0, 200);
    }
    assert_eq!(app.api("清丰县编办.政务").await.step(id, "paper", "receive", "").await.0, 200);
}

#[tokio::test]
async fn recheck_of_a_site_with_a_legacy_code_keeps_or_replaces_it_as_the_office_decides() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = app.api("清丰县人民政府.政务").await;
    let county = app.api("清丰县编办.政务").await;
    let legacy = "CA410000000600000000001";

    // Kept: the legacy code becomes the site's badge code; no govbadge serial is used.
    let mut recheck = as_object(valid_input());
    recheck["kind"] = json!("recheck");
    recheck["recheck_code"] = json!(legacy);
    recheck["submit"] = json!(true);
    let (status, body) = unit.post("/api/v1/applications", recheck.clone()).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    to_paper_confirmation(&app, id).await;
    let page = app.browser("清丰县编办.政务").await;
    let html = page.text(&format!("/applications/{id}")).await;
    assert!(html.contains("保留原网站标识代码") && html.contains("换发新网站标识代码"), "{html}");
    let (status, done) = county.step(id, "paper", "confirm", "").await;
    assert_eq!((status, done["state"].as_str(), done["badge_code"].as_str()), (200, Some("issued"), Some(legacy)));
    assert_eq!(app.count("region_serials").await, 0);
    let owner = app.browser("清丰县人民政府.政务").await;
    let html = owner.text(&format!("/badges/{legacy}")).await;
    assert!(html.contains("本网站使用原网站标识代码"), "{html}");
    assert!(!html.contains("/badge/CA"), "no govbadge snippet for a legacy code");
    let site = govbadge::store::sweeps::site(&app.ctx.pool, legacy).await.unwrap();
    assert_eq!(site.legacy_code.as_deref(), Some(legacy));

    // Another unit cannot take that legacy code.
    let other = app.api("南乐县教育局.政务").await;
    let (status, body) = other.post("/api/v1/applications", recheck.clone()).await;
    assert_eq!(status, 422, "{body}");

    // A second re-check, replaced: a new govbadge code, the legacy record revoked.
    let (status, body) = unit.post("/api/v1/applications", recheck).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    to_paper_confirmation(&app, id).await;
    let (status, done) = county.step(id, "paper", "confirm_new_code", "").await;
    assert_eq!(status, 200, "{done}");
    let code = done["badge_code"].as_str().unwrap();
    assert!(govbadge::domain::badge::BadgeCode::parse(code).is_some(), "{code}");
    let (status,): (String,) =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT status FROM badges WHERE code = $1").bind(legacy).fetch_one(p).await).unwrap();
    assert_eq!(status, "revoked");
    let site = govbadge::store::sweeps::site(&app.ctx.pool, code).await.unwrap();
    assert_eq!(site.legacy_code, None, "a replaced legacy badge no longer counts");
}

/// The state after each approval of a fresh application of `unit`, until it leaves online review.
async fn states_through_the_chain(app: &TestApp, unit: &str, reviewers: &[&str]) -> Vec<String> {
    let owner = app.api(unit).await;
    let (status, body) = owner.post("/api/v1/applications", submitted(valid_input())).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let mut states = vec![app.state_of(id).await];
    for r in reviewers {
        let (status, body) = app.api(r).await.step(id, "review", "approve", "").await;
        assert_eq!(status, 200, "{r}: {body}");
        states.push(app.state_of(id).await);
    }
    states
}

#[tokio::test]
async fn review_chains_follow_the_configuration_by_province() {
    use govbadge::domain::workflow::ChainKind;
    // The seed's chain: the unit's own office, then 中央编办.
    let app = spawn_app_with(|c| c.workflow.review_chain = ChainKind::SameLevel).await;
    app.cast().await;
    let states = states_through_the_chain(&app, "清丰县人民政府.政务", &["清丰县编办.政务", "中央编办.政务"]).await;
    assert_eq!(states, ["county_review", "central_review", "approved_online"]);

    // Henan keeps every level while the default is the seed's.
    let app = spawn_app_with(|c| {
        c.workflow.review_chain = ChainKind::SameLevel;
        c.workflow.province_chains.insert("410000".into(), ChainKind::EveryLevel);
    })
    .await;
    app.cast().await;
    let states = states_through_the_chain(
        &app,
        "清丰县人民政府.政务",
        &["清丰县编办.政务", "濮阳市编办.政务", "河南省编办.政务", "中央编办.政务"],
    )
    .await;
    assert_eq!(states, ["county_review", "city_review", "province_review", "central_review", "approved_online"]);

    // A district of Beijing: no city level, even on the every-level chain.
    let app = spawn_app().await;
    app.cast().await;
    app.account("东城区人民政府.政务", Role::Unit, Some(Level::County), Some("110101")).await;
    app.account("东城区编办.政务", Role::Reviewer, Some(Level::County), Some("110101")).await;
    app.account("北京市编办.政务", Role::Reviewer, Some(Level::Province), Some("110000")).await;
    let states =
        states_through_the_chain(&app, "东城区人民政府.政务", &["东城区编办.政务", "北京市编办.政务", "中央编办.政务"])
            .await;
    assert_eq!(states, ["county_review", "province_review", "central_review", "approved_online"]);
}

#[tokio::test]
async fn where_asked_the_province_files_the_paper_before_the_office_confirms() {
    let app = spawn_app_with(|c| {
        c.workflow.review_chain = govbadge::domain::workflow::ChainKind::SameLevel;
        c.workflow.provincial_filing = true;
    })
    .await;
    app.cast().await;
    let owner = app.api("清丰县人民政府.政务").await;
    let (_, body) = owner.post("/api/v1/applications", submitted(valid_input())).await;
    let id = body["id"].as_i64().unwrap();
    for r in ["清丰县编办.政务", "中央编办.政务"] {
        assert_eq!(app.api(r).await.step(id, "review", "approve", "").await.0, 200);
    }
    let county = app.api("清丰县编办.政务").await;
    assert_eq!(county.step(id, "paper", "receive", "").await.0, 200);
    let (status, body) = county.step(id, "paper", "confirm", "").await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("省级机构编制部门备案"), "{body}");
    // Only the province covering the unit files.
    assert_eq!(county.step(id, "paper", "file", "").await.0, 403);
    let province = app.browser("河南省编办.政务").await;
    let page = province.text(&format!("/applications/{id}")).await;
    assert!(page.contains("已备案") && page.contains("待备案"), "{page}");
    let (status, _) = app.api("河南省编办.政务").await.step(id, "paper", "file", "").await;
    assert_eq!(status, 200);
    let (status, done) = county.step(id, "paper", "confirm", "").await;
    assert_eq!((status, done["state"].as_str()), (200, Some("issued")));
    let events: Vec<String> =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT event FROM application_events WHERE application_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(p).await)
            .unwrap();
    assert_eq!(events, ["submit", "approve", "approve", "receive_paper", "file_paper", "confirm_paper", "issue"]);
}
