//! Sweep reports: CSV with a byte-order mark and CRLF, Chinese headers, the right rows; the
//! workbook read back; `govbadge report` renders them again from stored results.

use calamine::{open_workbook, Reader, Xlsx};
use govbadge::crawl::sweep::{self, SweepOptions};

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
    assert!(summary.contains("50.0%"));
    let pages = String::from_utf8(std::fs::read(dir.join("pages.csv")).unwrap()[3..].to_vec()).unwrap();
    assert_eq!(pages.split("\r\n").filter(|l| !l.is_empty()).count(), 1 + 8);

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
