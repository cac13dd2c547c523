//! The crawler against a hostile test site served in-process on 127.0.0.1: GBK pages (charset in
//! the header only, in the meta only), redirects and a redirect loop, robots.txt with Disallow
//! and Crawl-delay, a sitemap, 429 with Retry-After, a slow drip, a huge body, a gzip bomb, an
//! endless calendar, broken HTML, a non-HTML file; and the request rate the server saw.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use govbadge::config::CrawlConfig;
use govbadge::crawl::{Crawler, PageResult, SiteSpec};
use url::Url;

pub const CODE: &str = "4109220000016";
pub const BADGE_BASE: &str = "https://bs.example.gov.cn";

pub fn badge_link(code: &str) -> String {
    format!("<a href=\"{BADGE_BASE}/verify/{code}\"><img src=\"{BADGE_BASE}/badge/{code}.svg\" alt=\"党政机关网站标识\"></a>")
}

#[derive(Clone, Default)]
pub struct Log {
    pub requests: Arc<Mutex<Vec<(Instant, String)>>>,
    busy_served: Arc<Mutex<bool>>,
}

impl Log {
    pub fn paths(&self) -> Vec<String> {
        self.requests.lock().unwrap().iter().map(|(_, p)| p.clone()).collect()
    }

    pub fn count(&self, path: &str) -> usize {
        self.paths().iter().filter(|p| *p == path).count()
    }
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

async fn index() -> Response {
    let links = [
        "/gbk-header",
        "/gbk-meta",
        "/redirect",
        "/loop/a",
        "/private/secret",
        "/slow",
        "/huge",
        "/bomb",
        "/calendar/1",
        "/broken",
        "/file.pdf",
        "/busy",
        "/missing",
        "/index.html#top",
        "mailto:office@example.gov.cn",
        "http://elsewhere.example/",
    ];
    let anchors: String = links.iter().map(|l| format!("<a href=\"{l}\">{l}</a>\n")).collect();
    html(format!(
        "<!DOCTYPE html><html><head><title>测试站点</title></head><body>{anchors}{}</body></html>",
        badge_link(CODE)
    ))
}

async fn route(State(log): State<Log>, uri: Uri, headers: HeaderMap, path: Option<Path<String>>) -> Response {
    let _ = (headers, path);
    let p = uri.path().to_owned();
    log.requests.lock().unwrap().push((Instant::now(), p.clone()));
    match p.as_str() {
        "/" | "/index.html" => index().await,
        "/robots.txt" => "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.2\nSitemap: /sitemap.xml\n".into_response(),
        "/sitemap.xml" => {
            "<?xml version=\"1.0\"?><sitemapindex><sitemap><loc>http://HOST/sitemap-pages.xml.gz</loc></sitemap></sitemapindex>".into_response()
        }
        "/gbk-header" => {
            let page = format!("<html><head><title>濮阳市编办</title></head><body><p>欢迎访问</p>{}</body></html>", badge_link(CODE));
            ([(header::CONTENT_TYPE, "text/html; charset=GBK")], gbk(&page)).into_response()
        }
        "/gbk-meta" => {
            let page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>清丰县人民政府</title></head><body><p>政务公开</p></body></html>";
            ([(header::CONTENT_TYPE, "text/html")], gbk(page)).into_response()
        }
        "/redirect" => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/final")]).into_response(),
        "/final" => html(format!("<html><body>跳转后的页面{}</body></html>", badge_link(CODE))),
        "/loop/a" => (StatusCode::FOUND, [(header::LOCATION, "/loop/b")]).into_response(),
        "/loop/b" => (StatusCode::FOUND, [(header::LOCATION, "/loop/a")]).into_response(),
        "/private/secret" => html("<html><body>secret</body></html>".into()),
        "/from-sitemap" => html(format!("<html><body>只在站点地图里{}</body></html>", badge_link(CODE))),
        "/slow" => {
            let stream = futures_util::stream::unfold(0, |n| async move {
                if n >= 40 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                Some((Ok::<_, std::io::Error>(Bytes::from_static(b"<p>")), n + 1))
            });
            ([(header::CONTENT_TYPE, "text/html")], Body::from_stream(stream)).into_response()
        }
        "/huge" => {
            // Chunked, no Content-Length: the cap must stop the read itself.
            let stream = futures_util::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 64 * 1024]))));
            ([(header::CONTENT_TYPE, "text/html")], Body::from_stream(stream)).into_response()
        }
        "/bomb" => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            for _ in 0..64 {
                gz.write_all(&[b' '; 1 << 20]).unwrap();
            }
            let compressed = gz.finish().unwrap();
            ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "gzip")], compressed).into_response()
        }
        "/broken" => html(format!("<html><body><div><p>未闭合<table><tr><td>{}<a href=\"/calendar/1\"<b>x</i></div", badge_link("4109230000012"))),
        "/file.pdf" => ([(header::CONTENT_TYPE, "application/pdf")], "%PDF-1.4").into_response(),
        "/busy" => {
            let mut served = log.busy_served.lock().unwrap();
            if !*served {
                *served = true;
                return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "busy").into_response();
            }
            html(format!("<html><body>忙完了{}</body></html>", badge_link(CODE)))
        }
        other if other.starts_with("/calendar/") => {
            let n: u64 = other.trim_start_matches("/calendar/").parse().unwrap_or(0);
            html(format!("<html><body><a href=\"/calendar/{}\">下个月</a><a href=\"/calendar/{}?view=week\">周视图</a></body></html>", n + 1, n + 1))
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Serves the test site; returns its base URL and the request log.
pub async fn serve_site() -> (Url, Log) {
    let log = Log::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sitemap_pages = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(
            format!("<urlset><url><loc>http://127.0.0.1:{}/from-sitemap</loc></url></urlset>", addr.port()).as_bytes(),
        )
        .unwrap();
        gz.finish().unwrap()
    };
    let host = format!("127.0.0.1:{}", addr.port());
    let log2 = log.clone();
    let app = Router::new()
        .route(
            "/sitemap-pages.xml.gz",
            get(move || {
                let log = log2.clone();
                let body = sitemap_pages.clone();
                async move {
                    log.requests.lock().unwrap().push((Instant::now(), "/sitemap-pages.xml.gz".into()));
                    ([(header::CONTENT_TYPE, "application/gzip")], body)
                }
            }),
        )
        .route(
            "/sitemap.xml",
            get({
                let log = log.clone();
                let host = host.clone();
                move || {
                    let log = log.clone();
                    let host = host.clone();
                    async move {
                        log.requests.lock().unwrap().push((Instant::now(), "/sitemap.xml".into()));
                        format!("<?xml version=\"1.0\"?><sitemapindex><sitemap><loc>http://{host}/sitemap-pages.xml.gz</loc></sitemap></sitemapindex>")
                    }
                }
            }),
        )
        .fallback(route)
        .with_state(log.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (Url::parse(&format!("http://{host}/")).unwrap(), log)
}

pub fn test_crawl_config() -> CrawlConfig {
    CrawlConfig {
        per_host_rate: 10.0,
        // Every test site is on 127.0.0.1 (see helpers::spawn_app_on).
        per_ip_rate: 1000.0,
        request_timeout_seconds: 2,
        connect_timeout_seconds: 2,
        max_body_bytes: 1024 * 1024,
        max_depth: 6,
        max_pages_per_site: 200,
        max_retry_after_seconds: 5,
        allow_private_addresses: true,
        // The browser is started only by the tests of the rendered check (tests/api/render_check.rs).
        render: govbadge::render::RenderMode::Never,
        ..CrawlConfig::default()
    }
}

#[tokio::test]
async fn a_hostile_site_is_data_not_a_crash() {
    let (base, log) = serve_site().await;
    let crawler = Crawler::new(&test_crawl_config(), Url::parse(BADGE_BASE).unwrap()).unwrap();
    let mut results: Vec<PageResult> = Vec::new();
    let summary = crawler.crawl_site(&SiteSpec::from_url(base.clone(), CODE), 200, |p| results.push(p.clone())).await;
    let by_path: BTreeMap<String, &PageResult> = results
        .iter()
        .map(|r| {
            let u = Url::parse(&r.url).unwrap();
            let key = match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            };
            (key, r)
        })
        .collect();
    let get = |p: &str| *by_path.get(p).unwrap_or_else(|| panic!("{p} not crawled: {:?}", by_path.keys()));
    let verdict = |p: &str| get(p).verdict().map(govbadge::check::Verdict::as_str);

    assert_eq!(verdict("/"), Some("compliant"), "{:?}", get("/"));
    // GBK by header only, and by meta only.
    let g = get("/gbk-header");
    assert_eq!(
        (
            g.verdict().map(govbadge::check::Verdict::as_str),
            g.page().map(|p| p.encoding),
            g.page().and_then(|p| p.title.as_deref())
        ),
        (Some("compliant"), Some("GBK"), Some("濮阳市编办"))
    );
    let g = get("/gbk-meta");
    assert_eq!(
        (
            g.verdict().map(govbadge::check::Verdict::as_str),
            g.page().map(|p| p.encoding),
            g.page().and_then(|p| p.title.as_deref())
        ),
        (Some("missing"), Some("GBK"), Some("清丰县人民政府"))
    );
    // Redirects are followed; loops are outcomes.
    assert_eq!(verdict("/redirect"), Some("compliant"));
    assert!(get("/redirect").detail().unwrap().contains("/final"));
    assert_eq!(get("/loop/a").outcome_str(), "redirect_loop");
    // robots.txt: the disallowed page is reported and never fetched.
    assert_eq!(get("/private/secret").outcome_str(), "robots_disallowed");
    assert_eq!(log.count("/private/secret"), 0);
    // The gzip-compressed sitemap behind the sitemap index leads to a page nothing links to.
    assert_eq!(verdict("/from-sitemap"), Some("compliant"));
    // Hostile bodies.
    assert_eq!(get("/slow").outcome_str(), "timeout");
    assert_eq!(get("/huge").outcome_str(), "too_large");
    assert_eq!(get("/bomb").outcome_str(), "too_large");
    assert_eq!(get("/file.pdf").outcome_str(), "not_html");
    assert_eq!((get("/missing").outcome_str(), get("/missing").status), ("http_error", Some(404)));
    assert_eq!(verdict("/broken"), Some("wrong_code"));
    // 429 with Retry-After: waited, then fetched once more.
    assert_eq!(verdict("/busy"), Some("compliant"));
    let busy: Vec<Instant> =
        log.requests.lock().unwrap().iter().filter(|(_, p)| p == "/busy").map(|(t, _)| *t).collect();
    assert_eq!(busy.len(), 2);
    assert!(busy[1] - busy[0] >= Duration::from_millis(950), "{:?}", busy[1] - busy[0]);
    // The endless calendar stops at the depth cap.
    let calendar = results.iter().filter(|r| r.url.contains("/calendar/")).count();
    assert!(calendar > 0 && calendar <= 2 * 6, "{calendar}");
    // Off-site, mailto and fragment links are not followed; no URL is fetched twice.
    assert!(!results.iter().any(|r| r.url.contains("elsewhere") || r.url.starts_with("mailto")));
    let mut urls: Vec<&str> = results.iter().map(|r| r.url.as_str()).collect();
    urls.sort_unstable();
    let before = urls.len();
    urls.dedup();
    assert_eq!(before, urls.len());
    assert_eq!(summary.site_verdict.as_str(), "non_compliant");
    assert_eq!(summary.pages, results.iter().filter(|r| r.verdict().is_some()).count());

    // Politeness: with Crawl-delay 0.2 s, no two requests to the host started closer than that,
    // so no window of one second saw more than five. The crawler spaces the starts; this
    // server sees arrivals, which a loaded machine (the whole suite at once) can delay by tens
    // of milliseconds for one request and not the next: 50 ms of slack (without the delay,
    // requests come a millisecond apart).
    let times: Vec<Instant> = log.requests.lock().unwrap().iter().map(|(t, _)| *t).collect();
    for w in times.windows(2).skip(1) {
        assert!(w[1] - w[0] >= Duration::from_millis(150), "requests {:?} apart", w[1] - w[0]);
    }
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().take_while(|u| **u - *t < Duration::from_secs(1)).count();
        assert!(in_window <= 6, "{in_window} requests within one second");
    }
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let (base, log) = serve_site().await;
    let config = CrawlConfig { allow_private_addresses: false, ..test_crawl_config() };
    let crawler = Crawler::new(&config, Url::parse(BADGE_BASE).unwrap()).unwrap();
    let result = crawler.check_one(&base, CODE).await;
    assert_eq!(result.outcome_str(), "blocked_address");
    let localhost = Url::parse(&base.as_str().replace("127.0.0.1", "localhost")).unwrap();
    assert_eq!(crawler.check_one(&localhost, CODE).await.outcome_str(), "blocked_address");
    assert!(log.paths().is_empty(), "nothing reached the server");
}

fn govbadge(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_govbadge"))
        .args(args)
        .env("GOVBADGE_CRAWL__ALLOW_PRIVATE_ADDRESSES", "true")
        .env("GOVBADGE_CRAWL__PER_HOST_RATE", "20")
        .env("GOVBADGE_CRAWL__PER_IP_RATE", "1000")
        .env("GOVBADGE_CRAWL__REQUEST_TIMEOUT_SECONDS", "2")
        .env("GOVBADGE_CRAWL__MAX_DEPTH", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn check_and_crawl_commands() {
    let (base, _log) = serve_site().await;
    let page = format!("{base}gbk-header");
    let (code, out) = tokio::task::spawn_blocking(move || {
        govbadge(&["check", &page, "--code", CODE, "--badge-base", BADGE_BASE, "--json"])
    })
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, v["verdict"].as_str(), v["encoding"].as_str()), (0, Some("compliant"), Some("GBK")));
    // A code whose check character does not match is a usage error, not a check.
    let page = format!("{base}gbk-header");
    let (code, _) = tokio::task::spawn_blocking(move || {
        govbadge(&["check", &page, "--code", "4109220000017", "--badge-base", BADGE_BASE])
    })
    .await
    .unwrap();
    assert_eq!(code, 2);
    let page = format!("{base}gbk-meta");
    let (code, out) =
        tokio::task::spawn_blocking(move || govbadge(&["check", &page, "--code", CODE, "--badge-base", BADGE_BASE]))
            .await
            .unwrap();
    assert_eq!(code, 1);
    assert!(out.contains("未加挂网站标识") && out.contains("</body>前"), "{out}");

    let site = base.to_string();
    let (code, out) = tokio::task::spawn_blocking(move || {
        govbadge(&["crawl", &site, "--code", CODE, "--badge-base", BADGE_BASE, "--json", "--max-pages", "8"])
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "the site has non-compliant pages");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["summary"], true);
    assert_eq!(summary["site_verdict"], "non_compliant");
    let pages = &lines[..lines.len() - 1];
    assert!(pages.len() <= 8 && !pages.is_empty());
    for p in pages {
        assert!(p["url"].is_string() && p["outcome"].is_string(), "{p}");
        if p["outcome"] == "ok" {
            assert!(p["verdict"].is_string() && p["warnings"].is_array() && p["encoding"].is_string());
        }
    }
    assert_eq!(summary["pages"].as_u64().unwrap() as usize, pages.iter().filter(|p| p["outcome"] == "ok").count());
}

/// A real TLS server with a self-signed certificate (openssl `s_server`), answering every request
/// with a small HTML status page.
struct SelfSignedServer {
    port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl SelfSignedServer {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=expired.example.gov.cn",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl (Debian package openssl) makes the test certificate");
        assert!(made.success());
        let port = crate::helpers::free_port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
            .arg("-key")
            .arg(&key)
            .arg("-cert")
            .arg(&cert)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..400 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { port, child, _dir: dir }
    }
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn an_invalid_certificate_is_a_finding_and_the_page_is_still_checked() {
    let server = SelfSignedServer::start();
    let url = Url::parse(&format!("https://127.0.0.1:{}/", server.port)).unwrap();
    let crawler = Crawler::new(&test_crawl_config(), Url::parse(BADGE_BASE).unwrap()).unwrap();
    let result = crawler.check_one(&url, CODE).await;
    assert_eq!(result.outcome_str(), "ok", "{result:?}");
    assert_eq!(result.verdict().map(govbadge::check::Verdict::as_str), Some("missing"));
    assert!(
        result
            .page()
            .and_then(|p| p.certificate_problem.as_deref())
            .is_some_and(|p| p.to_lowercase().contains("certificate")),
        "{result:?}"
    );

    let strict = CrawlConfig { check_invalid_certificates: false, ..test_crawl_config() };
    let crawler = Crawler::new(&strict, Url::parse(BADGE_BASE).unwrap()).unwrap();
    let result = crawler.check_one(&url, CODE).await;
    assert_eq!((result.outcome_str(), result.verdict()), ("tls", None));
}

#[test]
fn check_takes_a_legacy_code_and_says_which_badge() {
    let page = "tests/fixtures/real-pages/02-ustc-edu-cn.html";
    let (code, out) = govbadge(&["check", "--file", page, "--code", "CA330000000604442030001", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, v["verdict"].as_str(), v["badge"].as_str()), (0, Some("compliant"), Some("conac_written")));
    let (code, out) = govbadge(&["check", "--file", page, "--code", "CA330000000604442030001"]);
    assert_eq!(code, 0);
    assert!(out.contains("合规（原网站标识脚本（document.write写入））"), "{out}");
    let (code, out) = govbadge(&["check", "--file", page, "--code", "CA110000000600000000001"]);
    assert_eq!(code, 1);
    assert!(out.contains("标识代码不符"), "{out}");
    // Neither form: a usage error.
    assert_eq!(govbadge(&["check", "--file", page, "--code", "CA3300000006044420300"]).0, 2);
}

/// The crawl resolves a link value once per site and leaves it out of later pages' links. A
/// value first seen on a page at the depth limit (whose links are too deep to follow) must still
/// be followed when a shallower page links to it later.
#[tokio::test]
async fn a_link_first_seen_too_deep_is_still_followed_from_a_shallower_page() {
    let log = Log::default();
    let page = |links: &'static [&'static str], wait: Duration| {
        let log = log.clone();
        move |uri: Uri| {
            let log = log.clone();
            async move {
                log.requests.lock().unwrap().push((Instant::now(), uri.path().to_owned()));
                tokio::time::sleep(wait).await;
                let anchors: String = links.iter().map(|l| format!("<a href=\"{l}\">{l}</a>")).collect();
                html(format!("<html><body>{anchors}{}</body></html>", badge_link(CODE)))
            }
        }
    };
    let app = Router::new()
        .route("/", get(page(&["/slow", "/fast"], Duration::ZERO)))
        .route("/fast", get(page(&["/fast2", "/"], Duration::ZERO)))
        .route("/fast2", get(page(&["/x", "/fast"], Duration::ZERO)))
        // Answers after /fast2 has been checked: its link to /x comes second.
        .route("/slow", get(page(&["/x", "/fast"], Duration::from_millis(1500))))
        .route("/x", get(page(&["/"], Duration::ZERO)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = CrawlConfig { max_depth: 2, per_host_rate: 100.0, respect_robots: false, ..test_crawl_config() };
    let crawler = Crawler::new(&config, Url::parse(BADGE_BASE).unwrap()).unwrap();
    let mut results: Vec<PageResult> = Vec::new();
    crawler.crawl_site(&SiteSpec::from_url(base, CODE), 200, |p| results.push(p.clone())).await;
    let mut crawled: Vec<(String, usize)> =
        results.iter().map(|r| (Url::parse(&r.url).unwrap().path().to_owned(), r.depth)).collect();
    crawled.sort();
    let want = [("/", 0), ("/fast", 1), ("/fast2", 2), ("/slow", 1), ("/x", 2)];
    assert_eq!(crawled, want.map(|(p, d)| (p.to_owned(), d)), "every page once, /x from /slow");
    let order = log.paths();
    let position = |p: &str| order.iter().position(|q| q == p).unwrap();
    assert!(position("/fast2") < position("/x"), "/fast2 was read before /slow answered: {order:?}");
}

/// A site served over IPv6 only (on `::1`): three pages, the badge on each.
async fn serve_ipv6_site() -> std::net::SocketAddr {
    let page = |links: &str| {
        html(format!("<html><head><title>IPv6</title></head><body>{links}{}</body></html>", badge_link(CODE)))
    };
    let app = Router::new()
        .route("/", get(move || async move { page("<a href=\"/a.html\">a</a> <a href=\"/b.html\">b</a>") }))
        .route("/a.html", get(move || async move { page("<a href=\"/b.html\">b</a>") }))
        .route("/b.html", get(move || async move { page("") }));
    let listener = tokio::net::TcpListener::bind("[::1]:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test]
async fn a_site_reached_over_ipv6_only_is_crawled_and_its_loopback_refused_unless_allowed() {
    // Government sites are to be reachable over IPv6; some names have only AAAA records.
    if std::fs::read_to_string("/proc/sys/net/ipv6/conf/lo/disable_ipv6").is_ok_and(|v| v.trim() == "1") {
        eprintln!("IPv6 is turned off on this machine's loopback: the IPv6 crawl is not tried");
        return;
    }
    let addr = serve_ipv6_site().await;
    let mut config = test_crawl_config();
    config.resolve.insert("v6.qingfeng.gov.cn".into(), addr);
    let crawler = Crawler::new(&config, Url::parse(BADGE_BASE).unwrap()).unwrap();
    for base in [format!("http://v6.qingfeng.gov.cn:{}/", addr.port()), format!("http://[::1]:{}/", addr.port())] {
        let mut pages = Vec::new();
        let summary = crawler
            .crawl_site(&SiteSpec::from_url(Url::parse(&base).unwrap(), CODE), 20, |p| pages.push(p.clone()))
            .await;
        let mut found: Vec<(String, Option<&str>)> = pages
            .iter()
            .map(|p| (Url::parse(&p.url).unwrap().path().to_owned(), p.verdict().map(govbadge::check::Verdict::as_str)))
            .collect();
        found.sort();
        let compliant = Some("compliant");
        assert_eq!(
            found,
            [("/".into(), compliant), ("/a.html".into(), compliant), ("/b.html".into(), compliant)],
            "{base}"
        );
        assert_eq!(summary.site_verdict.as_str(), "compliant", "{base}");
    }
    // Without leave to reach private addresses, IPv6 loopback is refused like 127.0.0.1.
    let strict = CrawlConfig { allow_private_addresses: false, ..test_crawl_config() };
    let crawler = Crawler::new(&strict, Url::parse(BADGE_BASE).unwrap()).unwrap();
    let literal = Url::parse(&format!("http://[::1]:{}/", addr.port())).unwrap();
    assert_eq!(crawler.check_one(&literal, CODE).await.outcome_str(), "blocked_address");
}
