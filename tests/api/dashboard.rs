//! The oversight dashboard: scoped to the viewer's jurisdiction in the page, the drill-down and
//! every download; filters narrow it and never widen it.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use govbadge::domain::account::Role;
use govbadge::domain::region::Level;

use crate::fixture::{self, code};
use crate::helpers::*;

async fn app_with_sweeps() -> TestApp {
    let app = spawn_app().await;
    fixture::sites(&app.ctx.pool).await;
    fixture::sweep(&app.ctx.pool, 1).await;
    fixture::sweep(&app.ctx.pool, 2).await;
    app.cast().await;
    app.account("清丰县监督.政务", Role::Supervisor, Some(Level::County), Some("410922")).await;
    app.account("南乐县监督.政务", Role::Supervisor, Some(Level::County), Some("410923")).await;
    app
}

const QINGFENG: [&str; 4] = ["A", "B", "C", "F"];
const NANLE: [&str; 2] = ["D", "E"];

async fn download(b: &Browser, path: &str) -> (u16, Vec<u8>) {
    let r = b.get(path).await;
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

fn xlsx_text(bytes: Vec<u8>) -> String {
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                text.push_str(&cell.to_string());
                text.push('\t');
            }
            text.push('\n');
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn a_county_supervisor_never_sees_another_countys_sites() {
    let app = app_with_sweeps().await;
    let qf = app.browser("清丰县监督.政务").await;
    for path in ["/dashboard", "/dashboard?region=4109", "/dashboard?region=41", "/dashboard?region=410900"] {
        let page = qf.text(path).await;
        for key in QINGFENG {
            assert!(page.contains(&code(key)), "{path}: own site {key} listed");
        }
        for key in NANLE {
            assert!(!page.contains(&code(key)), "{path}: 南乐 site {key} must not show");
        }
        assert!(!page.contains("南乐"), "{path}");
    }
    // Asking for the other county is refused per field, and shows nothing of it.
    let page = qf.text("/dashboard?region=410923").await;
    assert!(page.contains("该行政区划不在本辖区范围内"));
    assert!(NANLE.iter().all(|k| !page.contains(&code(k))));
    // Its sites' pages are not found.
    assert_eq!(qf.get(&format!("/dashboard/sites/{}", code("D"))).await.status(), 404);
    assert_eq!(qf.get(&format!("/dashboard/sites/{}", code("A"))).await.status(), 200);

    for file in ["sites.csv", "pages.csv", "summary.csv"] {
        for query in ["", "?region=4109", "?region=41"] {
            let (status, bytes) = download(&qf, &format!("/dashboard/download/{file}{query}")).await;
            assert_eq!(status, 200, "{file}{query}");
            let text = String::from_utf8(bytes).unwrap();
            assert!(NANLE.iter().all(|k| !text.contains(&code(k))) && !text.contains("南乐"), "{file}{query}: {text}");
        }
        let (status, _) = download(&qf, &format!("/dashboard/download/{file}?region=410923")).await;
        assert_eq!(status, 422, "{file} of another county is refused");
    }
    let (status, bytes) = download(&qf, "/dashboard/download/report.xlsx").await;
    assert_eq!(status, 200);
    let text = xlsx_text(bytes);
    assert!(QINGFENG.iter().all(|k| text.contains(&code(k))));
    assert!(NANLE.iter().all(|k| !text.contains(&code(k))) && !text.contains("南乐"), "{text}");
    let (_, csv) = download(&qf, "/dashboard/download/sites.csv").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(String::from_utf8(csv).unwrap().matches("\r\n").count(), 1 + QINGFENG.len());

    // The other county's supervisor sees only its own; the city's sees both.
    let nl = app.browser("南乐县监督.政务").await;
    let page = nl.text("/dashboard").await;
    assert!(NANLE.iter().all(|k| page.contains(&code(k))) && QINGFENG.iter().all(|k| !page.contains(&code(k))));
    let city = app.browser("濮阳市监督.政务").await;
    let page = city.text("/dashboard").await;
    assert!(QINGFENG.iter().chain(NANLE.iter()).all(|k| page.contains(&code(k))));
    // Reviewers see theirs too; central staff see everything.
    let reviewer = app.browser("南乐县编办.政务").await;
    let page = reviewer.text("/dashboard").await;
    assert!(NANLE.iter().all(|k| page.contains(&code(k))) && QINGFENG.iter().all(|k| !page.contains(&code(k))));
    let central = app.browser("中央编办.政务").await;
    assert!(central.text("/dashboard").await.contains(&code("A")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_download_is_sent_as_it_is_written_and_holds_every_page_of_the_view() {
    let app = app_with_sweeps().await;
    let qf = app.browser("清丰县监督.政务").await;
    let r = qf.get("/dashboard/download/pages.csv").await;
    assert_eq!(r.status(), 200);
    // Streamed a site at a time, not made whole in memory first (which would give its length).
    assert!(r.headers().get("content-length").is_none(), "{:?}", r.headers());
    let text = String::from_utf8(r.bytes().await.unwrap().to_vec()).unwrap();
    assert!(text.starts_with("\u{feff}标识代码,"), "the byte-order mark and the header come first");
    let rows: Vec<&str> = text.split("\r\n").skip(1).filter(|l| !l.is_empty()).collect();
    let own: Vec<String> = QINGFENG.iter().map(|k| code(k)).collect();
    let stored: i64 = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sweep_pages WHERE sweep_id = (SELECT MAX(id) FROM sweeps)
         AND badge_code IN ($1, $2, $3, $4)",
    )
    .bind(&own[0])
    .bind(&own[1])
    .bind(&own[2])
    .bind(&own[3])
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(stored >= 3, "the fixture's latest sweep has pages of the county's sites");
    assert_eq!(rows.len() as i64, stored, "{text}");
    let codes: Vec<&str> = rows.iter().map(|row| row.split(',').next().unwrap()).collect();
    assert!(codes.iter().all(|c| own.iter().any(|o| o == c)), "{text}");
    let mut sites = codes.clone();
    sites.dedup();
    let mut distinct = sites.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(sites.len(), distinct.len(), "a site's pages come together: {codes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_trend_and_drill_down() {
    let app = app_with_sweeps().await;
    let city = app.browser("濮阳市监督.政务").await;
    let page = city.text("/dashboard").await;
    assert!(page.contains("监督看板：濮阳市"));
    // Both sweeps are points of the trend; the counterfeit host is listed.
    let trend = page.split("历次巡检合规率趋势").nth(1).unwrap().split("</svg>").next().unwrap();
    assert_eq!(trend.matches("<circle").count(), 2, "{trend}");
    assert!(trend.contains("20.0%") && trend.contains("40.0%"), "{trend}");
    assert!(page.contains("fake-qingfeng.example.com"));
    assert!(!page.contains(">www.qingfeng.gov.cn<"), "a registered host is not a counterfeit");

    let table = |html: &str| html.split("网站明细").nth(1).unwrap().to_owned();
    let page = city.text("/dashboard?status=compliant").await;
    let listed = table(&page);
    assert!(listed.contains(&code("C")) && listed.contains(&code("D")));
    assert!(!listed.contains(&code("A")) && !listed.contains(&code("B")));
    let page = city.text(&format!("/dashboard?category={}", "政府门户网站")).await;
    let listed = table(&page);
    assert!(listed.contains(&code("A")) && listed.contains(&code("D")) && !listed.contains(&code("B")));
    let page = city.text("/dashboard?region=410923").await;
    let listed = table(&page);
    assert!(listed.contains(&code("D")) && !listed.contains(&code("A")));
    let page = city.text("/dashboard?status=nonsense&region=41x").await;
    assert!(page.contains("状态无效") && page.contains("行政区划代码应为不超过6位的数字"));

    // Drill-down: the latest pages and the history of both sweeps.
    let site = html_unescape(&city.text(&format!("/dashboard/sites/{}", code("A"))).await);
    assert!(site.contains("http://www.qingfeng.gov.cn/xwzx/index.html"));
    assert!(site.contains("未加挂网站标识"));
    let history = site.split("历次检查").nth(1).unwrap();
    assert!(history.contains("合规") && history.contains("不合规"));

    // Units and anonymous visitors have no dashboard.
    let unit = app.browser("清丰县人民政府.政务").await;
    assert_eq!(unit.get("/dashboard").await.status(), 403);
    assert_eq!(unit.get("/dashboard/download/sites.csv").await.status(), 403);
    let anonymous = Browser::anonymous(&app.base);
    let r = anonymous.get("/dashboard/download/sites.csv").await;
    assert!(r.status() == 303 || r.status() == 401, "{}", r.status());
    assert_eq!(city.get("/dashboard/download/secrets.txt").await.status(), 404);
}

#[tokio::test]
async fn the_latest_result_of_each_site_is_kept_whichever_run_is_written_last() {
    use govbadge::store::sweeps::{self, PageRecord, SiteOutcome};
    let app = spawn_app().await;
    fixture::sites(&app.ctx.pool).await;
    let pool = &app.ctx.pool;
    // The newer run written first, the older one after it (a resumed sweep finishing late).
    let newer = fixture::sweep(pool, 2).await;
    let older = fixture::sweep(pool, 1).await;
    let latest = sweeps::latest_result(pool, &code("A")).await.unwrap().unwrap();
    assert_eq!((latest.sweep_id, latest.site_verdict.as_str()), (newer, "non_compliant"));
    let all = sweeps::latest_results_in(pool, "4109").await.unwrap();
    assert_eq!(all.len(), fixture::SITES.len());
    assert!(all.values().all(|r| r.sweep_id == newer), "run {older} never replaces run {newer}");

    // A later check of one site moves only that site's result, with its counts kept beside it.
    let run = sweeps::start(pool, "scheduled", "4109", 1, chrono::Utc::now()).await.unwrap();
    let verdict = Some(govbadge::check::Verdict::Compliant);
    let page = |url| PageRecord {
        url,
        http_status: Some(200),
        outcome: "ok",
        verdict,
        warnings: &[],
        title: None,
        encoding: None,
        footer: None,
        certificate_problem: None,
        rendered: None,
    };
    let results = [page("http://www.qingfeng.gov.cn/"), page("http://www.qingfeng.gov.cn/a")];
    let outcome = SiteOutcome {
        code: &code("A"),
        site_verdict: govbadge::domain::site_status::SiteVerdict::Compliant,
        pages: 2,
        compliant: 2,
        urls: 2,
        results: &results,
    };
    sweeps::record_site(pool, run, &outcome, chrono::Utc::now()).await.unwrap();
    let all = sweeps::latest_results_in(pool, "4109").await.unwrap();
    assert_eq!(all[&code("A")].sweep_id, run);
    assert_eq!(all[&code("A")].verdict_counts.as_deref(), Some(r#"{"compliant":2}"#));
    assert!(all.iter().filter(|(c, _)| **c != code("A")).all(|(_, r)| r.sweep_id == newer));
}

/// The dashboard counts, lists and ranks in the database (never loading every site); the
/// reports compute the same from every site's line. Both must agree for every kind of view.
#[tokio::test(flavor = "multi_thread")]
async fn the_dashboards_database_figures_agree_with_the_reports_computed_from_every_site() {
    use govbadge::domain::site_status::SiteStatus;
    use govbadge::report::figures::{worst_offenders, Figures};
    use govbadge::report::rows::{by_region, SiteFilter, SiteLine};
    use govbadge::service::oversight::{dashboard, lines, Oversight};

    let app = app_with_sweeps().await;
    let filter = |region: &str, status: Option<SiteStatus>, category: Option<&str>| SiteFilter {
        region: region.to_owned(),
        status,
        category: category.map(str::to_owned),
    };
    let views = [
        ("", filter("", None, None)),
        ("4109", filter("", None, None)),
        ("4109", filter("410922", None, None)),
        ("410923", filter("", None, None)),
        ("", filter("", Some(SiteStatus::Overdue), None)),
        ("", filter("", Some(SiteStatus::Compliant), None)),
        ("4109", filter("", Some(SiteStatus::Pending), None)),
        ("", filter("", None, Some("部门网站"))),
        ("41", filter("410922", Some(SiteStatus::Unreachable), Some("部门网站"))),
        ("", filter("", None, Some("无此类别"))),
    ];
    let codes = |lines: &[SiteLine]| lines.iter().map(|l| (l.site.code.clone(), l.status)).collect::<Vec<_>>();
    let mut statuses_seen = std::collections::BTreeSet::new();
    for (area, filter) in views {
        let view = Oversight { area: area.to_owned(), filter };
        let board = dashboard(&app.ctx, &view, 3).await.unwrap();
        let (_, kept) = lines(&app.ctx, &view).await.unwrap();
        let (regions, totals) = by_region(&kept);
        assert_eq!(board.regions, regions, "{view:?}");
        assert_eq!(board.totals, totals, "{view:?}");
        assert_eq!(board.figures, Figures::of(&totals, &kept), "{view:?}");
        assert_eq!(codes(&board.listed), codes(&kept[..kept.len().min(3)]), "{view:?}");
        let offenders: Vec<SiteLine> = worst_offenders(&kept, 10).into_iter().cloned().collect();
        assert_eq!(codes(&board.offenders), codes(&offenders), "{view:?}");
        statuses_seen.extend(kept.iter().map(|l| l.status.as_str()));
    }
    assert!(statuses_seen.len() >= 4, "the views cover several statuses: {statuses_seen:?}");
    let area = Oversight { area: "4109".into(), filter: SiteFilter::default() };
    assert_eq!(dashboard(&app.ctx, &area, 500).await.unwrap().categories, ["政府门户网站", "部门网站"]);
}

/// A view's counts are reused for `server.dashboard_refresh_seconds`, and the page says when
/// they were counted; another view is counted afresh.
#[tokio::test(flavor = "multi_thread")]
async fn a_dashboard_view_is_counted_once_per_refresh_period() {
    use govbadge::domain::badge::{BadgeStatus, SiteCode};
    use govbadge::domain::site_status::SiteStatus;
    use govbadge::report::rows::SiteFilter;
    use govbadge::service::oversight::{dashboard, Oversight};

    let app = spawn_app_with(|c| c.server.dashboard_refresh_seconds = 3600).await;
    fixture::sites(&app.ctx.pool).await;
    fixture::sweep(&app.ctx.pool, 1).await;
    fixture::sweep(&app.ctx.pool, 2).await;
    app.cast().await;
    let city = Oversight { area: "4109".into(), filter: SiteFilter::default() };
    let first = dashboard(&app.ctx, &city, 10).await.unwrap();
    let suspended = |board: &govbadge::service::oversight::Dashboard| board.totals.count(SiteStatus::Suspended);
    assert_eq!(suspended(&first), 1);

    let admin = app.account("管理员", govbadge::domain::account::Role::Admin, None, None).await;
    let c = SiteCode::parse(&code("C")).unwrap();
    govbadge::store::badges::change_status(
        &app.ctx.pool,
        &c,
        BadgeStatus::Active,
        BadgeStatus::Suspended,
        admin,
        "逾期未整改",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let again = dashboard(&app.ctx, &city, 10).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "the view is not counted again within the period");
    let county =
        Oversight { area: "4109".into(), filter: SiteFilter { region: "410922".into(), ..Default::default() } };
    assert_eq!(suspended(&dashboard(&app.ctx, &county, 10).await.unwrap()), 1, "another view sees the change");

    let page = app.browser("濮阳市监督.政务").await.text("/dashboard").await;
    assert!(page.contains("统计时间：") && page.contains("（每 3600 秒更新）"), "{page}");
}
