//! Taking in the register of existing sites: the command's dry run and --apply (all or
//! nothing, idempotent), CSV and XLSX alike, per-row problems in Chinese, disabled unit
//! accounts, and an imported site swept against its real national badge.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::Router;
use govbadge::service::register::{self, RowAction};
use serde_json::Value;

use crate::helpers::*;

const REGISTER: &str = "tests/fixtures/register/register.csv";
const WITH_ERRORS: &str = "tests/fixtures/register/register-with-errors.csv";

fn govbadge(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_govbadge"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

async fn count(url: &str, sql: &str) -> i64 {
    let pool = govbadge::store::connect(url, 1).await.unwrap();
    let n: i64 = govbadge::on_pool!(&pool, p => sqlx::query_scalar(sql).fetch_one(p).await).unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn the_command_dry_runs_then_applies_all_or_nothing_and_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = super::database::fresh_database_url(dir.path(), "register.db").await;
    let db = ["--database", url.as_str()];

    // The dry run reports each row and writes nothing.
    let (code, out) = govbadge(&[&["import", "register", REGISTER][..], &db[..]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("第2行　CA410000000600000000001　清丰县人民政府　新增"), "{out}");
    assert!(out.contains("共3行：新增3，更新0，无变化0，有错误的行0。"), "{out}");
    assert!(out.contains("未写入任何数据"), "{out}");
    assert_eq!(count(&url, "SELECT COUNT(*) FROM applications").await, 0);

    // Applied: three sites, three disabled unit accounts, badges of their legacy codes.
    let (code, out) = govbadge(&[&["import", "register", REGISTER, "--apply"][..], &db[..]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("已导入：新增3个网站，更新0个网站，新建单位账号3个"), "{out}");
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM applications WHERE origin = 'imported' AND state = 'issued'").await,
        3
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM accounts WHERE role = 'unit' AND disabled = TRUE").await, 3);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM badges WHERE code LIKE 'CA%' AND serial < 0").await, 3);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM region_serials").await, 0, "no govbadge serial used");

    // Again: nothing changes, and the run is recorded.
    let (code, out) = govbadge(&[&["import", "register", REGISTER, "--apply", "--json"][..], &db[..]].concat());
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["applied"], serde_json::json!({ "added": 0, "updated": 0, "unchanged": 3, "accounts": 0 }));
    assert_eq!(count(&url, "SELECT COUNT(*) FROM applications").await, 3);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM register_imports").await, 2);

    // A file with problems: every one by row and column, and nothing written, not even the
    // good row.
    let (code, out) = govbadge(&[&["import", "register", WITH_ERRORS, "--apply"][..], &db[..]].concat());
    assert_eq!(code, 1, "{out}");
    for expected in [
        "第3行　【统一社会信用代码】统一社会信用代码校验码不正确",
        "第3行　【系统类别】系统类别应为以下之一",
        "第3行　【行政区划】未找到行政区划“火星”",
        "第3行　【网站名称】请填写网站名称",
        "第3行　【网站标识代码】网站标识代码应为CA加21位数字",
        "第4行　【网站标识代码】与第2行重复",
        "第4行　【英文域名】与第2行重复",
        "文件中有错误，未导入任何数据",
        // Row 2 is the site already imported; the file lacks some columns, which it leaves as
        // they are.
        "第2行　CA410000000600000000001　清丰县人民政府　无变化",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
    assert_eq!(count(&url, "SELECT COUNT(*) FROM register_imports").await, 2);
}

/// The register file as an XLSX workbook, numbers as numbers.
fn as_xlsx(csv_text: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in csv_text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
            match cell.parse::<f64>() {
                Ok(n) if cell.len() == 6 => sheet.write_number(r, c, n).unwrap(),
                _ => sheet.write_string(r, c, cell).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn xlsx_and_csv_plan_alike_and_a_changed_row_updates_its_site() {
    let app = spawn_app().await;
    app.cast().await;
    let csv = std::fs::read_to_string(format!("{}/{REGISTER}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let from_csv = register::plan(&app.ctx, None, csv.as_bytes(), "register.csv").await.unwrap();
    let from_xlsx = register::plan(&app.ctx, None, &as_xlsx(&csv), "register.xlsx").await.unwrap();
    assert!(from_csv.problems.is_empty() && from_xlsx.problems.is_empty(), "{:?}", from_xlsx.problems);
    let actions =
        |p: &register::Plan| p.rows.iter().map(|r| (r.row, r.code.clone(), r.action.clone())).collect::<Vec<_>>();
    assert_eq!(actions(&from_csv), actions(&from_xlsx));
    let applied = register::apply(&app.ctx, None, &from_xlsx).await.unwrap();
    assert_eq!((applied.added, applied.accounts), (3, 3));

    // Only admins import from the pages.
    let reviewer = govbadge::store::accounts::find_by_name(&app.ctx.pool, "清丰县编办.政务").await.unwrap().unwrap();
    assert!(register::plan(&app.ctx, Some(&reviewer.actor()), csv.as_bytes(), "r.csv").await.is_err());

    let renamed = csv.replace("中国政府网,", "中国政府网（新版）,");
    let plan = register::plan(&app.ctx, None, renamed.as_bytes(), "register.csv").await.unwrap();
    let changed: BTreeMap<String, RowAction> = plan.rows.iter().map(|r| (r.code.clone(), r.action.clone())).collect();
    assert_eq!(changed["CA010000000600000000001"], RowAction::Update(vec!["site_name"]));
    assert_eq!(changed["CA330000000604442030001"], RowAction::Unchanged);
    register::apply(&app.ctx, None, &plan).await.unwrap();
    let site = govbadge::store::sweeps::site(&app.ctx.pool, "CA010000000600000000001").await.unwrap();
    assert_eq!(site.site_name, "中国政府网（新版）");
    assert_eq!(site.legacy_link_id.as_deref(), Some("081D1D6883441A53E053012819AC0DAA"));

    // The imported sites are public: the verification page knows them.
    let page = reqwest::get(format!("{}/verify/CA330000000604442030001", app.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("中国科学技术大学"));
}

/// Serves the real pages by Host: the two sites' own home pages with their national badges.
async fn serve_real_sites() -> u16 {
    let pages: BTreeMap<&str, &str> = [
        ("www.ustc.edu.cn", "02-ustc-edu-cn.html"),
        ("www.gov.cn", "10-www-gov-cn-home.html"),
        ("www.qingfeng.gov.cn", "09-sxmu-edu-cn.html"),
    ]
    .into();
    let app = Router::new().fallback(move |headers: HeaderMap, uri: axum::http::Uri| async move {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        let host = host.split(':').next().unwrap_or_default().to_owned();
        match (uri.path(), pages.get(host.as_str())) {
            ("/", Some(file)) => {
                let body =
                    std::fs::read(format!("{}/tests/fixtures/real-pages/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
            }
            _ => axum::http::StatusCode::NOT_FOUND.into_response(),
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

#[tokio::test]
async fn an_imported_site_is_swept_against_its_national_badge() {
    let port = serve_real_sites().await;
    let app = spawn_app_with(|c| {
        c.crawl.allow_private_addresses = true;
        c.crawl.max_depth = 0;
        c.crawl.respect_robots = false;
        for host in ["www.ustc.edu.cn", "www.gov.cn", "www.qingfeng.gov.cn"] {
            c.crawl.resolve.insert(host.to_owned(), format!("127.0.0.1:{port}").parse().unwrap());
        }
    })
    .await;
    // www.gov.cn's page declares SiteIDCode bm01000001; the register says otherwise.
    let csv = std::fs::read_to_string(format!("{}/{REGISTER}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let csv = csv.replace("bm01000001", "bm01000002");
    let plan = register::plan(&app.ctx, None, csv.as_bytes(), "register.csv").await.unwrap();
    register::apply(&app.ctx, None, &plan).await.unwrap();

    let (_stop, stop) = tokio::sync::watch::channel(false);
    let options = govbadge::service::sweep::SweepOptions {
        scope: String::new(),
        resume: false,
        site_concurrency: 3,
        max_pages: 1,
        seed_scheme: "http".into(),
        stop,
    };
    let run = tokio::time::timeout(
        Duration::from_secs(60),
        govbadge::service::sweep::run(&app.ctx.pool, &app.ctx.crawler, options),
    )
    .await
    .unwrap()
    .unwrap();
    let pages: Vec<(String, String, Option<String>, String)> = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_as(
        "SELECT badge_code, outcome, verdict, warnings FROM sweep_pages WHERE sweep_id = $1 ORDER BY badge_code",
    )
    .bind(run.sweep_id)
    .fetch_all(p).await)
    .unwrap();
    let warnings: BTreeMap<String, String> = pages.iter().map(|(code, _, _, w)| (code.clone(), w.clone())).collect();
    assert!(warnings["CA010000000600000000001"].contains("site_id_mismatch"), "{warnings:?}");
    assert!(!warnings["CA330000000604442030001"].contains("site_id_mismatch"), "no identifier registered");
    let verdicts: BTreeMap<String, Option<String>> = pages.into_iter().map(|(code, _, v, _)| (code, v)).collect();
    // USTC's own national badge script; www.gov.cn's static copy with its registered id; the
    // county's site serves a page with no national badge at all.
    assert_eq!(verdicts["CA330000000604442030001"].as_deref(), Some("compliant"));
    assert_eq!(verdicts["CA010000000600000000001"].as_deref(), Some("compliant"));
    assert_eq!(verdicts["CA410000000600000000001"].as_deref(), Some("missing"));
}

#[tokio::test]
async fn admins_import_from_the_page_and_activate_the_unit_accounts() {
    let app = spawn_app().await;
    app.cast().await;
    let admin = app.browser("admin").await;
    let page = admin.text("/admin/register").await;
    assert!(page.contains("网站注册库导入") && page.contains("下载导入模板"), "{page}");
    let template = admin.get("/admin/register/template.csv").await;
    assert_eq!(template.headers()["content-type"], "text/csv; charset=utf-8");
    let template = template.text().await.unwrap();
    assert!(template.starts_with("\u{feff}单位名称,统一社会信用代码,系统类别,行政区划"), "{template}");

    let csv = std::fs::read(format!("{}/{REGISTER}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // No CSRF token: refused, nothing read.
    let r = admin.post_file("/admin/register", &[("apply", "1")], "register.csv", csv.clone()).await;
    assert_eq!(r.status(), 403);
    let csrf = admin.csrf().await;
    // The dry run shows each row and writes nothing.
    let r = admin.post_file("/admin/register", &[("csrf", &csrf)], "register.csv", csv.clone()).await;
    assert_eq!(r.status(), 200);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("试运行结果：register.csv") && html.contains("新增3"), "{html}");
    assert_eq!(app.count("badges").await, 0);
    // Applied.
    let r = admin.post_file("/admin/register", &[("csrf", &csrf), ("apply", "1")], "register.csv", csv).await;
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("已导入：新增3个网站"), "{html}");
    assert_eq!(app.count("badges").await, 3);
    // A file with problems: listed by row and column; nothing written.
    let bad = std::fs::read(format!("{}/{WITH_ERRORS}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let r = admin.post_file("/admin/register", &[("csrf", &csrf), ("apply", "1")], "bad.csv", bad).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("<td>第3行</td><td>系统类别</td>") && html.contains("未导入任何数据"), "{html}");
    assert_eq!(app.count("register_imports").await, 1);

    // The imported unit's account waits for activation: enabling without a password is refused.
    let accounts = admin.text("/admin/accounts").await;
    assert!(accounts.contains("待激活（注册库导入）"), "{accounts}");
    let id: i64 = govbadge::on_pool!(&app.ctx.pool, p => sqlx::query_scalar("SELECT id FROM accounts WHERE name = '114109220055291383'")
        .fetch_one(p).await)
        .unwrap();
    let unit = Browser::anonymous(&app.base);
    assert_eq!(unit.try_login("114109220055291383", "!imported").await.status(), 401, "no sign-in before activation");
    let r = admin.post(&format!("/admin/accounts/{id}/disabled"), &[("disabled", "0")]).await;
    assert_eq!(r.status(), 422);
    assert!(html_unescape(&r.text().await.unwrap()).contains("尚未设置密码"));
    let r = admin.post(&format!("/admin/accounts/{id}/activate"), &[("password", "short")]).await;
    assert_eq!(r.status(), 422);
    // The county office of the unit may activate it too; another county's may not.
    let other = app.browser("南乐县编办.政务").await;
    assert_eq!(
        other.post(&format!("/office/units/{id}/activate"), &[("password", "清丰县办公室2026年")]).await.status(),
        404
    );
    let county = app.browser("清丰县编办.政务").await;
    assert!(county.text("/office/units").await.contains("待激活（注册库导入）"));
    let r = admin.post(&format!("/admin/accounts/{id}/activate"), &[("password", "清丰县办公室2026年")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(unit.try_login("114109220055291383", "清丰县办公室2026年").await.status(), 303);
    // The unit sees its imported site, with its national badge kept.
    let portal = unit.text("/portal").await;
    assert!(portal.contains("CA410000000600000000001") && portal.contains("本网站使用原网站标识代码"), "{portal}");
}

/// A 5 KB workbook whose one stray cell sits at row 1,000,001, column 16,001: read as the
/// dense rectangle it spans, it asked for 512 GB and aborted the server. Now refused per file,
/// with the reason, and the server goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_workbook_with_a_stray_cell_far_away_is_refused_with_its_reason_and_the_server_goes_on() {
    let app = spawn_app().await;
    app.cast().await;
    let admin = app.browser("admin").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "单位名称").unwrap();
    sheet.write_string(1, 0, "清丰县人民政府").unwrap();
    sheet.write_string(1_000_000, 16_000, "x").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let csrf = admin.csrf().await;
    let r = admin.post_file("/admin/register", &[("csrf", &csrf)], "register.xlsx", bytes).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("文件列数超过64列"), "{html}");
    assert_eq!(app.count("register_imports").await, 0);
    assert!(admin.text("/admin/register").await.contains("网站注册库导入"), "the server still answers");
}

/// A register CSV of `rows` rows whose every cell is wrong: ten problems a row.
fn every_cell_wrong(rows: usize) -> Vec<u8> {
    let heading = "单位名称,统一社会信用代码,系统类别,行政区划,单位地址,单位职能,网站名称,中文域名,英文域名,网站标识代码,标识验证编号,网站标识码,联系邮箱,联系手机,标识发放日期";
    let row = vec!["x"; 15].join(",");
    let mut csv = format!("{heading}\n");
    for _ in 0..rows {
        csv.push_str(&row);
        csv.push('\n');
    }
    csv.into_bytes()
}

/// 100,000 such rows (3 MB) listed every problem, a million: the page took the server to 2.7 GB
/// and was 122 MB. The first thousand are listed, and all are counted: on the page, in the
/// command's report and in an office's import of unit accounts.
#[tokio::test]
async fn a_file_of_many_bad_rows_lists_its_first_problems_and_counts_them_all() {
    let app = spawn_app().await;
    app.cast().await;
    let admin = app.browser("admin").await;
    let csrf = admin.csrf().await;
    let r = admin.post_file("/admin/register", &[("csrf", &csrf)], "bad.csv", every_cell_wrong(150)).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("共150行：新增0，更新0，无变化0，问题1500处。"), "{html}");
    assert!(html.contains("问题（共1500处，列出前1000处）"), "{html}");
    assert_eq!(html.matches("<tr><td>第").count(), 1000, "{html}");
    assert!(html.contains("<td>第101行</td>") && !html.contains("<td>第102行</td>"), "ten a row, in the file's order");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, every_cell_wrong(150)).unwrap();
    let url = super::database::fresh_database_url(dir.path(), "register.db").await;
    let (code, out) = govbadge(&["import", "register", file.to_str().unwrap(), "--database", &url]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with('第')).count(), 1000, "{out}");
    assert!(out.contains("共1500处错误，以上列出前1000处。"), "{out}");
    assert!(out.contains("共150行：新增0，更新0，无变化0，有错误的行150。"), "{out}");
    let (_, json) = govbadge(&["import", "register", file.to_str().unwrap(), "--database", &url, "--json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (v["plan"]["problems_total"].as_u64(), v["plan"]["rows_with_problems"].as_u64()),
        (Some(1500), Some(150))
    );
    assert_eq!(v["plan"]["problems"].as_array().map(Vec::len), Some(1000));

    // Good rows: the page lists the first thousand, and counts them all.
    let mut good = String::from_utf8(every_cell_wrong(0)).unwrap();
    for i in 0..1001 {
        good.push_str(&format!(
            "清丰县人民政府办公室,114109220055291383,政府,410922,清丰县城关镇,负责县政府日常工作,清丰县网站{i},,www.s{i}.qingfeng.gov.cn,CA41000000060{i:010},,,,,2016-05-03\n"
        ));
    }
    let r = admin.post_file("/admin/register", &[("csrf", &csrf)], "good.csv", good.into_bytes()).await;
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("共1001行：新增1001，") && html.contains("各行处理（共1001行，列出前1000行）"), "{html}");
    assert_eq!(html.matches("<tr><td>第").count(), 1000);

    let office = app.browser("濮阳市编办.政务").await;
    let csrf = office.csrf().await;
    let mut units = "账号,单位名称,行政区划,联系邮箱,联系手机\n".to_owned();
    for _ in 0..1200 {
        units.push_str("x,,火星,x,x\n");
    }
    let r = office.post_file("/office/units/import", &[("csrf", &csrf)], "units.csv", units.into_bytes()).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains("未创建任何账号（共") && html.contains("处，以下列出前1000处）"), "{html}");
    assert_eq!(html.matches("<tr><td>第").count(), 1000);
}

/// A workbook of 15 columns × 200 rows (below a heading) whose cells all refer to one shared
/// string of 4 MB: 12 KB packed, 12 GB once each cell holds its copy.
fn one_huge_shared_string_in_every_cell() -> Vec<u8> {
    use std::io::{Read, Write};
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "单位名称").unwrap();
    for row in 1..=200 {
        for column in 0..15 {
            sheet.write_string(row, column, "X").unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let mut from = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..from.len() {
        let mut part = from.by_index(index).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut content = String::new();
        part.read_to_string(&mut content).unwrap();
        if name.ends_with("sharedStrings.xml") {
            assert!(content.contains("<t>X</t>"), "{content}");
            content = content.replace("<t>X</t>", &format!("<t>{}</t>", "a".repeat(4 * 1024 * 1024)));
        }
        to.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        to.write_all(content.as_bytes()).unwrap();
    }
    to.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_small_workbook_whose_cells_copy_a_huge_shared_string_is_refused_and_the_server_goes_on() {
    let app = spawn_app().await;
    app.cast().await;
    let bomb = one_huge_shared_string_in_every_cell();
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let reason = "第2行A列的内容超过32767个字符";
    let admin = app.browser("admin").await;
    let csrf = admin.csrf().await;
    let r = admin.post_file("/admin/register", &[("csrf", &csrf)], "register.xlsx", bomb.clone()).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains(reason), "{html}");
    // An office's import of unit accounts reads its file the same way.
    let office = app.browser("濮阳市编办.政务").await;
    let csrf = office.csrf().await;
    let r = office.post_file("/office/units/import", &[("csrf", &csrf)], "units.xlsx", bomb).await;
    assert_eq!(r.status(), 422);
    let html = html_unescape(&r.text().await.unwrap());
    assert!(html.contains(reason), "{html}");
    assert_eq!(app.count("register_imports").await, 0);
    assert!(admin.text("/admin/register").await.contains("网站注册库导入"), "the server still answers");
}

#[tokio::test]
async fn the_demo_world_holds_an_imported_site_with_its_national_badge() {
    // The demo runs on the default configuration: the seed's chain (own office, then central).
    let app = spawn_app_with(|c| c.workflow.review_chain = govbadge::domain::workflow::ChainKind::SameLevel).await;
    let printed = govbadge::app::demo::load(&app.ctx).await.unwrap().expect("an empty database takes the demo");
    assert!(printed.contains("11410900MB0009001J"), "{printed}");
    assert!(govbadge::app::demo::load(&app.ctx).await.unwrap().is_none(), "loaded once only");
    let public = Browser::anonymous(&app.base);
    let verify = public.text("/verify/CA410000000609000010001").await;
    assert!(verify.contains("濮阳市教育局"), "{verify}");
    // The school's site was closed (注销) in the demo; the bureau's change waits for the city.
    let list = html_unescape(&public.text("/sites?region=410900").await);
    assert!(list.contains("CA410000000609000010001") && !list.contains("濮阳市第一中学"), "{list}");
    assert!(public.text("/verify/CA410000000609000020001").await.contains("注销"));
    let city = Browser::anonymous(&app.base);
    assert_eq!(city.try_login("濮阳市编办.政务", govbadge::app::demo::DEMO_PASSWORD).await.status(), 303);
    let city = html_unescape(&city.text("/applications").await);
    assert!(city.contains("变更申请") && city.contains("濮阳市教育局"), "{city}");
    let unit = Browser::anonymous(&app.base);
    assert_eq!(unit.try_login("11410900MB0009001J", govbadge::app::demo::DEMO_PASSWORD).await.status(), 303);
    let portal = unit.text("/portal").await;
    assert!(portal.contains("CA410000000609000010001") && portal.contains("本网站使用原网站标识代码"), "{portal}");
}

/// Starts an upload to `path` over a raw connection with the session `cookie`: the headers and
/// the start of a 10 MB multipart body, then nothing more until the connection is dropped.
async fn stalled_upload(base: &str, path: &str, cookie: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 10000000\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"units.csv\"\r\n\r\n账号,单位名称\r\n",
        base.trim_start_matches("http://")
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn uploads_are_taken_in_a_few_at_a_time_and_the_next_one_waits_for_its_turn() {
    let app = spawn_app().await;
    app.cast().await;
    let signed_in = Browser::anonymous(&app.base).try_login("濮阳市编办.政务", PASSWORD).await;
    let cookie = signed_in
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(cookie.contains(govbadge::web::auth::SESSION_COOKIE), "{cookie}");
    // As many uploads as take turns at once, each stalled halfway through its file.
    let mut stalled = Vec::new();
    for _ in 0..govbadge::service::UPLOADS_AT_ONCE {
        stalled.push(stalled_upload(&app.base, "/office/units/import", &cookie).await);
    }
    // The next one, complete, waits: none of its body is read while the others hold the turns.
    let office = app.browser("濮阳市编办.政务").await;
    let csrf = office.csrf().await;
    let good = "账号,单位名称,行政区划,联系邮箱,联系手机\n南乐县水利局.政务,南乐县水利局,南乐县,,13803930021\n";
    let next = tokio::spawn(async move {
        office.post_file("/office/units/import", &[("csrf", &csrf)], "units.csv", good.as_bytes().to_vec()).await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!next.is_finished(), "answered while every turn was held");
    assert_eq!(app.count("accounts").await, 11, "nothing created yet");
    // One stalled upload goes away: its turn passes to the waiting one, which is read and done.
    drop(stalled.pop());
    let done = tokio::time::timeout(Duration::from_secs(25), next).await.expect("the turn came").unwrap();
    assert_eq!(done.status(), 200);
    assert!(html_unescape(&done.text().await.unwrap()).contains("已创建1个单位账号"));
    assert_eq!(app.count("accounts").await, 12);
}
