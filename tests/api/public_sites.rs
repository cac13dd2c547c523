//! The public list of approved websites: search by name, domain, region and category, pages,
//! CSV download, public fields only, revoked badges left out.

use govbadge::domain::check_digits::uscc_check;
use govbadge::service::register;

use crate::helpers::*;

/// A register of `n` county sites of 清丰县 plus the fixture's three.
fn register_csv(n: usize) -> String {
    let mut csv =
        std::fs::read_to_string(format!("{}/tests/fixtures/register/register.csv", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    for i in 0..n {
        let body = format!("11410922MB{:07}", 1000 + i);
        let credit = format!("{body}{}", uscc_check(&body).unwrap());
        csv.push_str(&format!(
            "清丰县第{i}局,{credit},政府,410922,,,清丰县第{i}局网站,,ju{i}.qingfeng.gov.cn,CA41000000060000000{:04},,,,13800000{:03},\n",
            100 + i,
            i
        ));
    }
    csv
}

#[tokio::test]
async fn the_public_list_searches_pages_and_downloads() {
    let app = spawn_app().await;
    app.cast().await;
    let plan = register::plan(&app.ctx, None, register_csv(25).as_bytes(), "register.csv").await.unwrap();
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    register::apply(&app.ctx, None, &plan).await.unwrap();
    let code = issued_badge(&app, valid_input()).await;
    let public = Browser::anonymous(&app.base);

    let html = html_unescape(&public.text("/sites").await);
    assert!(html.contains("共29个网站，第1/2页"), "{html}");
    assert!(html.contains("下一页") && !html.contains("上一页"));
    // Public fields only: no contact numbers or credit codes.
    assert!(!html.contains("13800000") && !html.contains("114109220055291383"), "no personal data");
    let second = html_unescape(&public.text("/sites?page=2").await);
    assert!(second.contains("第2/2页") && second.contains("上一页"));

    let count = |html: &str| html.matches("href=\"/verify/").count();
    let search = |q: &str| {
        let public = &public;
        let q = q.to_owned();
        async move { html_unescape(&public.text(&format!("/sites?{q}")).await) }
    };
    let ustc = search("q=%E7%A7%91%E5%AD%A6").await; // 科学
    assert_eq!(count(&ustc), 1, "{ustc}");
    assert!(ustc.contains("中国科学技术大学"));
    assert_eq!(count(&search("category=%E4%BA%8B%E4%B8%9A%E5%8D%95%E4%BD%8D").await), 1); // 事业单位
    assert_eq!(count(&search("domain=www.gov.cn").await), 1);
    assert_eq!(count(&search("region=110000").await), 1);
    // A wildcard typed in the box is a character, not "everything".
    assert_eq!(count(&search("q=%25").await), 0);
    assert_eq!(count(&search("q=_").await), 0);
    // Malformed page numbers and unknown filters are ignored, never an error.
    assert!(search("page=abc&region=99&category=x").await.contains("共29个网站"));
    assert_eq!(public.get("/sites?page=99").await.status(), 200);

    // The CSV download follows the search, with the headings Excel reads.
    let r = public.get("/sites.csv?region=410922").await;
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbf"));
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.headers().unwrap().get(0), Some("网站标识代码"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 27, "the county's 25, its imported portal and the issued badge");
    assert!(rows.iter().any(|r| r.get(0) == Some(code.as_str())));
    assert!(rows.iter().all(|r| r.get(4).is_some_and(|region| region.contains("清丰县"))));

    // A name a spreadsheet would run as a formula is written as text.
    govbadge::on_pool!(&app.ctx.pool, p => sqlx::query("UPDATE applications SET site_name = '=HYPERLINK(\"http://evil.example\")' WHERE badge_code = $1")
        .bind(&code)
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
    let text = public.get("/sites.csv?region=410922").await.text().await.unwrap();
    assert!(text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""), "{text}");
    assert!(text.contains("\r\n"), "CRLF as the reports");

    // A revoked badge leaves the list.
    let county = app.api("清丰县编办.政务").await;
    let path = format!("/api/v1/badges/{code}/status");
    assert_eq!(county.post(&path, serde_json::json!({ "status": "revoked", "reason": "网站关闭" })).await.0, 200);
    assert!(search("").await.contains("共28个网站"));
}

/// Downloads of the list are made one at a time; those that come together wait their turn and
/// each gets the whole list.
#[tokio::test(flavor = "multi_thread")]
async fn downloads_that_come_together_each_get_the_whole_list() {
    let app = spawn_app().await;
    app.cast().await;
    let plan = register::plan(&app.ctx, None, register_csv(40).as_bytes(), "register.csv").await.unwrap();
    register::apply(&app.ctx, None, &plan).await.unwrap();
    let public = Browser::anonymous(&app.base);
    let downloads = (0..6).map(|_| async { public.get("/sites.csv").await.bytes().await.unwrap() });
    let bodies = futures_util::future::join_all(downloads).await;
    let rows = |csv: &[u8]| csv::Reader::from_reader(&csv[3..]).records().count();
    assert_eq!(rows(&bodies[0]), 43, "the register's 43 sites");
    assert!(bodies.iter().all(|b| b == &bodies[0]), "every download the same");
}
