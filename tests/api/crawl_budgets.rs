//! Crawl budgets against hostile sites on 127.0.0.1: a robots.txt naming sixty 10 MB sitemaps,
//! Crawl-delay and Retry-After of an hour, a robots.txt past 500 KiB, and a second port of the
//! same host. None of them may hold a crawl or its memory beyond the site's caps.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use govbadge::crawl::{Crawler, PageResult, SiteSpec};
use url::Url;

use crate::crawl::{badge_link, test_crawl_config, BADGE_BASE, CODE};

type Handler = Arc<dyn Fn(&str, u16) -> Response + Send + Sync>;

/// Serves `handler(path_and_query, own_port)` on a fresh port; returns the base URL and the
/// paths requested.
async fn serve(handler: Handler) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let app = Router::new().fallback(move |uri: Uri| {
        let handler = handler.clone();
        let seen = seen.clone();
        async move {
            let path = uri.path_and_query().map_or("/".to_owned(), |p| p.as_str().to_owned());
            seen.lock().unwrap().push(path.clone());
            handler(&path, port)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap(), log)
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn page(links: &str) -> Response {
    html(format!("<html><body>{links}{}</body></html>", badge_link(CODE)))
}

async fn crawl(
    base: &Url,
    max_pages: usize,
    configure: impl FnOnce(&mut govbadge::config::CrawlConfig),
) -> (Vec<PageResult>, govbadge::crawl::SiteSummary) {
    let mut config = test_crawl_config();
    configure(&mut config);
    let crawler = Crawler::new(&config, Url::parse(BADGE_BASE).unwrap()).unwrap();
    let mut results = Vec::new();
    let summary =
        crawler.crawl_site(&SiteSpec::from_url(base.clone(), CODE), max_pages, |p| results.push(p.clone())).await;
    (results, summary)
}

#[tokio::test]
async fn a_sitemap_bomb_is_read_only_as_far_as_the_page_cap() {
    let (base, log) = serve(Arc::new(|path: &str, port: u16| {
        if path == "/robots.txt" {
            let lines: String =
                (0..60).map(|i| format!("Sitemap: http://127.0.0.1:{port}/sitemap-{i}.xml\n")).collect();
            return format!("User-agent: *\nAllow: /\n{lines}").into_response();
        }
        if path.starts_with("/sitemap-") {
            // 10 MB of URLs, made as they are sent.
            let chunks = futures_util::stream::iter(0..160).map(move |chunk| {
                let mut text = if chunk == 0 { String::from("<?xml version=\"1.0\"?><urlset>") } else { String::new() };
                for i in 0..1000 {
                    text.push_str(&format!("<url><loc>http://127.0.0.1:{port}/p/{chunk}/{i}</loc></url>"));
                }
                Ok::<_, std::io::Error>(Bytes::from(text))
            });
            return ([(header::CONTENT_TYPE, "application/xml")], Body::from_stream(chunks)).into_response();
        }
        page("")
    }))
    .await;
    let (results, summary) = crawl(&base, 20, |_| {}).await;
    assert_eq!(results.len(), 20, "the page cap holds");
    assert_eq!(summary.pages, 20);
    let sitemaps = log.lock().unwrap().iter().filter(|p| p.starts_with("/sitemap-")).count();
    assert_eq!(sitemaps, 1, "the first sitemap already filled the cap: no other is fetched");
}

#[tokio::test]
async fn an_hour_of_crawl_delay_or_retry_after_ends_with_the_site_budget() {
    let budget = |c: &mut govbadge::config::CrawlConfig| {
        c.max_site_seconds = 2;
        c.max_retry_after_seconds = 3600;
    };
    // Every page but the home page answers 429 with an hour's Retry-After.
    let (base, _log) = serve(Arc::new(|path: &str, _port: u16| match path {
        "/robots.txt" => StatusCode::NOT_FOUND.into_response(),
        "/" => page("<a href=\"/a\">a</a><a href=\"/b\">b</a><a href=\"/c\">c</a>"),
        _ => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "3600")], "busy").into_response(),
    }))
    .await;
    let started = Instant::now();
    let (results, summary) = crawl(&base, 50, budget).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "the site's budget bounds the crawl: {took:?}");
    assert!(summary.timed_out);
    // What was done is kept: the home page was checked before the budget ran out.
    let home = results.iter().find(|r| r.url == base.as_str()).expect("home page reported");
    assert_eq!(home.verdict().map(govbadge::check::Verdict::as_str), Some("compliant"));
    let waiting: Vec<_> = results.iter().filter(|r| r.url != base.as_str()).map(PageResult::outcome_str).collect();
    assert!(!waiting.is_empty() && waiting.iter().all(|o| *o == "site_timeout"), "{results:?}");
    assert_eq!(summary.site_verdict.as_str(), "compliant", "the verdict is of the pages checked");

    // A Crawl-delay of an hour: the home page waits its turn after robots.txt, past the budget.
    let (base, _log) = serve(Arc::new(|path: &str, _port: u16| match path {
        "/robots.txt" => "User-agent: *\nCrawl-delay: 3600\n".into_response(),
        _ => page("<a href=\"/a\">a</a>"),
    }))
    .await;
    let started = Instant::now();
    let (results, summary) = crawl(&base, 50, budget).await;
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(summary.timed_out);
    assert_eq!(results.iter().map(PageResult::outcome_str).collect::<Vec<_>>(), ["site_timeout"]);
    assert_eq!(summary.site_verdict.as_str(), "unreachable");
}

#[tokio::test]
async fn a_robots_txt_past_500_kib_is_read_up_to_its_limit() {
    let (base, log) = serve(Arc::new(|path: &str, _port: u16| match path {
        "/robots.txt" => {
            let mut text = String::from("User-agent: *\nDisallow: /private/\n");
            while text.len() < 600 * 1024 {
                text.push_str("# a long comment line that makes this robots.txt larger than the limit\n");
            }
            text.push_str("Disallow: /late/\n");
            text.into_response()
        }
        "/" => page("<a href=\"/private/x\">p</a><a href=\"/late/y\">l</a>"),
        _ => page(""),
    }))
    .await;
    let (results, _) = crawl(&base, 50, |_| {}).await;
    let outcome = |suffix: &str| results.iter().find(|r| r.url.ends_with(suffix)).map(PageResult::outcome_str);
    assert_eq!(outcome("/private/x"), Some("robots_disallowed"), "the first 500 KiB are obeyed, not ignored");
    assert_eq!(outcome("/late/y"), Some("ok"), "rules past 500 KiB are not read");
    assert!(!log.lock().unwrap().iter().any(|p| p.starts_with("/private/")));
}

#[tokio::test]
async fn a_site_on_one_port_does_not_own_the_same_host_on_another() {
    let (other, other_log) = serve(Arc::new(|_: &str, _port: u16| page(""))).await;
    let other_page = other.join("/elsewhere").unwrap();
    let (base, _) = serve(Arc::new(move |path: &str, _port: u16| match path {
        "/" => page(&format!("<a href=\"{other_page}\">x</a><a href=\"/own\">own</a>")),
        _ => page(""),
    }))
    .await;
    let (results, _) = crawl(&base, 50, |_| {}).await;
    assert!(results.iter().any(|r| r.url.ends_with("/own")));
    assert!(!results.iter().any(|r| r.url.contains("/elsewhere")), "{results:?}");
    assert!(other_log.lock().unwrap().is_empty(), "the other port was never fetched");
}
