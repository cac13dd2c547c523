//! The rendered check in Debian's headless chromium (started by the renderer, as in production):
//! real pages whose footer is written by `document.write` or fetched by script, and badges off
//! centre, covered by a fixed banner, 10×5 px, or in a collapsed block; requests outside the
//! site and the badge service refused; screenshots stored with a sweep and served to the
//! supervisors of the site's area only.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::Router;
use govbadge::check::Verdict;
use govbadge::config::CrawlConfig;
use govbadge::crawl::{Crawler, PageResult, SiteSpec};
use govbadge::domain::account::Role;
use govbadge::domain::badge::BadgeCode;
use govbadge::domain::region::Level;
use govbadge::render::{RenderMode, RenderVerdict, RenderedCheck};
use url::Url;

use crate::crawl::test_crawl_config;
use crate::helpers::*;

const HOST: &str = "www.qingfeng.gov.cn";
const TRACKER: &str = "cdn.tracker.example";

type Hits = Arc<Mutex<BTreeMap<String, usize>>>;

/// A page of 1200 px of content and then `footer`; `head` goes into `<head>`.
fn page(title: &str, head: &str, footer: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title>{head}</head>\
<body style=\"margin:0\"><div style=\"height:1200px;background:#f4f4f4\">正文</div>\
<div style=\"text-align:center;padding:8px\">主办单位：清丰县人民政府办公室</div>{footer}</body></html>"
    )
}

/// The site's pages by path. `snippet` is the real install snippet; `badge` its link and image.
fn site_pages(snippet: &str, badge: &str, tracker_port: u16) -> BTreeMap<&'static str, String> {
    let js_string = serde_json::to_string(snippet).unwrap().replace("</", "<\\/");
    let links = ["/written", "/fetched", "/off-centre", "/covered", "/tiny", "/collapsed", "/blank"]
        .iter()
        .map(|p| format!("<a href=\"{p}\">{p}</a> "))
        .collect::<String>();
    let tiny = badge.replace("width=\"110\" height=\"55\"", "width=\"10\" height=\"5\"");
    BTreeMap::from([
        ("/", page("首页", "", &format!("<div>{links}</div>{snippet}"))),
        // The common footer written by a script, as many CMSs do.
        ("/written", page("写入页脚", "", &format!("<script>document.write({js_string});</script>"))),
        // The common footer fetched from /footer.html and put in place; a third-party script
        // the browser must not fetch.
        (
            "/fetched",
            page(
                "加载页脚",
                &format!("<script src=\"http://{TRACKER}:{tracker_port}/track.js\"></script>"),
                "<div id=\"footer\"></div><script>fetch('/footer.html').then(function(r){return r.text();})\
.then(function(t){document.getElementById('footer').innerHTML=t;});</script>",
            ),
        ),
        ("/footer.html", format!("<div style=\"text-align:center\">{badge}</div>")),
        ("/off-centre", page("标识偏左", "", &format!("<div style=\"text-align:left\">{badge}</div>"))),
        (
            "/covered",
            page(
                "标识被遮挡",
                "",
                &format!(
                    "{snippet}<div id=\"banner\" style=\"position:fixed;left:0;right:0;bottom:0;height:160px;\
background:#c00;color:#fff;z-index:99\">在线咨询</div>"
                ),
            ),
        ),
        ("/tiny", page("标识过小", "", &format!("<div style=\"text-align:center\">{tiny}</div>"))),
        ("/collapsed", page("标识被折叠", "", &format!("<div style=\"height:0;overflow:hidden\">{snippet}</div>"))),
        // Scripts, but nothing writes a badge.
        ("/blank", page("无标识", "<script>var analytics = 1;</script>", "")),
    ])
}

/// Serves `pages` by path (any Host) and counts the requests of each path.
async fn serve(pages: BTreeMap<&'static str, String>) -> (u16, Hits) {
    let hits: Hits = Arc::default();
    let log = hits.clone();
    let app = Router::new().fallback(move |uri: axum::http::Uri, _: HeaderMap| {
        let pages = pages.clone();
        let log = log.clone();
        async move {
            *log.lock().unwrap().entry(uri.path().to_owned()).or_default() += 1;
            match pages.get(uri.path()) {
                Some(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body.clone()).into_response(),
                None => (axum::http::StatusCode::NOT_FOUND, "").into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, hits)
}

fn render_config(mode: RenderMode, site_port: u16, tracker_port: u16) -> CrawlConfig {
    let mut config = test_crawl_config();
    config.render = mode;
    config.render_tabs = 2;
    config.respect_robots = false;
    config.resolve.insert(HOST.into(), format!("127.0.0.1:{site_port}").parse().unwrap());
    config.resolve.insert(TRACKER.into(), format!("127.0.0.1:{tracker_port}").parse().unwrap());
    config
}

/// Crawls the test site on `port` (as `HOST`) up to `max` URLs; its results by path.
async fn crawl_by_path(
    crawler: &Crawler,
    port: u16,
    code: &str,
    max: usize,
) -> (govbadge::crawl::SiteSummary, BTreeMap<String, PageResult>) {
    let site = SiteSpec::from_url(Url::parse(&format!("http://{HOST}:{port}/")).unwrap(), code);
    let mut results = BTreeMap::new();
    let summary = crawler
        .crawl_site(&site, max, |p| {
            results.insert(Url::parse(&p.url).unwrap().path().to_owned(), p.clone());
        })
        .await;
    (summary, results)
}

fn rendered<'a>(results: &'a BTreeMap<String, PageResult>, path: &str) -> (&'a PageResult, &'a RenderedCheck) {
    let result = &results[path];
    let check = result.page().and_then(|p| p.rendered.as_ref()).unwrap_or_else(|| panic!("{path} not rendered"));
    (result, check)
}

/// An app with an issued badge for the standard site, and the site's pages served.
async fn badged_site() -> (TestApp, String, BTreeMap<&'static str, String>) {
    let app = spawn_app().await;
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let snippet = govbadge::badge::snippet::install_snippet(&app.base, &BadgeCode::parse(&code).unwrap());
    let badge = snippet[snippet.find("<a ").unwrap()..snippet.find("</a>").unwrap() + 4].to_owned();
    (app, code, BTreeMap::from([("snippet", snippet), ("badge", badge)]))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rendered_check_judges_the_badge_as_a_visitor_sees_it() {
    let (app, code, parts) = badged_site().await;
    let (tracker_port, tracker_hits) = serve(BTreeMap::new()).await;
    let (port, site_hits) = serve(site_pages(&parts["snippet"], &parts["badge"], tracker_port)).await;
    let config = render_config(RenderMode::Always, port, tracker_port);
    let crawler = Crawler::new(&config, Url::parse(&app.base).unwrap()).unwrap();
    let (summary, results) = crawl_by_path(&crawler, port, &code, 50).await;
    assert_eq!(summary.pages, 8, "{:?}", results.keys());

    // The page as the snippet's instructions say: compliant both ways, no screenshot.
    let (home, check) = rendered(&results, "/");
    assert_eq!(home.verdict(), Some(Verdict::Compliant));
    assert_eq!(check.verdict, RenderVerdict::RenderedCompliant, "{check:?}");
    assert!(!check.script_inserted && check.screenshot.is_none());
    let badge = check.badge.as_ref().unwrap();
    assert_eq!((badge.width, badge.height), (110.0, 55.0));
    assert!(home.compliant());

    // Footers written by script: missing in the markup, seen by visitors: compliant.
    for path in ["/written", "/fetched"] {
        let (result, check) = rendered(&results, path);
        assert_eq!(result.verdict(), Some(Verdict::Missing), "{path}: the served bytes hold no badge");
        assert_eq!(check.verdict, RenderVerdict::RenderedCompliant, "{path}: {check:?}");
        assert!(check.script_inserted, "{path}");
        assert!(result.compliant(), "{path}");
    }
    // The third-party script was refused in the browser: it never reached its server.
    assert!(rendered(&results, "/fetched").1.blocked_requests >= 1);
    assert!(tracker_hits.lock().unwrap().is_empty(), "{:?}", tracker_hits.lock().unwrap());
    // The browser loaded the footer the script fetched (from the site itself).
    assert!(site_hits.lock().unwrap().get("/footer.html").copied().unwrap_or(0) >= 1);

    // Present in the markup, wrong as seen.
    let expected = [
        ("/off-centre", RenderVerdict::NotCentred, Verdict::Compliant),
        ("/covered", RenderVerdict::Covered, Verdict::Compliant),
        ("/tiny", RenderVerdict::TooSmall, Verdict::Compliant),
        ("/collapsed", RenderVerdict::RenderedHidden, Verdict::Compliant),
        ("/blank", RenderVerdict::RenderedMissing, Verdict::Missing),
    ];
    for (path, want, static_verdict) in expected {
        let (result, check) = rendered(&results, path);
        assert_eq!(result.verdict(), Some(static_verdict), "{path}");
        assert_eq!(check.verdict, want, "{path}: {check:?}");
        assert!(!result.compliant(), "{path}");
        // A screenshot of the page's bottom: a real PNG, the window's width.
        let png = check.screenshot.as_deref().unwrap_or_else(|| panic!("{path}: no screenshot"));
        let reader = png::Decoder::new(png).read_info().unwrap();
        assert_eq!(reader.info().width, 1280, "{path}");
        assert!(reader.info().height >= 300, "{path}");
    }
    assert_eq!(rendered(&results, "/covered").1.badge.as_ref().unwrap().covered_by.as_deref(), Some("div#banner"));
    assert_eq!(summary.compliant, 3, "the home page and the two script footers");
    assert_eq!(summary.rendered.get("rendered_compliant"), Some(&3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_keeps_rendered_verdicts_and_screenshots_for_the_area_supervisors() {
    let (app, code, parts) = badged_site().await;
    let (tracker_port, _) = serve(BTreeMap::new()).await;
    let (port, _) = serve(site_pages(&parts["snippet"], &parts["badge"], tracker_port)).await;
    // The default mode: only pages with scripts whose markup shows no badge are rendered.
    let config = render_config(RenderMode::WhenNeeded, port, tracker_port);
    let crawler = Crawler::new(&config, Url::parse(&app.base).unwrap()).unwrap();
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let options = govbadge::service::sweep::SweepOptions {
        scope: String::new(),
        resume: false,
        site_concurrency: 1,
        max_pages: 50,
        seed_scheme: "http".into(),
        stop,
    };
    let report = govbadge::service::sweep::run(&app.ctx.pool, &crawler, options).await.unwrap();
    let sweep_id = report.sweep_id;
    let pages = govbadge::store::sweeps::pages(&app.ctx.pool, sweep_id, &code).await.unwrap();
    let by_path: BTreeMap<String, &govbadge::store::sweeps::PageRow> =
        pages.iter().map(|p| (Url::parse(&p.url).unwrap().path().to_owned(), p)).collect();
    assert_eq!(by_path["/written"].rendered.as_deref(), Some("rendered_compliant"));
    assert!(by_path["/written"].compliant() && by_path["/written"].script_inserted());
    assert_eq!(by_path["/blank"].rendered.as_deref(), Some("rendered_missing"));
    // Pages whose markup carries the badge are not rendered under when_needed.
    assert_eq!(by_path["/off-centre"].rendered, None);
    assert!(by_path["/off-centre"].compliant());
    let shot = by_path["/blank"].screenshot_id.expect("a screenshot of the non-compliant rendered page");
    assert!(by_path["/written"].screenshot_id.is_none());

    // The drill-down links the screenshot; only the site's area sees it.
    app.account("清丰县监督.政务", Role::Supervisor, Some(Level::County), Some("410922")).await;
    app.account("南乐县监督.政务", Role::Supervisor, Some(Level::County), Some("410923")).await;
    let qf = app.browser("清丰县监督.政务").await;
    let drill = qf.text(&format!("/dashboard/sites/{code}")).await;
    let link = format!("/dashboard/sites/{code}/screenshots/{shot}");
    assert!(drill.contains(&link), "{drill}");
    assert!(drill.contains("渲染后合规（标识由脚本写入）"), "{drill}");
    let r = qf.get(&link).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "image/png");
    assert!(png::Decoder::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).read_info().is_ok());
    let nl = app.browser("南乐县监督.政务").await;
    assert_eq!(nl.get(&link).await.status(), 404, "another county's supervisor");
    let unit = app.browser("清丰县人民政府.政务").await;
    assert_ne!(unit.get(&link).await.status(), 200, "units do not read the dashboard");
    assert_eq!(qf.get(&format!("/dashboard/sites/{code}/screenshots/999999")).await.status(), 404);

    // The HTML report writes the screenshot beside it and links it.
    let out = tempfile::tempdir().unwrap();
    let dir = govbadge::report::write_reports(&app.ctx.pool, sweep_id, out.path()).await.unwrap();
    let png = std::fs::read(dir.join(format!("screenshots/{shot}.png"))).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains(&format!("screenshots/{shot}.png")), "the failing page links its screenshot");
    let csv = String::from_utf8(std::fs::read(dir.join("pages.csv")).unwrap()).unwrap();
    assert!(csv.contains("渲染检查") && csv.contains("渲染后合规（标识由脚本写入）") && csv.contains("渲染后仍无标识"));
}

#[test]
fn check_render_prints_the_rendered_verdict_and_writes_the_screenshot() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, code, parts, port) = runtime.block_on(async {
        let (app, code, parts) = badged_site().await;
        let (port, _) = serve(site_pages(&parts["snippet"], &parts["badge"], 9)).await;
        (app, code, parts, port)
    });
    let _ = parts;
    let shot = tempfile::NamedTempFile::new().unwrap();
    let run = |path: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_govbadge"))
            .args(["check", &format!("http://{HOST}:{port}{path}"), "--code", &code, "--badge-base", &app.base])
            .args(["--render", "--screenshot"])
            .arg(shot.path())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("GOVBADGE_CRAWL__RESOLVE", format!("{{ \"{HOST}\" = \"127.0.0.1:{port}\" }}"))
            .env("GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES", "true")
            .output()
            .unwrap()
    };
    let written = run("/written");
    let text = String::from_utf8_lossy(&written.stdout);
    assert_eq!(written.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&written.stderr));
    assert!(text.contains("渲染检查：渲染后合规（标识由页面脚本写入）"), "{text}");
    let tiny = run("/tiny");
    let text = String::from_utf8_lossy(&tiny.stdout);
    assert_eq!(tiny.status.code(), Some(1), "{text}");
    assert!(text.contains("标识尺寸过小"), "{text}");
    assert!(std::fs::read(shot.path()).unwrap().starts_with(b"\x89PNG"), "the screenshot of the failing page");
    drop(runtime);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_pages_use_up_their_own_budget_and_nothing_else() {
    let (app, code, parts) = badged_site().await;
    let (tracker_port, tracker_hits) = serve(BTreeMap::new()).await;
    let tracker = format!("http://{TRACKER}:{tracker_port}");
    let snippet = &parts["snippet"];
    let pages = BTreeMap::from([
        (
            "/",
            page(
                "首页",
                "",
                &format!("<a href=\"/spin\">1</a><a href=\"/hog\">2</a><a href=\"/escape\">3</a>{snippet}"),
            ),
        ),
        // Scripts that never end, and that eat memory until the heap cap stops them.
        ("/spin", page("死循环", "", &format!("{snippet}<script>for(;;){{}}</script>"))),
        (
            "/hog",
            page(
                "耗尽内存",
                "",
                &format!("{snippet}<script>var a=[];for(;;){{a.push(new Array(1e6).fill(Math.random()));}}</script>"),
            ),
        ),
        // A page that tries to reach elsewhere: a pop-up, a frame, an image, a beacon.
        (
            "/escape",
            page(
                "外部请求",
                "",
                &format!(
                    "<iframe src=\"{tracker}/frame\"></iframe><img src=\"{tracker}/pixel.gif\">\
<script>window.open('{tracker}/popup');navigator.sendBeacon('{tracker}/beacon','x');</script>{snippet}"
                ),
            ),
        ),
    ]);
    let (port, _) = serve(pages).await;
    let mut config = render_config(RenderMode::Always, port, tracker_port);
    config.render_page_seconds = 5;
    config.render_memory_mb = 64;
    let crawler = Crawler::new(&config, Url::parse(&app.base).unwrap()).unwrap();
    let (_, results) = crawl_by_path(&crawler, port, &code, 10).await;
    for path in ["/spin", "/hog"] {
        let (result, check) = rendered(&results, path);
        assert_eq!(check.verdict, RenderVerdict::RenderFailed, "{path}: {check:?}");
        assert!(check.detail.is_some(), "{path}: the reason is reported");
        // A page the browser could not render keeps its static verdict (compliant here).
        assert_eq!(result.verdict(), Some(Verdict::Compliant), "{path}");
        assert!(result.compliant(), "{path}");
    }
    let (_, escape) = rendered(&results, "/escape");
    assert_eq!(escape.verdict, RenderVerdict::RenderedCompliant, "{escape:?}");
    assert!(escape.blocked_requests >= 2, "{escape:?}");
    assert!(tracker_hits.lock().unwrap().is_empty(), "nothing left the browser: {:?}", tracker_hits.lock().unwrap());
    // The browser lives on after the hostile pages: the next page renders.
    let again = crawler.check_one(&Url::parse(&format!("http://{HOST}:{port}/")).unwrap(), &code).await;
    let check = again.page().and_then(|p| p.rendered.as_ref()).unwrap();
    assert_eq!(check.verdict, RenderVerdict::RenderedCompliant, "{check:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unit_sees_the_screenshots_of_its_own_site_check_only() {
    let (app, codes) = crate::self_check::setup(&["bad1.test"], |c| c.crawl.render = RenderMode::Always).await;
    let unit = app.browser("清丰县人民政府.政务").await;
    let r = unit.post("/self-check/site", &[("code", &codes["bad1.test"])]).await;
    assert_eq!(r.status(), 303);
    let run = r.headers()["location"].to_str().unwrap().to_owned();
    let mut page = String::new();
    for _ in 0..300 {
        page = html_unescape(&unit.text(&run).await);
        if page.contains("已完成") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(page.contains("已完成") && page.contains("渲染后仍无标识"), "{page}");
    let start = page.find(&format!("{run}/screenshots/")).expect("a link to the screenshot");
    let link = &page[start..start + page[start..].find('"').unwrap()];
    let r = unit.get(link).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "image/png");
    assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    // Another unit, or a screenshot id that is not of this run: not found.
    app.account("南乐县教育局.政务", Role::Unit, Some(Level::County), Some("410923")).await;
    assert_eq!(app.browser("南乐县教育局.政务").await.get(link).await.status(), 404);
    assert_eq!(unit.get(&format!("{run}/screenshots/999999")).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_browser_the_static_verdict_stands() {
    let (app, code, parts) = badged_site().await;
    let (port, _) = serve(site_pages(&parts["snippet"], &parts["badge"], 9)).await;
    let mut config = render_config(RenderMode::Always, port, 9);
    config.render_browser = "/nonexistent/chromium".into();
    let crawler = Crawler::new(&config, Url::parse(&app.base).unwrap()).unwrap();
    for (path, compliant) in [("/", true), ("/written", false)] {
        let result = crawler.check_one(&Url::parse(&format!("http://{HOST}:{port}{path}")).unwrap(), &code).await;
        let check = result.page().and_then(|p| p.rendered.as_ref()).unwrap();
        assert_eq!(check.verdict, RenderVerdict::RenderFailed, "{path}");
        assert!(check.detail.as_deref().unwrap_or_default().contains("/nonexistent/chromium"), "{check:?}");
        assert_eq!(result.compliant(), compliant, "{path}: the static verdict decides");
    }
}
