//! Changes (变更) and cancellations (注销) of a badged site: asked by its unit, decided by the
//! office of the unit's own level, in force only on approval, with history; a closed site's
//! verification page says so and sweeps pass it by.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_change_takes_effect_on_approval_by_the_unit_own_level_office() {
    let app = spawn_app().await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let unit = app.api("清丰县人民政府.政务").await;
    let change = format!("/api/v1/badges/{code}/change");

    // Checked as the form checks: fields, the category's domain policy, nothing changed.
    let (status, body) = unit.post(&change, json!({ "changes": { "handler_email": "x@" } })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["handler_email"].is_string(), "{body}");
    let (status, body) = unit.post(&change, json!({ "changes": { "domain_en": "www.qingfeng.com.cn" } })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["domain_en"].as_str().unwrap().contains(".gov.cn"), "{body}");
    let (status, body) = unit.post(&change, json!({ "changes": { "site_name": "" } })).await;
    assert_eq!((status, body["fields"]["site_name"].as_str()), (422, Some("网站名称不能为空")));
    let (status, body) = unit.post(&change, json!({ "changes": { "site_name": valid_input().site_name } })).await;
    assert_eq!((status, body["fields"]["site_name"].as_str()), (422, Some("未修改任何内容")));
    // Another unit cannot ask for this site.
    let other = app.api("南乐县教育局.政务").await;
    assert_eq!(other.post(&change, json!({ "changes": { "site_name": "冒名" } })).await.0, 404);

    let (status, body) = unit.post(&change, json!({ "changes": { "site_id_code": "12345" } })).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["site_id_code"].as_str().unwrap().contains("10位数字"), "{body}");
    let asked = json!({ "changes": { "site_name": "清丰县人民政府门户网站", "handler_mobile": "13803930002", "site_id_code": "4109220001" }, "reason": "网站改版" });
    let (status, body) = unit.post(&change, asked.clone()).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let (status, body) = unit.post(&change, asked).await;
    assert_eq!(status, 422);
    assert!(body["fields"]["reason"].as_str().unwrap().contains("待审核"), "one open request at a time");
    // Not in force yet.
    let verify = reqwest::get(format!("{}/verify/{code}.json", app.base))
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(verify["site_name"], valid_input().site_name);

    // Only the county office of the unit decides; a refusal needs a reason.
    let decision = format!("/api/v1/site-requests/{id}/decision");
    let approve = json!({ "decision": "approve" });
    assert_eq!(app.api("濮阳市编办.政务").await.post(&decision, approve.clone()).await.0, 403);
    assert_eq!(app.api("南乐县编办.政务").await.post(&decision, approve.clone()).await.0, 404);
    assert_eq!(unit.post(&decision, approve.clone()).await.0, 403, "a unit does not decide its own request");
    let county = app.api("清丰县编办.政务").await;
    assert_eq!(county.post(&decision, json!({ "decision": "reject", "reason": "" })).await.0, 422);
    assert_eq!(county.post(&decision, approve.clone()).await.0, 200);
    assert_eq!(county.post(&decision, approve).await.0, 422, "decided once");

    let verify = reqwest::get(format!("{}/verify/{code}.json", app.base))
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(verify["site_name"], "清丰县人民政府门户网站");
    let (_, list) = unit.get(&format!("/api/v1/badges/{code}/requests")).await;
    let item = &list["items"][0];
    assert_eq!(
        (item["state"].as_str(), item["previous"]["site_name"].as_str()),
        (Some("approved"), Some(valid_input().site_name.as_str()))
    );
    assert_eq!(item["changes"]["handler_mobile"], "13803930002");
    // The registered 网站标识码, now cross-checked by the sweeps.
    let site = govbadge::store::sweeps::site(&app.ctx.pool, &code).await.unwrap();
    assert_eq!(site.site_id_code, "4109220001");
    // The unit was told, at the handler's new number.
    let (recipient,): (String,) =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT recipient FROM outbox WHERE topic = 'site_request' AND channel = 'sms'")
            .fetch_one(p).await)
            .unwrap();
    assert_eq!(recipient, "13803930002");
}

#[tokio::test]
async fn a_cancelled_site_is_closed_everywhere() {
    let app = spawn_app().await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let unit = app.api("清丰县人民政府.政务").await;
    let cancel = format!("/api/v1/badges/{code}/cancel");
    let (status, body) = unit.post(&cancel, json!({ "reason": "" })).await;
    assert_eq!((status, body["fields"]["reason"].as_str()), (422, Some("请填写原因")));
    let (status, body) = unit.post(&cancel, json!({ "reason": "机构改革，网站整合至市政府门户" })).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(govbadge::store::sweeps::sites(&app.ctx.pool, "").await.unwrap().len(), 1, "open until approved");
    let county = app.api("清丰县编办.政务").await;
    assert_eq!(
        county.post(&format!("/api/v1/site-requests/{id}/decision"), json!({ "decision": "approve" })).await.0,
        200
    );

    let verify = Browser::anonymous(&app.base).text(&format!("/verify/{code}")).await;
    assert!(verify.contains("注销，网站标识已撤销"), "{verify}");
    assert!(govbadge::store::sweeps::sites(&app.ctx.pool, "").await.unwrap().is_empty(), "no more sweeps");
    let (status, reason): (String, String) = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as(
        "SELECT b.status, e.reason FROM badges b JOIN badge_events e ON e.code = b.code WHERE b.code = $1 AND b.closed_at IS NOT NULL",
    )
    .bind(&code)
    .fetch_one(p).await)
    .unwrap();
    assert_eq!((status.as_str(), reason.as_str()), ("revoked", "网站注销"));
    let (status, _) = unit.post(&cancel, json!({ "reason": "再次" })).await;
    assert_eq!(status, 422, "a closed site takes no more requests");
}

#[tokio::test]
async fn the_badge_page_carries_the_forms_and_refills_a_refused_one() {
    let app = spawn_app().await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let unit = app.browser("清丰县人民政府.政务").await;
    let page = unit.text(&format!("/badges/{code}")).await;
    assert!(page.contains("申请变更网站名称、域名或联系人") && page.contains("申请注销网站"), "{page}");
    let r = unit
        .post(
            &format!("/badges/{code}/change"),
            &[("site_name", "新名称"), ("handler_email", "not-an-email"), ("reason", "改版")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("value=\"新名称\"") && html.contains("改版"), "typed values kept");
    assert!(html.contains("role=\"alert\""), "the message beside the field");
    let r = unit.post(&format!("/badges/{code}/change"), &[("site_name", "新名称"), ("reason", "改版")]).await;
    assert_eq!(r.status(), 303);
    let office = app.browser("清丰县编办.政务").await;
    let queue = html_unescape(&office.text("/applications").await);
    assert!(queue.contains("待审核的变更、注销申请（1）") && queue.contains(&format!("/badges/{code}")), "{queue}");
    let city = html_unescape(&app.browser("濮阳市编办.政务").await.text("/applications").await);
    assert!(!city.contains("待审核的变更、注销申请"), "the city office does not decide a county unit's requests");
    let page = html_unescape(&office.text(&format!("/badges/{code}")).await);
    assert!(page.contains("网站名称：") && page.contains("→ 新名称") && page.contains("审核通过"), "{page}");
    let id: i64 =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT id FROM site_requests").fetch_one(p).await)
            .unwrap();
    let r = office
        .post(&format!("/site-requests/{id}/decision"), &[("decision", "reject"), ("reason", "名称不规范")])
        .await;
    assert_eq!(r.status(), 303);
    let page = html_unescape(&unit.text(&format!("/badges/{code}")).await);
    assert!(page.contains("未通过") && page.contains("名称不规范"), "{page}");
}

#[tokio::test]
async fn the_certificate_prints_for_a_badge_in_force_only() {
    let app = spawn_app().await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let unit = app.browser("清丰县人民政府.政务").await;
    let page = html_unescape(&unit.text(&format!("/badges/{code}/certificate")).await);
    assert!(
        page.contains("党政机关网站标识证书") && page.contains(&code) && page.contains(&valid_input().site_name),
        "{page}"
    );
    assert!(page.contains(&format!("/verify/{code}")), "the verification address is printed");
    assert_eq!(app.browser("南乐县教育局.政务").await.get(&format!("/badges/{code}/certificate")).await.status(), 404);
    let county = app.api("清丰县编办.政务").await;
    county.post(&format!("/api/v1/badges/{code}/status"), json!({ "status": "suspended", "reason": "整改" })).await;
    assert_eq!(unit.get(&format!("/badges/{code}/certificate")).await.status(), 409);
}

#[tokio::test]
async fn a_public_report_reaches_the_region_supervisors_only() {
    let app = spawn_app().await;
    app.cast().await;
    app.account_with_contact(
        "安阳市监督.政务",
        govbadge::domain::account::Role::Supervisor,
        Some(govbadge::domain::region::Level::City),
        Some("410500"),
        "ay@example.gov.cn",
        "",
    )
    .await;
    govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE accounts SET email = 'py@example.gov.cn' WHERE name = '濮阳市监督.政务'")
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
    let code = issued_badge(&app, valid_input()).await;
    let public = Browser::anonymous(&app.base);
    let verify = html_unescape(&public.text(&format!("/verify/{code}")).await);
    assert!(verify.contains(&format!("/verify/{code}/report")), "the verification page links the form");
    let form = public.text(&format!("/verify/{code}/report")).await;
    let csrf = extract_csrf(&form).unwrap();
    let path = format!("/verify/{code}/report");
    // Without the form's token: refused.
    let r = Browser::anonymous(&app.base).post_raw(&path, &[("url".into(), "http://fake.example.com/".into())]).await;
    assert_eq!(r.status(), 403);
    // Each field's problem.
    let bad: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("url".into(), "javascript:alert(1)".into()),
        ("description".into(), String::new()),
    ];
    let r = public.post_raw(&path, &bad).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("请填写发现该标识的网页地址") && html.contains("请填写举报内容"), "{html}");
    // The form comes back with a fresh token, as a browser would post it.
    let csrf = extract_csrf(&html).unwrap();
    let good: Vec<(String, String)> = vec![
        ("csrf".into(), csrf),
        ("url".into(), "http://fake-qingfeng.example.com/index.html".into()),
        ("description".into(), "该网站冒用清丰县人民政府的网站标识".into()),
        ("contact".into(), "13900000000".into()),
    ];
    let r = public.post_raw(&path, &good).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("举报已提交"));
    // The region's supervisor sees it, with the contact; the public pages never show it.
    let page = html_unescape(&app.browser("濮阳市监督.政务").await.text("/sightings").await);
    assert!(
        page.contains("公众举报（1）") && page.contains("fake-qingfeng.example.com") && page.contains("13900000000"),
        "{page}"
    );
    let other = html_unescape(&app.browser("安阳市监督.政务").await.text("/sightings").await);
    assert!(other.contains("公众举报（0）"), "another city's supervisor does not");
    assert!(!public.text(&format!("/verify/{code}")).await.contains("13900000000"));
    let recipients: Vec<String> = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT recipient FROM outbox WHERE topic = 'tipoff'")
        .fetch_all(p).await)
        .unwrap();
    assert_eq!(recipients, ["py@example.gov.cn"]);
}

/// The six-digit code of the latest reset message to `recipient`.
async fn reset_code(app: &TestApp, recipient: &str) -> String {
    let body: String = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar(
        "SELECT body FROM outbox WHERE topic = 'password_reset' AND recipient = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(recipient)
    .fetch_one(p).await)
    .unwrap();
    let at = body.find("验证码为").unwrap() + "验证码为".len();
    body[at..].chars().filter(char::is_ascii_digit).take(6).collect()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_code_to_the_registered_mobile() {
    let app = spawn_app().await;
    app.account_with_contact(
        "清丰县人民政府.政务",
        govbadge::domain::account::Role::Unit,
        Some(govbadge::domain::region::Level::County),
        Some("410922"),
        "",
        "13803930009",
    )
    .await;
    let signed_in = app.browser("清丰县人民政府.政务").await;
    let login = Browser::anonymous(&app.base);
    assert!(login.text("/login").await.contains("/password/reset"), "the login page links it");
    let form = Browser::anonymous(&app.base);
    let page = form.text("/password/reset").await;
    let csrf = extract_csrf(&page).unwrap();
    // The same answer for an account that does not exist, and nothing sent.
    let r =
        form.post_raw("/password/reset", &[("csrf".into(), csrf.clone()), ("name".into(), "无此账号".into())]).await;
    let answer = r.text().await.unwrap();
    assert!(answer.contains("如该账号存在且登记了手机或电子邮箱"), "{answer}");
    assert_eq!(app.count("password_resets").await, 0);
    let csrf = extract_csrf(&answer).unwrap();
    let r =
        form.post_raw("/password/reset", &[("csrf".into(), csrf), ("name".into(), "清丰县人民政府.政务".into())]).await;
    let page = r.text().await.unwrap();
    assert!(page.contains("如该账号存在且登记了手机或电子邮箱"));
    let code = reset_code(&app, "13803930009").await;
    assert_eq!(code.len(), 6);

    let confirm = |page: &str, code: &str, password: &str| {
        let fields: Vec<(String, String)> = vec![
            ("csrf".into(), extract_csrf(page).unwrap()),
            ("name".into(), "清丰县人民政府.政务".into()),
            ("code".into(), code.into()),
            ("password".into(), password.into()),
        ];
        let form = &form;
        async move { form.post_raw("/password/reset/confirm", &fields).await }
    };
    let r = confirm(&page, &code, "short").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("密码至少10个字符"));
    // Five wrong guesses end the code, even for the right one afterwards.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut page = page;
    for _ in 0..5 {
        let r = confirm(&page, wrong, "a brand new password").await;
        assert_eq!(r.status(), 422);
        page = r.text().await.unwrap();
        assert!(page.contains("验证码不正确或已失效"));
    }
    let r = confirm(&page, &code, "a brand new password").await;
    assert_eq!(r.status(), 422, "the code is spent after five wrong guesses");
    // A fresh code works once; the old password and the open sessions end.
    let page = form.text("/password/reset").await;
    form.post_raw(
        "/password/reset",
        &[("csrf".into(), extract_csrf(&page).unwrap()), ("name".into(), "清丰县人民政府.政务".into())],
    )
    .await;
    let code = reset_code(&app, "13803930009").await;
    let page = form.text("/password/reset").await;
    let r = confirm(&page, &code, "a brand new password").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("密码已重置"));
    assert_eq!(Browser::anonymous(&app.base).try_login("清丰县人民政府.政务", PASSWORD).await.status(), 401);
    assert_eq!(
        Browser::anonymous(&app.base).try_login("清丰县人民政府.政务", "a brand new password").await.status(),
        303
    );
    assert_eq!(signed_in.get("/portal").await.status(), 303, "the old session ended");
    let page = form.text("/password/reset").await;
    assert_eq!(confirm(&page, &code, "another new password").await.status(), 422, "a code works once");
}

#[tokio::test]
async fn offices_create_the_unit_accounts_of_their_area_one_by_one_or_from_a_file() {
    let app = spawn_app().await;
    app.cast().await;
    let office = app.browser("濮阳市编办.政务").await;
    let page = office.text("/office/units").await;
    assert!(
        page.contains("本辖区单位账号") && page.contains("清丰县人民政府.政务") && !page.contains("安阳"),
        "{page}"
    );
    // Without a password, given a mobile: the unit sets it through 找回密码.
    let r = office
        .post(
            "/office/units",
            &[
                ("name", "清丰县水利局.政务"),
                ("display_name", "清丰县水利局"),
                ("region", "清丰县"),
                ("mobile", "13803930011"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(office.text("/office/units").await.contains("待单位设置密码"));
    // Not in another city, and never another role.
    let r = office
        .post(
            "/office/units",
            &[("name", "安阳某局.政务"), ("display_name", "安阳某局"), ("region", "410500"), ("mobile", "13803930012")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(html_unescape(&r.text().await.unwrap()).contains("只能新建本辖区的单位账号"));
    let r = office
        .post("/office/units", &[("name", "无联系方式.政务"), ("display_name", "某局"), ("region", "清丰县")])
        .await;
    assert_eq!(r.status(), 422, "no password and no contact");
    assert_eq!(app.browser("清丰县人民政府.政务").await.get("/office/units").await.status(), 403);

    // A file: any problem, and nothing is created.
    let csrf = office.csrf().await;
    let bad = "账号,单位名称,行政区划,联系邮箱,联系手机\n南乐县水利局.政务,南乐县水利局,南乐县,,13803930021\n南乐县水利局.政务,重复,南乐县,,13803930022\n安阳县水利局.政务,安阳县水利局,410522,,13803930023\n";
    let r = office.post_file("/office/units/import", &[("csrf", &csrf)], "units.csv", bad.as_bytes().to_vec()).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("与第2行重复") && html.contains("只能新建本辖区的单位账号"), "{html}");
    let units = || async {
        let n: i64 = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE name LIKE '%水利局.政务'")
            .fetch_one(p).await)
            .unwrap();
        n
    };
    assert_eq!(units().await, 1, "only the one created by hand");
    let good = "账号,单位名称,行政区划,联系邮箱,联系手机\n南乐县水利局.政务,南乐县水利局,南乐县,,13803930021\n范县水利局.政务,范县水利局,范县,fx@example.gov.cn,\n";
    let r = office.post_file("/office/units/import", &[("csrf", &csrf)], "units.csv", good.as_bytes().to_vec()).await;
    assert_eq!(r.status(), 200);
    assert!(html_unescape(&r.text().await.unwrap()).contains("已创建2个单位账号"));
    assert_eq!(units().await, 3);
    let (level, region): (String, String) =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as("SELECT level, region FROM accounts WHERE name = '范县水利局.政务'")
            .fetch_one(p).await)
            .unwrap();
    assert_eq!((level.as_str(), region.as_str()), ("county", "410926"));
    // Such a unit sets its password with a code and signs in.
    assert_eq!(Browser::anonymous(&app.base).try_login("南乐县水利局.政务", "!imported").await.status(), 401);
    let form = Browser::anonymous(&app.base);
    let page = form.text("/password/reset").await;
    form.post_raw(
        "/password/reset",
        &[("csrf".into(), extract_csrf(&page).unwrap()), ("name".into(), "南乐县水利局.政务".into())],
    )
    .await;
    let code = reset_code(&app, "13803930021").await;
    let page = form.text("/password/reset").await;
    let fields: Vec<(String, String)> = vec![
        ("csrf".into(), extract_csrf(&page).unwrap()),
        ("name".into(), "南乐县水利局.政务".into()),
        ("code".into(), code),
        ("password".into(), "南乐县水利局的新密码".into()),
    ];
    assert_eq!(form.post_raw("/password/reset/confirm", &fields).await.status(), 200);
    assert_eq!(
        Browser::anonymous(&app.base).try_login("南乐县水利局.政务", "南乐县水利局的新密码").await.status(),
        303
    );
}
