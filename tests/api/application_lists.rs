//! The lists of applications that grow with every application made: the reviewers' queue is
//! drawn from the applications under way and shown 50 a page, and every application of a scope
//! is searched in the database and read 50 a page, on the page and through the API, holding
//! exactly what `can_view` lets each account see.

use std::collections::BTreeSet;

use govbadge::domain::account::Role;
use govbadge::domain::application::ApplicationInput;
use govbadge::domain::region::Level;
use govbadge::domain::workflow::ChainKind;
use govbadge::service::applications::can_view;
use govbadge::store::{accounts, applications};
use serde_json::Value;

use crate::helpers::*;
use crate::workflow::submitted;

/// The standard form for site number `n`, with its own names and domains.
fn site(n: usize) -> ApplicationInput {
    ApplicationInput {
        site_name: format!("清丰县测试网站{n}"),
        domain_cn: format!("清丰县测试{n}.政务"),
        domain_en: format!("s{n}.qingfeng.gov.cn"),
        ..valid_input()
    }
}

/// Creates an application of `unit` (submitted or a draft); returns its id.
async fn create(app: &TestApp, unit: &str, input: ApplicationInput, submit: bool) -> i64 {
    let body = if submit { submitted(input) } else { serde_json::to_value(input).unwrap() };
    let (status, created) = app.api(unit).await.post("/api/v1/applications", body).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// Writes the stored review chain of application `id` as it is, bypassing the service (a
/// value this release may not know).
async fn set_chain(app: &TestApp, id: i64, chain: &str) {
    let updated =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE applications SET chain = $1 WHERE id = $2")
        .bind(chain)
        .bind(id)
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .unwrap();
    assert_eq!(updated, 1, "application {id}");
}

/// Every id of `path`'s list, page after page, through the API as `who`; with the total.
async fn every_listed(app: &TestApp, who: &str, path: &str) -> (Vec<i64>, i64) {
    let api = app.api(who).await;
    let (mut ids, mut page) = (Vec::new(), 1);
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let (status, body) = api.get(&format!("{path}{separator}page={page}")).await;
        assert_eq!(status, 200, "{who} {path}: {body}");
        ids.extend(body["items"].as_array().unwrap().iter().map(|a: &Value| a["id"].as_i64().unwrap()));
        if page >= body["pages"].as_i64().unwrap() {
            return (ids, body["total"].as_i64().unwrap());
        }
        page += 1;
    }
}

#[tokio::test]
async fn an_office_sees_its_queue_and_every_application_a_page_at_a_time() {
    let app = spawn_app().await;
    app.cast().await;
    let mut ids = Vec::new();
    for n in 0..55 {
        ids.push(create(&app, "清丰县人民政府.政务", site(n), true).await);
    }
    let county = app.api("清丰县编办.政务").await;
    // One goes on to the city's review, one is sent back.
    assert_eq!(county.step(ids[0], "review", "approve", "").await.0, 200);
    assert_eq!(county.step(ids[1], "review", "reject", "域名不符").await.0, 200);

    // Two have waited two months: past their deadline, and the longest waiting.
    for id in [ids[54], ids[40]] {
        let since = chrono::Utc::now() - chrono::Duration::days(60) + chrono::Duration::seconds(id);
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE applications SET state_since = $1 WHERE id = $2")
            .bind(since).bind(id).execute(p).await.map(|done| done.rows_affected()))
        .unwrap();
    }

    let office = app.browser("清丰县编办.政务").await;
    let page = html_unescape(&office.text("/applications").await);
    assert!(page.contains("待我办理（53）"), "{page}");
    assert!(page.contains("共55件申请，第1/2页"), "{page}");
    // The queue a page at a time too, the longest waiting first, with what is overdue counted
    // over the whole of it; the list the latest changed first.
    let queue_of = |page: &str| page[page.find("待我办理").unwrap()..page.find("全部申请").unwrap()].to_owned();
    let rows = |queue: &str| queue.matches(">办理</a>").count();
    let queue = queue_of(&page);
    assert!(
        queue.contains("共53件待办，其中<strong class=\"error\">已超期2件</strong>，第1/2页，等候最久的在前"),
        "{queue}"
    );
    assert_eq!(rows(&queue), 50);
    let order =
        ["清丰县测试网站40<", "清丰县测试网站54<", "清丰县测试网站2<", "清丰县测试网站3<"].map(|s| queue.find(s));
    assert!(order.windows(2).all(|w| w[0].is_some() && w[0] < w[1]), "{order:?}");
    assert_eq!(queue.matches("已超期</strong>").count(), 2, "the two overdue rows are marked");
    assert!(!queue.contains("清丰县测试网站53<"), "the 53rd waits on the queue's second page");
    // Each pager keeps the other's page.
    assert!(queue.contains("page=1&request_page=1&queue_page=2#queue\">下一页"), "{queue}");
    let second = html_unescape(&office.text("/applications?page=2&queue_page=2").await);
    let queue = queue_of(&second);
    assert_eq!(rows(&queue), 3, "{queue}");
    assert!(queue.contains("第2/2页") && queue.contains("清丰县测试网站53<"), "{queue}");
    assert!(queue.contains("page=2&request_page=1&queue_page=1#queue\">上一页"), "{queue}");
    assert!(second.contains("queue_page=2&request_page=1&page=1#all\">上一页"), "{second}");
    // The same queue through the API.
    let (status, first) = county.get("/api/v1/queue").await;
    assert_eq!(status, 200, "{first}");
    let items = first["items"].as_array().unwrap();
    assert_eq!(
        (first["total"].as_i64(), first["overdue"].as_i64(), first["pages"].as_i64()),
        (Some(53), Some(2), Some(2))
    );
    assert_eq!((items.len(), items[0]["id"].as_i64(), items[1]["id"].as_i64()), (50, Some(ids[40]), Some(ids[54])));
    let (_, second) = county.get("/api/v1/queue?page=2").await;
    assert_eq!((second["items"].as_array().unwrap().len(), second["page"].as_i64()), (3, Some(2)));
    let (_, unit) = app.api("清丰县人民政府.政务").await.get("/api/v1/queue").await;
    assert_eq!(
        (unit["total"].as_i64(), unit["items"].as_array().map(Vec::len)),
        (Some(0), Some(0)),
        "a unit owes no step"
    );
    // A queue page past the last is the last.
    assert!(queue_of(&html_unescape(&office.text("/applications?queue_page=7").await)).contains("第2/2页"));
    let (listed, total) = every_listed(&app, "清丰县编办.政务", "/api/v1/applications").await;
    assert_eq!((listed.len(), total), (55, 55));
    assert_eq!(&listed[..2], &[ids[1], ids[0]], "the two changed last come first");
    let (_, first) = county.get("/api/v1/applications").await;
    assert_eq!((first["items"].as_array().unwrap().len(), first["pages"].as_i64()), (50, Some(2)));
    // A page past the last is the last.
    let last = html_unescape(&office.text("/applications?page=9").await);
    assert!(last.contains("第2/2页") && last.contains("上一页"), "{last}");

    // Searched by name, domain and state, in the database.
    let (found, _) = every_listed(&app, "清丰县编办.政务", "/api/v1/applications?q=%E7%BD%91%E7%AB%991").await;
    assert_eq!(found.len(), 11, "网站1 and 网站10-19");
    let (found, _) = every_listed(&app, "清丰县编办.政务", "/api/v1/applications?q=S42.QINGFENG").await;
    assert_eq!(found, [ids[42]]);
    let rejected = html_unescape(&office.text("/applications?state=rejected").await);
    assert!(rejected.contains("共1件申请") && rejected.contains("清丰县测试网站1<"), "{rejected}");
    for q in ["%25", "_"] {
        let (none, _) = every_listed(&app, "清丰县编办.政务", &format!("/api/v1/applications?q={q}")).await;
        assert!(none.is_empty(), "q={q}");
    }

    // The city's office waits on the one approved (the tests' chain is every level), 中央编办
    // on none yet; another county's office sees none of them.
    let city = html_unescape(&app.browser("濮阳市编办.政务").await.text("/applications").await);
    assert!(city.contains("待我办理（1）") && city.contains("共55件申请"), "{city}");
    let central = html_unescape(&app.browser("中央编办.政务").await.text("/applications").await);
    assert!(central.contains("待我办理（0）") && central.contains("共55件申请"), "{central}");
    let other = html_unescape(&app.browser("南乐县编办.政务").await.text("/applications").await);
    assert!(other.contains("待我办理（0）") && other.contains("共0件申请"), "{other}");
    // The unit lists its own through the API, drafts too.
    create(&app, "清丰县人民政府.政务", site(99), false).await;
    assert_eq!(every_listed(&app, "清丰县人民政府.政务", "/api/v1/applications").await.1, 56);
}

#[tokio::test]
async fn every_list_holds_exactly_what_each_account_may_view() {
    for filing in [false, true] {
        // The seed's chain, the unit's level then 中央编办: the province and the city see a
        // county's applications only through the filing.
        let app = spawn_app_with(|c| {
            c.workflow.review_chain = ChainKind::SameLevel;
            c.workflow.provincial_filing = filing;
        })
        .await;
        app.cast().await;
        app.account("濮阳市财政局.政务", Role::Unit, Some(Level::City), Some("410900")).await;
        let ids = [
            create(&app, "清丰县人民政府.政务", site(1), true).await,
            create(&app, "清丰县人民政府.政务", site(2), true).await,
            create(&app, "清丰县人民政府.政务", site(3), false).await,
            create(&app, "南乐县教育局.政务", site(4), true).await,
            create(&app, "濮阳市财政局.政务", site(5), true).await,
        ];
        let county = app.api("清丰县编办.政务").await;
        assert_eq!(county.step(ids[0], "review", "approve", "").await.0, 200);
        assert_eq!(county.step(ids[1], "review", "reject", "域名不符").await.0, 200);

        for who in [
            "清丰县人民政府.政务",
            "南乐县教育局.政务",
            "濮阳市财政局.政务",
            "清丰县编办.政务",
            "南乐县编办.政务",
            "濮阳市编办.政务",
            "安阳市编办.政务",
            "河南省编办.政务",
            "中央编办.政务",
            "濮阳市监督.政务",
        ] {
            let actor = accounts::find_by_name(&app.ctx.pool, who).await.unwrap().unwrap().actor();
            let mut allowed = BTreeSet::new();
            for id in ids {
                if can_view(&actor, &applications::get(&app.ctx.pool, id).await.unwrap()) {
                    allowed.insert(id);
                }
            }
            let (listed, total) = every_listed(&app, who, "/api/v1/applications").await;
            assert_eq!(listed.iter().copied().collect::<BTreeSet<_>>(), allowed, "{who}, filing {filing}");
            assert_eq!((listed.len(), total), (allowed.len(), allowed.len() as i64), "{who}");
        }
        // The rule at work: the province sees the county's applications only when it files
        // their paper; the city never.
        let (province, _) = every_listed(&app, "河南省编办.政务", "/api/v1/applications").await;
        assert_eq!(province.len(), if filing { 4 } else { 0 }, "filing {filing}");
        let (city, _) = every_listed(&app, "濮阳市编办.政务", "/api/v1/applications").await;
        assert_eq!(city, [ids[4]], "the city unit's own, at the city's review");
    }
}

#[tokio::test]
async fn a_row_that_cannot_be_read_is_named_and_left_out_not_the_whole_list() {
    let app = spawn_app().await;
    app.cast().await;
    let unit = "清丰县人民政府.政务";
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(create(&app, unit, site(n), true).await);
        }
        ids
    };
    // A review chain naming a level this release does not know, as a later release could
    // leave behind after a rollback.
    let broken = ids[1];
    set_chain(&app, broken, "county,galactic").await;
    let notice = format!("以下申请记录数据异常，暂无法显示：{broken}号。请联系系统管理员处理。");

    // The office's workbench: the queue and the whole list still show the others.
    let office = app.browser("清丰县编办.政务").await;
    let r = office.get("/applications").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert_eq!(page.matches(&notice).count(), 1, "named once, though in the queue and the list: {page}");
    for id in [ids[0], ids[2]] {
        assert!(page.contains(&format!("href=\"/applications/{id}\"")), "application {id} still listed");
    }
    assert!(!page.contains(&format!("href=\"/applications/{broken}\"")));
    assert!(page.contains("待我办理（2）"), "{page}");

    // The API says which rows it left out.
    let (status, body) = app.api("清丰县编办.政务").await.get("/api/v1/applications").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unreadable"], serde_json::json!([broken]));
    let listed: Vec<i64> = body["items"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [ids[2], ids[0]]);
    assert_eq!(body["total"], 3, "the total counts the row left out");

    // The unit's own list too; opened alone, the row is still an error, and the service goes on.
    let owner = app.browser(unit).await;
    let portal = owner.text("/portal").await;
    assert!(portal.contains(&notice) && portal.contains("清丰县测试网站0"), "{portal}");
    assert_eq!(owner.get(&format!("/applications/{broken}")).await.status(), 500);
    assert_eq!(owner.get(&format!("/applications/{}", ids[0])).await.status(), 200);
    let (status, body) = app.api("清丰县编办.政务").await.get("/api/v1/applications").await;
    assert_eq!((status, body["unreadable"].clone()), (200, serde_json::json!([broken])));

    // Mended, it is listed again and the notice is gone.
    set_chain(&app, broken, "county").await;
    let page = office.text("/applications").await;
    assert!(!page.contains("数据异常") && page.contains(&format!("href=\"/applications/{broken}\"")));
}

#[tokio::test]
async fn the_pending_change_and_cancellation_requests_are_listed_a_page_at_a_time() {
    use govbadge::domain::badge::BadgeCode;
    use govbadge::domain::region::RegionCode;
    use govbadge::domain::site_request::RequestKind;
    let app = spawn_app().await;
    crate::fixture::sites(&app.ctx.pool).await;
    app.cast().await;
    // 55 more sites of the fixture's first unit (清丰县, account 901), each asking to close.
    let region = RegionCode::parse("410922").unwrap();
    let start = chrono::Utc::now() - chrono::Duration::hours(1);
    for n in 0..55_i64 {
        let (id, code) = (2000 + n, BadgeCode::new(&region, 500 + n as u32).unwrap().to_string());
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query(
            "INSERT INTO applications (id, unit_id, kind, state, state_since, unit_name, category, site_name,
                domain_en, handler_name, handler_mobile, handler_email, created_at, updated_at)
             SELECT $1, unit_id, kind, state, state_since, unit_name, category, $2, $3, handler_name,
                handler_mobile, handler_email, created_at, updated_at FROM applications WHERE id = 901",
        )
        .bind(id).bind(format!("清丰县待注销网站{n}")).bind(format!("s{n}.qingfeng.gov.cn"))
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query(
            "INSERT INTO badges (code, application_id, unit_id, region, serial, status, issued_at, install_due,
                status_changed_at)
             SELECT $1, $2, unit_id, region, $3, status, issued_at, install_due, status_changed_at
             FROM badges WHERE application_id = 901",
        )
        .bind(&code).bind(id).bind(500 + n)
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
        let asked = start + chrono::Duration::seconds(n);
        govbadge::store::site_requests::create(&app.ctx.pool, &code, 901, RequestKind::Cancel, "{}", "网站关停", asked)
            .await
            .unwrap();
    }
    let office = app.browser("清丰县编办.政务").await;
    let requests_of = |page: &str| page[page.find("待审核的变更").unwrap()..page.find("全部申请").unwrap()].to_owned();
    let rows = |section: &str| section.matches(">办理</a>").count();
    let first = requests_of(&html_unescape(&office.text("/applications").await));
    assert!(first.contains("待审核的变更、注销申请（55）") && first.contains("第1/2页，提交最早的在前"), "{first}");
    assert_eq!(rows(&first), 50);
    assert!(first.find("清丰县待注销网站0<").unwrap() < first.find("清丰县待注销网站49<").unwrap());
    assert!(!first.contains("清丰县待注销网站50<"), "the 51st asked waits on the second page");
    assert!(first.contains("page=1&queue_page=1&request_page=2#requests\">下一页"), "{first}");
    let second = requests_of(&html_unescape(&office.text("/applications?request_page=2").await));
    assert_eq!(rows(&second), 5, "{second}");
    assert!(second.contains("第2/2页") && second.contains("清丰县待注销网站54<"), "{second}");
    // Only the office of the unit's own level and area decides them.
    for other in ["南乐县编办.政务", "濮阳市编办.政务", "中央编办.政务"] {
        assert!(!app.browser(other).await.text("/applications").await.contains("待审核的变更"), "{other}");
    }
}
