//! The account lists at the register's scale: the admin's `/admin/accounts` and an office's
//! `/office/units` are searched in the database and shown 50 accounts a page, and an action on
//! one account leads back to the page it was taken from.

use chrono::Utc;
use govbadge::domain::account::Role;
use govbadge::domain::region::{Level, RegionCode};
use govbadge::store::accounts::{self, NewAccount};

use crate::helpers::*;

/// Unit accounts: `n` of 清丰县 named 清丰单位NNN, `n / 2` of 南乐县 named 南乐单位NNN, and
/// three central units without a region; then the 南乐 ones whose number is a multiple of
/// three are made what a register import leaves (disabled, no password).
async fn add_units(app: &TestApp, n: usize) {
    let (qingfeng, nanle) = (RegionCode::parse("410922").unwrap(), RegionCode::parse("410923").unwrap());
    let names: Vec<(String, Option<RegionCode>, Level)> = (0..n)
        .map(|i| (format!("清丰单位{i:03}"), Some(qingfeng), Level::County))
        .chain((0..n / 2).map(|i| (format!("南乐单位{i:03}"), Some(nanle), Level::County)))
        .chain((0..3).map(|i| (format!("中央单位{i}"), None, Level::Central)))
        .collect();
    let new: Vec<NewAccount> = names
        .iter()
        .map(|(name, region, level)| NewAccount {
            name,
            display_name: name,
            role: Role::Unit,
            level: Some(*level),
            region: region.as_ref(),
            password_hash: "x",
            email: "",
            mobile: "",
        })
        .collect();
    accounts::create_many(&app.ctx.pool, &new, Utc::now()).await.unwrap();
    for i in (0..n / 2).step_by(3) {
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE accounts SET disabled = TRUE, password_hash = '!imported' WHERE name = $1")
            .bind(format!("南乐单位{i:03}"))
            .execute(p).await.map(|_| ()))
            .unwrap();
    }
}

/// The account names listed on a page, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("<tr><td>").skip(1).map(|row| row.split("</td>").next().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_admin_searches_every_account_a_page_at_a_time() {
    let app = spawn_app().await;
    app.cast().await;
    add_units(&app, 120).await;
    let admin = app.browser("admin").await;
    // 11 of the cast, 120 + 60 + 3 units: four pages of 50.
    let first = html_unescape(&admin.text("/admin/accounts").await);
    assert!(first.contains("共194个账号，第1/4页"), "{first}");
    assert_eq!(listed(&first).len(), 50);
    assert!(first.contains("下一页") && !first.contains("上一页"));
    let last = html_unescape(&admin.text("/admin/accounts?page=4").await);
    assert_eq!(listed(&last).len(), 44);
    assert!(last.contains("上一页") && !last.contains("下一页"));
    // A page past the last is the last one; a malformed page is the first.
    assert_eq!(listed(&html_unescape(&admin.text("/admin/accounts?page=99").await)), listed(&last));
    assert_eq!(listed(&html_unescape(&admin.text("/admin/accounts?page=x&page=2").await)), listed(&first));

    // By name, role, region and state, each in the database.
    let found = html_unescape(&admin.text("/admin/accounts?q=%E6%B8%85%E4%B8%B0%E5%8D%95%E4%BD%8D11").await);
    assert_eq!(
        listed(&found),
        [
            "清丰单位110",
            "清丰单位111",
            "清丰单位112",
            "清丰单位113",
            "清丰单位114",
            "清丰单位115",
            "清丰单位116",
            "清丰单位117",
            "清丰单位118",
            "清丰单位119"
        ]
    );
    let reviewers = listed(&html_unescape(&admin.text("/admin/accounts?role=reviewer").await));
    assert_eq!(reviewers.len(), 7, "{reviewers:?}");
    let nanle = html_unescape(&admin.text("/admin/accounts?region=410923&role=unit").await);
    assert!(nanle.contains("共61个账号"), "60 generated and the cast's 南乐县教育局: {nanle}");
    let city = html_unescape(&admin.text("/admin/accounts?region=410900").await);
    assert!(city.contains("共187个账号"), "the city's offices, supervisor and units: {city}");
    let awaiting = html_unescape(&admin.text("/admin/accounts?state=awaiting").await);
    assert!(awaiting.contains("共20个账号"), "{awaiting}");
    assert!(listed(&awaiting).iter().all(|n| n.starts_with("南乐单位")));
    let disabled = html_unescape(&admin.text("/admin/accounts?state=disabled").await);
    assert!(disabled.contains("共0个账号") && disabled.contains("没有符合条件的账号"), "{disabled}");
    // A unit account its office created without a password may sign in once the unit sets one:
    // enabled, and said to wait for the unit.
    govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE accounts SET password_hash = '!imported' WHERE name = '清丰单位001'")
        .execute(p).await.map(|_| ()))
        .unwrap();
    let enabled =
        html_unescape(&admin.text("/admin/accounts?q=%E6%B8%85%E4%B8%B0%E5%8D%95%E4%BD%8D001&state=enabled").await);
    assert!(enabled.contains("共1个账号") && enabled.contains("待单位设置密码（找回密码）"), "{enabled}");
    // LIKE's wildcards are searched as text.
    for q in ["%25", "_", "%5C"] {
        let none = html_unescape(&admin.text(&format!("/admin/accounts?q={q}")).await);
        assert!(none.contains("共0个账号"), "q={q}: {none}");
    }

    // An action on an account of a searched page leads back to that page of that search.
    let id: i64 =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT id FROM accounts WHERE name = '清丰单位070'")
        .fetch_one(p).await)
        .unwrap();
    let page2 = html_unescape(&admin.text("/admin/accounts?q=%E6%B8%85%E4%B8%B0&role=unit&page=2").await);
    let action = format!("/admin/accounts/{id}/disabled?q=%E6%B8%85%E4%B8%B0&role=unit&region=&state=&page=2");
    assert!(page2.contains(&format!("action=\"{action}\"")), "{page2}");
    let r = admin.post(&action, &[("disabled", "1")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/accounts?q=%E6%B8%85%E4%B8%B0&role=unit&region=&state=&page=2");
    assert!(html_unescape(&admin.text("/admin/accounts?state=disabled").await).contains("清丰单位070"));
    // The way back is rebuilt from the search as parsed: never another address.
    let r = admin.post(&format!("/admin/accounts/{id}/disabled?q=x&page=//evil.example"), &[("disabled", "0")]).await;
    assert_eq!(r.headers()["location"], "/admin/accounts?q=x&role=&region=&state=&page=1");

    // The API pages the same way, with the totals.
    let api = app.api("admin").await;
    let (status, body) = api.get("/api/v1/accounts?role=unit&page=2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["total"].as_i64(), body["page"].as_i64(), body["pages"].as_i64()), (Some(185), Some(2), Some(4)));
    assert_eq!((body["items"].as_array().unwrap().len(), body["page_size"].as_i64()), (50, Some(50)));
    let (_, body) = api.get("/api/v1/accounts?state=awaiting&region=410923").await;
    assert_eq!(body["total"], 20);
    assert_eq!(app.api("清丰县编办.政务").await.get("/api/v1/accounts?page=2").await.0, 403);
}

#[tokio::test]
async fn an_office_searches_the_unit_accounts_of_its_area_only() {
    let app = spawn_app().await;
    app.cast().await;
    add_units(&app, 120).await;
    let county = app.browser("清丰县编办.政务").await;
    let page = html_unescape(&county.text("/office/units").await);
    // 120 generated and the cast's 清丰县人民政府.
    assert!(page.contains("共121个单位账号，第1/3页"), "{page}");
    assert!(listed(&page).iter().all(|n| n.starts_with("清丰")), "{page}");
    // A region outside the area is the whole area; a search never reaches past it.
    let outside = html_unescape(&county.text("/office/units?region=410923").await);
    assert!(outside.contains("共121个单位账号"), "{outside}");
    let nanle = html_unescape(&county.text("/office/units?q=%E5%8D%97%E4%B9%90").await);
    assert!(nanle.contains("共0个单位账号"), "{nanle}");

    // The city office narrows its area to a county, and finds the imported accounts.
    let city = app.browser("濮阳市编办.政务").await;
    assert!(html_unescape(&city.text("/office/units").await).contains("共182个单位账号"));
    let awaiting = html_unescape(&city.text("/office/units?region=410923&state=awaiting").await);
    assert!(awaiting.contains("共20个单位账号"), "{awaiting}");
    // Activated from that list, it leads back to it: the account is no longer waiting.
    let id: i64 =
        govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT id FROM accounts WHERE name = '南乐单位003'")
        .fetch_one(p).await)
        .unwrap();
    let action = format!("/office/units/{id}/activate?q=&role=&region=410923&state=awaiting&page=1");
    assert!(awaiting.contains(&format!("action=\"{action}\"")), "{awaiting}");
    let r = city.post(&action, &[("password", "南乐单位的初始密码2026")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/office/units?q=&role=&region=410923&state=awaiting&page=1");
    let after = html_unescape(&city.text("/office/units?region=410923&state=awaiting").await);
    assert!(after.contains("共19个单位账号") && !after.contains("南乐单位003"), "{after}");

    // 中央编办's area is every unit, the central ones without a region too.
    let central = app.browser("中央编办.政务").await;
    let all = html_unescape(&central.text("/office/units?q=%E4%B8%AD%E5%A4%AE").await);
    assert!(all.contains("共3个单位账号"), "{all}");
    assert!(html_unescape(&central.text("/office/units").await).contains("共185个单位账号"));
}

#[tokio::test]
async fn an_account_row_that_cannot_be_read_is_named_and_left_out_not_the_whole_list() {
    let app = spawn_app().await;
    app.cast().await;
    // A region no division has the form of (six characters, as the schema asks, not digits).
    let broken: i64 = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar(
        "UPDATE accounts SET region = '41092x' WHERE name = '清丰县人民政府.政务' RETURNING id",
    )
    .fetch_one(p)
    .await)
    .unwrap();
    let notice = format!("以下账号记录数据异常，暂无法显示：{broken}号。请联系系统管理员处理。");

    // The admin, who can mend it, still has the list.
    let admin = app.browser("admin").await;
    let r = admin.get("/admin/accounts").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains(&notice), "{page}");
    assert!(page.contains("濮阳市编办.政务") && !page.contains(">清丰县人民政府.政务<"), "the others are listed");
    let (status, body) = app.api("admin").await.get("/api/v1/accounts").await;
    assert_eq!((status, body["unreadable"].clone()), (200, serde_json::json!([broken])), "{body}");
    // The city office whose area the row falls in too.
    let city = app.browser("濮阳市编办.政务").await.get("/office/units").await;
    assert_eq!(city.status(), 200);
    assert!(city.text().await.unwrap().contains(&notice));
}
