//! Sweep reports: CSV with a byte-order mark and CRLF, Chinese headers, the right rows; the
//! workbook read back; `govbadge report` renders them again from stored results.

use calamine::{open_workbook, Reader, Xlsx};
use govbadge::service::sweep::{self, SweepOptions};

use crate::self_check::setup;

#[tokio::test(flavor = "multi_thread")]
async fn reports_of_a_sweep_open_cleanly_in_spreadsheets() {
    let (app, codes) = setup(&["good1.test", "bad2.test"], |_| {}).await;
    let (_keep, stop) = sweep::never_stop();
    let options = SweepOptions {
        scope: "41".into(),
        resume: false,
        site_concurrency: 2,
        max_pages: 10,
        seed_scheme: "http".into(),
        stop,
    };
    let report = sweep::run(&app.ctx.pool, &app.ctx.crawler, options).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = govbadge::report::write_reports(&app.ctx.pool, report.sweep_id, out.path()).await.unwrap();
    assert!(dir.file_name().unwrap().to_str().unwrap().ends_with("-41"));

    let sites = std::fs::read(dir.join("sites.csv")).unwrap();
    assert!(sites.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark");
    let text = String::from_utf8(sites[3..].to_vec()).unwrap();
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'), "CRLF line ends");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("标识代码,开办主体,行政区划代码,行政区划,系统类别,网站名称,域名,状态,挂标期限"));
    assert_eq!(lines.len(), 3);
    let good = lines.iter().find(|l| l.starts_with(&codes["good1.test"])).unwrap();
    assert!(good.contains(",清丰县,") && good.contains(",已合规,") && good.contains(",4,4,0,0,"), "{good}");
    let bad = lines.iter().find(|l| l.starts_with(&codes["bad2.test"])).unwrap();
    assert!(bad.contains(",4,0,4,0,") && bad.contains("http://bad2.test/") && bad.contains("未加挂网站标识"), "{bad}");

    let summary = String::from_utf8(std::fs::read(dir.join("summary.csv")).unwrap()[3..].to_vec()).unwrap();
    assert!(summary.contains("410922,清丰县,2,1,"), "{summary}");
    // The failing site is still within its grace period (待挂标): the rate is of the sites
    // whose deadline has passed or that already carry the badge.
    assert!(summary.contains("100.0%"), "{summary}");
    let pages = String::from_utf8(std::fs::read(dir.join("pages.csv")).unwrap()[3..].to_vec()).unwrap();
    let page_rows = pages.split("\r\n").filter(|l| !l.is_empty()).count() - 1;
    assert_eq!(page_rows, 8);
    // One definition of a checked page: the report's figures add up to the rows of pages.csv.
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let figure = |label: &str| -> usize {
        let at = html.find(&format!("{label}<b>")).unwrap_or_else(|| panic!("{label} in index.html")) + label.len() + 3;
        html[at..].split('<').next().unwrap().parse().unwrap()
    };
    assert_eq!(figure("检查页面") + figure("未能检查的网址"), page_rows);

    let mut book: Xlsx<_> = open_workbook(dir.join("report.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["站点", "页面", "汇总"]);
    let sheet = book.worksheet_range("站点").unwrap();
    assert_eq!(sheet.height(), 3);
    assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "标识代码");
    let statuses: Vec<String> = (1..3).map(|r| sheet.get_value((r, 7)).unwrap().to_string()).collect();
    assert!(statuses.contains(&"已合规".to_owned()));
    assert_eq!(book.worksheet_range("页面").unwrap().height(), 9);

    // Rendered again from the stored results by the command, identically.
    let again = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_govbadge"))
        .args(["report", "--sweep", &report.sweep_id.to_string(), "--database", &app.ctx.config.database.url, "--out"])
        .arg(again.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let redone = std::fs::read_dir(again.path()).unwrap().next().unwrap().unwrap().path();
    for file in ["sites.csv", "pages.csv", "summary.csv"] {
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        assert_eq!(
            text(std::fs::read(redone.join(file)).unwrap()),
            text(std::fs::read(dir.join(file)).unwrap()),
            "{file}"
        );
    }
}

/// A database with the fixed sites and both sweeps; returns it with the sweep ids.
async fn fixed_database() -> (tempfile::TempDir, govbadge::store::Pool, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let url = super::database::fresh_database_url(dir.path(), "fixed.db").await;
    let pool = govbadge::store::connect(&url, 2).await.unwrap();
    crate::fixture::sites(&pool).await;
    let first = crate::fixture::sweep(&pool, 1).await;
    let second = crate::fixture::sweep(&pool, 2).await;
    (dir, pool, first, second)
}

/// CSV text with its line ends shown, so a snapshot proves CRLF.
fn visible_lines(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(!text.replace("\r\n", "").contains('\n'), "only CRLF line ends");
    text.replace("\r\n", "␍␊\n")
}

#[tokio::test]
async fn reports_of_a_fixed_sweep_match_their_snapshots() {
    let (_dir, pool, _, second) = fixed_database().await;
    let out = tempfile::tempdir().unwrap();
    let dir = govbadge::report::write_reports(&pool, second, out.path()).await.unwrap();
    assert_eq!(dir.file_name().unwrap(), "2026-11-30-4109");
    insta::assert_snapshot!("sites_csv", visible_lines(&std::fs::read(dir.join("sites.csv")).unwrap()));
    insta::assert_snapshot!("pages_csv", visible_lines(&std::fs::read(dir.join("pages.csv")).unwrap()));
    insta::assert_snapshot!("summary_csv", visible_lines(&std::fs::read(dir.join("summary.csv")).unwrap()));
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    insta::assert_snapshot!("index_html", html);
    // Self-contained: nothing is fetched from anywhere.
    for external in ["src=", "<link", "@import", "url("] {
        assert!(!html.contains(external), "index.html refers to an external asset: {external}");
    }

    // The workbook has the same rows.
    let mut book: Xlsx<_> = open_workbook(dir.join("report.xlsx")).unwrap();
    let sites = book.worksheet_range("站点").unwrap();
    assert_eq!(sites.height(), 1 + crate::fixture::SITES.len());
    let codes: Vec<String> = (1..sites.height()).map(|r| sites.get_value((r as u32, 0)).unwrap().to_string()).collect();
    let mut expected: Vec<String> = crate::fixture::SITES.iter().map(|s| crate::fixture::code(s.key)).collect();
    expected.sort();
    assert_eq!(codes, expected);
    let summary = book.worksheet_range("汇总").unwrap();
    assert_eq!(summary.get_value((1, 1)).unwrap().to_string(), "清丰县");
    assert_eq!(summary.get_value((2, 1)).unwrap().to_string(), "南乐县");
    // Its pages sheet (written on a thread of its own) has the rows of pages.csv, in order.
    let csv_rows: Vec<Vec<String>> = csv::Reader::from_reader(&std::fs::read(dir.join("pages.csv")).unwrap()[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let sheet_rows: Vec<Vec<String>> = book
        .worksheet_range("页面")
        .unwrap()
        .rows()
        .skip(1)
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert!(csv_rows.len() > crate::fixture::SITES.len(), "pages of several sites");
    assert_eq!(sheet_rows, csv_rows);
}

#[tokio::test]
async fn a_workbook_that_cannot_be_saved_fails_the_reports_with_its_reason() {
    let (_dir, pool, _, second) = fixed_database().await;
    let out = tempfile::tempdir().unwrap();
    // A directory stands where the workbook is to be saved.
    std::fs::create_dir_all(out.path().join("2026-11-30-4109/report.xlsx")).unwrap();
    let error = govbadge::report::write_reports(&pool, second, out.path()).await.unwrap_err();
    assert!(matches!(error, govbadge::report::ReportError::Xlsx(_)), "{error:?}");
    assert!(error.to_string().starts_with("writing the spreadsheet"), "{error}");
}

#[tokio::test]
async fn the_html_report_lists_fifty_failing_pages_a_site_and_counts_the_rest() {
    let (_dir, pool, _, second) = fixed_database().await;
    // One site of the sweep gets 60 more failing pages, and as many compliant ones.
    let code: String = govbadge::on_pool!(&pool, p => sqlx::query_scalar(
        "SELECT badge_code FROM sweep_pages WHERE sweep_id = $1 AND verdict = 'missing' ORDER BY badge_code LIMIT 1",
    )
    .bind(second)
    .fetch_one(p).await)
    .unwrap();
    for n in 0..120 {
        let verdict = if n % 2 == 0 { "missing" } else { "compliant" };
        govbadge::on_pool!(&pool, p => sqlx::query(
            "INSERT INTO sweep_pages (sweep_id, badge_code, url, http_status, outcome, verdict, warnings)
             VALUES ($1, $2, $3, 200, 'ok', $4, '')",
        )
        .bind(second)
        .bind(&code)
        .bind(format!("http://extra.test/page-{n:03}.html"))
        .bind(verdict)
        .execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let dir = govbadge::report::write_reports(&pool, second, out.path()).await.unwrap();
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    // 61 failing pages: the first 50 listed (in the order stored), 11 counted.
    let section =
        html.split(&format!("<details id=\"site-{code}\"")).nth(1).unwrap().split("</details>").next().unwrap();
    assert_eq!(section.matches("<td class=\"url\">").count(), 50);
    assert!(section.contains("另有 11 个不合规页面未列出"), "{section}");
    assert!(!section.contains("page-001.html"), "compliant pages are not listed");
    // The site table links to the section; the spool beside the report is gone.
    assert!(html.contains(&format!("<a href=\"#site-{code}\">{code}</a>")));
    let files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(files.iter().all(|f| !f.starts_with('.')), "{files:?}");
    // Rendered again in memory (the dashboard's path), the report is the same.
    let sweep = govbadge::store::sweeps::get(&pool, second).await.unwrap();
    let lines = govbadge::report::sweep_lines(&pool, &sweep).await.unwrap();
    assert_eq!(govbadge::report::render_html(&pool, &sweep, &lines).await.unwrap(), html);
}

#[tokio::test]
async fn the_trend_follows_the_regions_sweeps() {
    let (_dir, pool, first, second) = fixed_database().await;
    let trend = govbadge::store::sweeps::trend(&pool, "4109", second, 12).await.unwrap();
    // Suspended sites are not counted: 5 sites in force in each; 1 then 2 compliant.
    let points: Vec<(i64, i64, i64)> = trend.iter().map(|p| (p.sweep_id, p.sites, p.compliant)).collect();
    assert_eq!(points, [(first, 5, 1), (second, 5, 2)]);
    // A county's trend counts that county's sites of the city-wide sweeps.
    let county = govbadge::store::sweeps::trend(&pool, "410922", second, 12).await.unwrap();
    let points: Vec<(i64, i64)> = county.iter().map(|p| (p.sites, p.compliant)).collect();
    assert_eq!(points, [(4, 1), (4, 1)]);
    // The first sweep's report shows only itself; the second's both, with their rates.
    let report = |id| {
        let pool = pool.clone();
        async move {
            let sweep = govbadge::store::sweeps::get(&pool, id).await.unwrap();
            let lines = govbadge::report::sweep_lines(&pool, &sweep).await.unwrap();
            govbadge::report::render_html(&pool, &sweep, &lines).await.unwrap()
        }
    };
    let early = report(first).await;
    let late = report(second).await;
    let trend_of =
        |html: &str| html.split("历次巡检合规率趋势").nth(1).unwrap().split("</svg>").next().unwrap().to_owned();
    assert_eq!(trend_of(&early).matches("<circle").count(), 1);
    assert_eq!(trend_of(&late).matches("<circle").count(), 2);
    assert!(trend_of(&late).contains("第1次巡检") && trend_of(&late).contains("第2次巡检"));
    // A sweep of one county is not a point on the city's trend (it did not cover the city).
    govbadge::on_pool!(&pool, p => sqlx::query(
        "INSERT INTO sweeps (kind, scope, status, sites_total, started_at, finished_at)
         VALUES ('sweep', '410923', 'finished', 2, '2026-12-01T01:00:00+00:00', '2026-12-01T01:10:00+00:00')",
    )
    .execute(p).await.map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(govbadge::store::sweeps::trend(&pool, "4109", i64::MAX, 12).await.unwrap().len(), 2);
}
