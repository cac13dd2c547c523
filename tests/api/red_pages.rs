//! Hosted red pages: edited in a plain form, validated, served publicly with the badge in the
//! footer, counted as compliant by the crawler.

use crate::helpers::*;

#[tokio::test]
async fn a_unit_publishes_a_red_page_that_carries_its_badge() {
    let app = spawn_app().await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let unit = app.browser("清丰县人民政府.政务").await;
    assert!(unit.text(&format!("/portal/red-page?code={code}")).await.contains("网络红页"));

    let mut fields = vec![
        ("code", code.as_str()),
        ("title", "清丰县人民政府办公室"),
        ("introduction", "<script>alert(1)</script>"),
        ("functions", "负责县政府日常运转。"),
        ("address", "河南省濮阳市清丰县中州西路1号"),
        ("public_phone", "0393-7221234"),
        ("service_links", "政务服务 https://www.hnzwfw.gov.cn/\n坏链接 javascript:alert(1)"),
        ("published", "1"),
    ];
    let r = unit.post("/portal/red-page", &fields).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("不得包含尖括号") && page.contains("每行一个服务链接"));
    assert_eq!(reqwest::get(format!("{}/red/{code}", app.base)).await.unwrap().status(), 404);

    fields[2] = ("introduction", "清丰县人民政府办公室是县政府的办事机构。");
    fields[6] = ("service_links", "政务服务 https://www.hnzwfw.gov.cn/");
    assert_eq!(unit.post("/portal/red-page", &fields).await.status(), 303);
    let public = reqwest::get(format!("{}/red/{code}", app.base)).await.unwrap();
    assert_eq!(public.status(), 200);
    // The page's own policy, not the service's global one, which would block its inline style.
    let csp = public.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("style-src 'unsafe-inline'") && csp.contains("default-src 'none'"), "{csp}");
    let html = html_unescape(&public.text().await.unwrap());
    assert!(html.contains("县政府的办事机构") && html.contains("https://www.hnzwfw.gov.cn/"));
    assert!(html.contains(&format!("/verify/{code}")) && html.contains(&format!("/badge/{code}.js")));

    // Another unit cannot publish for this badge.
    let other = app.browser("南乐县教育局.政务").await;
    assert_eq!(other.post("/portal/red-page", &fields).await.status(), 422);

    // The crawler counts the published red page as compliant without fetching anything.
    let row = govbadge::store::sweeps::site(&app.ctx.pool, &code).await.unwrap();
    let sweep = govbadge::store::sweeps::start(&app.ctx.pool, "sweep", "", 1, chrono::Utc::now()).await.unwrap();
    govbadge::service::sweep::check_site(&app.ctx.pool, &app.ctx.crawler, sweep, &row, 10, "http").await.unwrap();
    let verdict: String = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT site_verdict FROM sweep_sites WHERE badge_code = $1")
        .bind(&code)
        .fetch_one(p).await)
        .unwrap();
    assert_eq!(verdict, "compliant");

    // Withdrawn, it is gone.
    fields[7] = ("published", "0");
    assert_eq!(unit.post("/portal/red-page", &fields).await.status(), 303);
    assert_eq!(reqwest::get(format!("{}/red/{code}", app.base)).await.unwrap().status(), 404);
}
