//! What users see when something does not go their way: error pages inside the site's layout,
//! the page asked for after signing in.

use crate::helpers::*;

#[tokio::test]
async fn errors_are_pages_of_the_site_with_a_way_back() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let reviewer = app.browser("清丰县编办.政务").await;
    let r = reviewer.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("页面不存在") && page.contains("返回首页"), "{page}");
    assert!(page.contains("退出") || page.contains("清丰县编办"), "the layout with the user's navigation: {page}");
    let r = reviewer.get("/admin/accounts").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("无权访问"));
    // The API's errors stay JSON.
    let api = app.api("清丰县编办.政务").await;
    let (status, body) = api.get("/api/v1/no-such-thing").await;
    assert_eq!((status, body["error"].is_string()), (404, true));
}

#[tokio::test]
async fn signing_in_returns_to_the_page_asked_for() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let b = Browser::anonymous(&app.base);
    let r = b.get("/dashboard?status=overdue").await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/login?next=%2Fdashboard%3Fstatus%3Doverdue");
    let form = b.text(&location).await;
    assert!(form.contains("name=\"next\"") && form.contains("dashboard?status=overdue"), "{form}");
    let csrf = extract_csrf(&form).unwrap();
    let r = b
        .client
        .post(format!("{}/login", app.base))
        .form(&[
            ("name", "濮阳市监督.政务"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/dashboard?status=overdue"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/dashboard?status=overdue");
    // Never to another site.
    let b = Browser::anonymous(&app.base);
    let form = b.text("/login?next=//evil.example/").await;
    assert!(!form.contains("evil.example"));
    let csrf = extract_csrf(&form).unwrap();
    let r = b
        .client
        .post(format!("{}/login", app.base))
        .form(&[("name", "濮阳市监督.政务"), ("password", PASSWORD), ("csrf", &csrf), ("next", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/applications");
}

#[tokio::test]
async fn a_refused_step_keeps_what_was_typed_and_a_done_one_says_so() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let owner = app.browser("清丰县人民政府.政务").await;
    let id = owner.create_application(&valid_input(), true).await;
    let reviewer = app.browser("清丰县编办.政务").await;
    let review = format!("/applications/{id}/review");

    // Markup in the reason: the same page, the text kept, the message beside the field.
    let version = app.version_of(id).await.to_string();
    let r = reviewer.post(&review, &[("version", &version), ("decision", "reject"), ("reason", "材料<b>不全")]).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("清丰县人民政府网") && page.contains("审核意见"), "the application page again");
    assert!(page.contains("材料&lt;b&gt;不全") && page.contains("尖括号"), "{page}");
    // No reason for a rejection: said beside the field, nothing changed.
    let r = reviewer.post(&review, &[("version", &version), ("decision", "reject"), ("reason", "")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("class=\"error\" role=\"alert\""));
    assert_eq!(app.state_of(id).await, "county_review");

    // A rejection with its reason: the unit sees it at the top of its application.
    let r = reviewer
        .post(&review, &[("version", &version), ("decision", "reject"), ("reason", "网站名称与单位名称不符")])
        .await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/applications/{id}?done=rejected"));
    assert!(reviewer.text(&location).await.contains("已退回单位"));
    let page = owner.text(&format!("/applications/{id}")).await;
    let top = &page[..page.find("<h1>").unwrap()];
    assert!(top.contains("申请未通过审核，已退回") && top.contains("网站名称与单位名称不符"), "{top}");

    // Resubmitted and approved: each says where the application went.
    let version = app.version_of(id).await.to_string();
    let r = owner.post(&format!("/applications/{id}/submit"), &[("version", &version)]).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(owner.text(&location).await.contains("已提交，已转至清丰县委编办审核"));
    let version = app.version_of(id).await.to_string();
    // Approving without the review items checked is refused, naming them.
    let r = reviewer.post(&review, &[("version", &version), ("decision", "approve"), ("reason", "")]).await;
    assert_eq!(r.status(), 422);
    assert!(html_unescape(&r.text().await.unwrap()).contains("尚未核对：开办主体资质、联系人信息、网站名称、域名名称"));
    let mut fields =
        vec![("version".to_owned(), version), ("decision".into(), "approve".into()), ("reason".into(), String::new())];
    fields.extend(all_checklist_fields());
    let r = reviewer.post_pairs(&review, fields).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(reviewer.text(&location).await.contains("已通过，已转至濮阳市委编办"));
}

#[tokio::test]
async fn a_unit_deletes_its_draft_but_nothing_submitted() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let owner = app.browser("清丰县人民政府.政务").await;
    let draft = owner.create_application(&valid_input(), false).await;
    let page = owner.text(&format!("/applications/{draft}")).await;
    assert!(page.contains("删除草稿"));
    let version = app.version_of(draft).await.to_string();
    let other = app.browser("南乐县教育局.政务").await;
    assert_eq!(other.post(&format!("/applications/{draft}/delete"), &[("version", &version)]).await.status(), 404);
    assert_eq!(owner.post(&format!("/applications/{draft}/delete"), &[("version", &version)]).await.status(), 303);
    assert_eq!(owner.get(&format!("/applications/{draft}")).await.status(), 404);

    let mut input = valid_input();
    input.domain_en = "www2.qingfeng.gov.cn".into();
    let submitted = owner.create_application(&input, true).await;
    assert!(!owner.text(&format!("/applications/{submitted}")).await.contains("删除草稿"));
    let version = app.version_of(submitted).await.to_string();
    assert_eq!(owner.post(&format!("/applications/{submitted}/delete"), &[("version", &version)]).await.status(), 409);
    assert_eq!(app.state_of(submitted).await, "county_review");
}

#[tokio::test]
async fn regions_are_picked_by_name_within_the_jurisdiction() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let supervisor = app.browser("濮阳市监督.政务").await;
    let page = supervisor.text("/dashboard").await;
    assert!(page.contains("<select name=\"region\">") && page.contains("清丰县") && page.contains("南乐县"), "{page}");
    assert!(!page.contains("安阳市"), "only divisions of the supervisor's own city");
    let admin_browser = app.browser("admin").await;
    let admin = admin_browser.text("/admin/accounts").await;
    // Every GB/T 2260 division is offered by name as the admin types. So many are not carried
    // in each view of the page: the portal's script fetches them on first use, from an address
    // that browsers keep (the script itself is tried in chromium by the journeys).
    assert!(admin.contains("list=\"region-list\""), "{admin}");
    assert!(!admin.contains("<option value=\"清丰县（410922）\">"), "the list is not in the page");
    assert!(admin.len() < 40_000, "the admin's page weighs {} bytes", admin.len());
    let src = html_unescape(
        admin.split("<datalist id=\"region-list\" data-src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap(),
    );
    assert!(admin.contains("data-prefix=\"\">"), "the admin's picker offers every division");
    assert!(src.starts_with("/static/regions.json?v="), "{src}");
    let every = admin_browser.get(&src).await;
    assert_eq!(every.headers()["content-type"], "application/json");
    assert_eq!(every.headers()["cache-control"], "public, max-age=31536000, immutable", "kept at its version");
    let pairs: Vec<(String, String)> = every.json().await.unwrap();
    for division in [("110101", "东城区（110101）"), ("410922", "清丰县（410922）"), ("500101", "万州区（500101）")]
    {
        assert!(pairs.contains(&(division.0.to_owned(), division.1.to_owned())), "{division:?}");
    }
    let stale = admin_browser.get("/static/regions.json?v=000000000000").await;
    assert_eq!(stale.headers()["cache-control"], "public, max-age=3600", "an old version's link is not kept long");
    // An office's own area is short enough to be carried in the page, and only its area.
    let city = app.browser("濮阳市编办.政务").await.text("/office/units").await;
    assert!(city.contains("<option value=\"清丰县（410922）\">") && !city.contains("data-src"), "{city}");
    assert!(!city.contains("（411002）"), "another city's division");
    // 中央编办's area is the whole country: fetched like the admin's.
    let central = app.browser("中央编办.政务").await.text("/office/units").await;
    assert!(central.contains("regions.json?v=") && central.contains("data-prefix=\"\">"), "{central}");
    let form = |name: &'static str, region: &'static str| {
        vec![
            ("name", name),
            ("display_name", "南乐县审核员"),
            ("role", "reviewer"),
            ("level", "county"),
            ("region", region),
            ("password", "a long enough password"),
        ]
    };
    assert_eq!(admin_browser.post("/admin/accounts", &form("nanle-1", "南乐县")).await.status(), 303);
    assert_eq!(admin_browser.post("/admin/accounts", &form("nanle-2", "南乐县（410923）")).await.status(), 303);
    let r = admin_browser.post("/admin/accounts", &form("nanle-3", "朝阳区")).await;
    assert_eq!(r.status(), 422, "朝阳区 is in both Beijing and Changchun");
    assert!(html_unescape(&r.text().await.unwrap()).contains("行政区划“朝阳区”有重名"));
    let regions: Vec<String> = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT region FROM accounts WHERE name LIKE 'nanle-%'")
        .fetch_all(p).await)
        .unwrap();
    assert_eq!(regions, ["410923", "410923"]);
}

#[tokio::test]
async fn a_refused_badge_status_change_keeps_the_reason_typed() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let reviewer = app.browser("清丰县编办.政务").await;
    // Revoked badges stay revoked; the reason typed comes back with the message beside it.
    let path = format!("/badges/{code}/status");
    assert_eq!(reviewer.post(&path, &[("status", "revoked"), ("reason", "网站关停")]).await.status(), 303);
    let r = reviewer.post(&path, &[("status", "active"), ("reason", "已整改，申请恢复")]).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("已整改，申请恢复") && page.contains("role=\"alert\"") && page.contains("标识状态管理"),
        "{page}"
    );
}
