//! The badge in a real browser (Debian's chromium, headless, started by the test): a static page
//! on one origin carries the snippet from the badge service on another. Screenshots of each case
//! go to target/browser-screenshots/.

use std::path::PathBuf;
use std::process::Command;

use axum::http::header;
use axum::response::IntoResponse;
use axum::Router;
use govbadge::domain::badge::BadgeCode;

use crate::helpers::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The host page: some content, then the snippet just before </body>; with `probe`, an inline
/// script records where the badge ended up (only where the page's CSP allows inline scripts).
fn host_page(snippet: &str, probe: bool) -> String {
    let probe = if probe {
        "<script>window.addEventListener('load',function(){setTimeout(function(){var i=document.querySelector('a img');var r=i.getBoundingClientRect();document.body.setAttribute('data-badge',JSON.stringify({x:r.left,y:r.top,w:r.width,h:r.height,vw:document.documentElement.clientWidth,sh:document.documentElement.scrollHeight}));},300);});</script>"
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>清丰县人民政府网</title>{probe}</head><body style=\"margin:0\"><div style=\"height:900px;background:#f4f4f4\">正文</div><footer>主办单位：清丰县人民政府办公室</footer>{snippet}</body></html>"
    )
}

/// Serves the host page on 127.0.0.1 (reached in the browser under any host name mapped to it),
/// with an optional Content-Security-Policy.
pub async fn serve_page(body: String, csp: Option<String>) -> u16 {
    let app = Router::new().fallback(move || {
        let body = body.clone();
        let csp = csp.clone();
        async move {
            let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
            if let Some(csp) = csp {
                response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp.parse().unwrap());
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless chromium on `url` with `extra` flags; returns the DOM after load and stderr.
fn chromium(url: &str, extra: &[&str], screenshot: &str) -> (String, String) {
    assert!(std::path::Path::new(CHROMIUM).exists(), "Debian's chromium is needed (scripts/test.sh installs it)");
    let profile = tempfile::tempdir().unwrap();
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--host-resolver-rules=MAP www.qingfeng.gov.cn 127.0.0.1, MAP copycat.example 127.0.0.1",
    ];
    let run = |mode: &[String]| {
        Command::new(CHROMIUM)
            .args(base)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .args(mode)
            .arg(url)
            .output()
            .unwrap()
    };
    let dom = run(&["--dump-dom".to_owned()]);
    let shot = screenshots().join(format!("{screenshot}.png"));
    let _ = run(&[format!("--screenshot={}", shot.display()), "--window-size=800,1000".to_owned()]);
    (String::from_utf8_lossy(&dom.stdout).into_owned(), String::from_utf8_lossy(&dom.stderr).into_owned())
}

/// Pixels of the badge's red near the bottom centre of a screenshot.
fn red_at_bottom_centre(shot: &str) -> usize {
    let file = std::fs::File::open(screenshots().join(format!("{shot}.png"))).unwrap();
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut n = 0;
    for y in h.saturating_sub(150)..h {
        for x in (w / 2 - 60)..(w / 2 + 60) {
            let p = &buf[(y * w + x) * channels..][..3];
            let close = |a: u8, b: u8| a.abs_diff(b) <= 40;
            n += usize::from(close(p[0], 0xc8) && close(p[1], 0x16) && close(p[2], 0x1d));
        }
    }
    n
}

fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("Uncaught") || l.contains("Refused") || l.contains("rror")))
        .collect()
}

fn attr<'a>(dom: &'a str, marker: &str) -> Option<&'a str> {
    let start = dom.find(marker)? + marker.len();
    let end = dom[start..].find('"')? + start;
    Some(&dom[start..end])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_badge_in_a_real_browser() {
    // The badge service is the app itself, on its own origin.
    let app = spawn_app().await;
    let base = app.base.clone();
    app.cast().await;
    let code = issued_badge(&app, valid_input()).await;
    let snippet = govbadge::badge::snippet::install_snippet(&base, &BadgeCode::parse(&code).unwrap());
    let ctx = app.ctx.clone();

    // 1. A registered host, scripts on: the badge is upgraded, centred at the bottom.
    let port = serve_page(host_page(&snippet, true), None).await;
    let url = format!("http://www.qingfeng.gov.cn:{port}/");
    let (dom, stderr) = tokio::task::spawn_blocking(move || chromium(&url, &[], "1-registered")).await.unwrap();
    assert!(console_errors(&stderr).is_empty(), "{:?}", console_errors(&stderr));
    let src = attr(&dom, "<img src=\"").unwrap_or_default().replace("&amp;", "&");
    assert!(src.starts_with(&format!("{base}/badge/{code}.svg?v=party")), "{src}\n{dom}");
    let href = attr(&dom, "<a href=\"").unwrap();
    assert_eq!(href, format!("{base}/verify/{code}"));
    let geometry: serde_json::Value =
        serde_json::from_str(&attr(&dom, "data-badge=\"").unwrap().replace("&quot;", "\"")).unwrap();
    let (x, w, vw) =
        (geometry["x"].as_f64().unwrap(), geometry["w"].as_f64().unwrap(), geometry["vw"].as_f64().unwrap());
    assert_eq!((w, geometry["h"].as_f64().unwrap()), (110.0, 55.0));
    assert!((x + w / 2.0 - vw / 2.0).abs() <= 1.0, "centred: {geometry}");
    let bottom = geometry["y"].as_f64().unwrap() + 55.0;
    assert!(geometry["sh"].as_f64().unwrap() - bottom < 40.0, "at the bottom: {geometry}");
    // Its link opens the verification page.
    let verify = reqwest::get(href).await.unwrap();
    assert_eq!(verify.status(), 200);
    assert!(verify.text().await.unwrap().contains("清丰县人民政府网"));

    // 2. No JavaScript: the static link and image still show the badge. (Headless chromium
    // cannot take a screenshot with Blink scripting switched off, so the page forbids every
    // script by its CSP instead: for the page, the same as JavaScript disabled.)
    let port = serve_page(host_page(&snippet, false), Some(format!("script-src 'none'; img-src {base}"))).await;
    let url = format!("http://www.qingfeng.gov.cn:{port}/");
    let (dom, _) = tokio::task::spawn_blocking(move || chromium(&url, &[], "2-no-javascript")).await.unwrap();
    assert!(dom.contains(&format!("<img src=\"{base}/badge/{code}.svg\"")), "not upgraded: {dom}");
    assert!(red_at_bottom_centre("2-no-javascript") > 1000, "the static badge is drawn without scripts");
    assert!(red_at_bottom_centre("1-registered") > 1000, "and with them");

    // 3. A strict Content-Security-Policy that allows only the badge host's scripts and images.
    let csp = format!("script-src {base}; img-src {base}");
    let port = serve_page(host_page(&snippet, false), Some(csp)).await;
    let url = format!("http://www.qingfeng.gov.cn:{port}/");
    let (dom, stderr) = tokio::task::spawn_blocking(move || chromium(&url, &[], "3-strict-csp")).await.unwrap();
    assert!(console_errors(&stderr).is_empty(), "{:?}", console_errors(&stderr));
    assert!(dom.contains(&format!("{base}/badge/{code}.svg?v=party")), "the script ran under the CSP: {dom}");

    // 4. The snippet copied onto a host it is not registered for: the mismatch variant, and the
    // server records the sighting.
    let port = serve_page(host_page(&snippet, false), None).await;
    let url = format!("http://copycat.example:{port}/");
    let (dom, _) = tokio::task::spawn_blocking(move || chromium(&url, &[], "4-unregistered-host")).await.unwrap();
    assert!(dom.contains(&format!("{base}/badge/{code}.svg?v=mismatch")), "{dom}");
    ctx.sightings.flush(&ctx.pool).await.unwrap();
    let seen: Vec<(String, bool)> =
        govbadge::on_pool!(&ctx.pool, p => sqlx::query_as("SELECT host, registered FROM badge_sightings WHERE code = $1 ORDER BY host")
            .bind(&code)
            .fetch_all(p).await)
            .unwrap();
    assert!(seen.contains(&("copycat.example".to_owned(), false)), "{seen:?}");
    assert!(seen.contains(&("www.qingfeng.gov.cn".to_owned(), true)), "{seen:?}");
    for shot in ["1-registered", "2-no-javascript", "3-strict-csp", "4-unregistered-host"] {
        assert!(screenshots().join(format!("{shot}.png")).exists(), "{shot}");
    }
}
