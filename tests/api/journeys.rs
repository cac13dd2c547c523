//! The main journeys in a real browser: Debian's chromium, headless, driven over `WebDriver`
//! (chromium-driver, fantoccini). A unit applies with mistakes and fixes them; the county office
//! rejects (first without a reason), the unit resubmits; four levels approve; the paper is
//! received and confirmed; the badge is issued with its notice recorded; the public verifies it;
//! the supervisor and the admin look at their pages. Every step leaves a screenshot in
//! `target/browser-screenshots/journey-*.png`, and axe-core (from npm, `tests/browser/`) checks the
//! public pages and the portal: no critical violations, a label on every field, AA contrast.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::*;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "Debian's chromium-driver is needed (scripts/test.sh installs it)"
        );
        let port = free_port();
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, port };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromedriver did not start");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1600",
                "--host-resolver-rules=MAP www.qingfeng.gov.cn 127.0.0.1, MAP copycat.example 127.0.0.1",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// A unit's own page with the badge snippet before `</body>`, served on a free loopback port.
async fn serve_site_page(snippet: String) -> u16 {
    let page = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>清丰县人民政府网</title></head>\
         <body><main style=\"height:600px\">正文</main><footer>主办单位：清丰县人民政府办公室</footer>{snippet}</body></html>"
    );
    crate::browser::serve_page(page, None).await
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Journey {
    client: Client,
    base: String,
    step: usize,
}

impl Journey {
    async fn go(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn page(&self) -> String {
        self.client.source().await.unwrap()
    }

    async fn shot(&mut self, name: &str) {
        self.step += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(screenshot_dir().join(format!("journey-{:02}-{name}.png", self.step)), png).unwrap();
    }

    async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    }

    /// Clicks a form's button and waits until the page it leads to shows `expect`.
    async fn submit(&self, css: &str, expect: &str) -> String {
        let before = self.client.find(Locator::Css("body")).await.unwrap();
        self.click(css).await;
        // The old page goes stale once the browser has navigated.
        for _ in 0..400 {
            if before.text().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let page = self.page().await;
        assert!(page.contains(expect), "after {css}: expected {expect:?} in {page}");
        page
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Signs in through the login form (after signing out whoever was signed in).
    async fn sign_in(&self, name: &str) {
        self.client.delete_all_cookies().await.unwrap();
        self.go("/login").await;
        self.type_into("input[name=name]", name).await;
        self.type_into("input[name=password]", PASSWORD).await;
        self.submit("form[action='/login'] button[type=submit]", "action=\"/logout\"").await;
    }

    /// Sets form fields by name as typing would (radio buttons by value).
    async fn fill(&self, pairs: &[(String, String)]) {
        let script = "const [pairs] = arguments; for (const [name, value] of pairs) { \
            const fields = document.getElementsByName(name); \
            for (const f of fields) { if (f.type === 'radio') { f.checked = f.value === value; } else { f.value = value; } } }";
        self.client.execute(script, vec![json!(pairs)]).await.unwrap();
    }

    /// axe-core on the current page: the violations (rule, impact, nodes).
    async fn accessibility(&self, axe: &str) -> Vec<Value> {
        self.client.execute(axe, vec![]).await.unwrap();
        let run = "const done = arguments[arguments.length - 1]; \
            axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }) \
              .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')) })))) \
              .catch(e => done([{ id: 'axe-error', impact: 'critical', nodes: [String(e)] }]));";
        match self.client.execute_async(run, vec![]).await.unwrap() {
            Value::Array(v) => v,
            other => panic!("axe answered {other}"),
        }
    }

    async fn assert_accessible(&self, axe: &str, what: &str) {
        let violations = self.accessibility(axe).await;
        let blocking: Vec<&Value> = violations
            .iter()
            .filter(|v| v["impact"] == "critical" || v["id"] == "label" || v["id"] == "color-contrast")
            .collect();
        assert!(blocking.is_empty(), "{what}: {blocking:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_main_journeys_in_chromium() {
    let axe_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(axe_path).expect("axe-core (scripts/test.sh runs npm ci in tests/browser)");
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path()).await;
    let mut j = Journey { client, base: app.base.clone(), step: 0 };

    // The public home page and the login form.
    j.go("/").await;
    j.shot("home").await;
    j.assert_accessible(&axe, "home").await;
    j.go("/login").await;
    j.assert_accessible(&axe, "login").await;

    // A unit applies, first with most of the form empty, then complete.
    j.sign_in("清丰县人民政府.政务").await;
    j.assert_accessible(&axe, "portal").await;
    j.go("/applications/new").await;
    j.type_into("input[name=unit_name]", "清丰县人民政府办公室").await;
    let page = j.submit("button[name=action][value=submit]", "class=\"error\"").await;
    assert!(page.contains("清丰县人民政府办公室"), "what was typed is kept");
    j.shot("apply-with-errors").await;
    j.fill(&input_pairs(&valid_input())).await;
    j.submit("button[name=action][value=submit]", "已提交").await;
    j.shot("submitted").await;
    let url = j.client.current_url().await.unwrap();
    let id: i64 = url.path().trim_start_matches("/applications/").parse().unwrap_or_else(|_| panic!("{url}"));
    let application = format!("/applications/{id}");

    // The county office rejects: first without a reason, then with one.
    j.sign_in("清丰县编办.政务").await;
    j.go(&application).await;
    j.submit("form[action$='/review'] button[value=reject]", "role=\"alert\"").await;
    j.shot("reject-without-reason").await;
    j.type_into("form[action$='/review'] textarea[name=reason]", "网站名称与单位名称不符，请核实").await;
    j.submit("form[action$='/review'] button[value=reject]", "已退回单位").await;
    j.shot("rejected").await;

    // The unit reads the reason at the top of its application and resubmits.
    j.sign_in("清丰县人民政府.政务").await;
    j.go(&application).await;
    assert!(j.page().await.contains("网站名称与单位名称不符，请核实"));
    j.shot("unit-sees-the-reason").await;
    j.submit("form[action$='/submit'] button[type=submit]", "已提交").await;

    // Four levels approve.
    for office in ["清丰县编办.政务", "濮阳市编办.政务", "河南省编办.政务", "中央编办.政务"]
    {
        j.sign_in(office).await;
        j.go(&application).await;
        // Each of the four review items is ticked before approving.
        for key in ["qualification", "contacts", "site_name", "domain"] {
            j.click(&format!("form[action$='/review'] input[name='checklist.{key}']")).await;
        }
        j.submit("form[action$='/review'] button[value=approve]", "已通过").await;
        j.shot(&format!("approved-{}", office.trim_end_matches(".政务"))).await;
    }

    // The paper: received, confirmed; the badge is issued and its notice recorded.
    j.sign_in("清丰县编办.政务").await;
    j.go(&application).await;
    for key in ["letter", "form", "id_copy", "credit_certificate"] {
        j.click(&format!("form[action$='/paper'] input[name='checklist.{key}']")).await;
    }
    j.submit("form[action$='/paper'] button[value=receive]", "已接收书面材料").await;
    let page = j.submit("form[action$='/paper'] button[value=confirm]", "网站标识已发放").await;
    assert!(page.contains("通知记录"), "issued, with its notices");
    j.shot("issued").await;
    let code = app.badge_code_of(id).await;

    // The unit installs the snippet; a visitor clicks the badge on the genuine site and on a
    // copy of it under another host, and the verification page tells them apart.
    j.client.delete_all_cookies().await.unwrap();
    let badge = govbadge::domain::badge::BadgeCode::parse(&code).unwrap();
    let snippet = govbadge::badge::snippet::install_snippet(&app.base, &badge);
    let site_port = serve_site_page(snippet).await;
    for (host, warned) in [("www.qingfeng.gov.cn", false), ("copycat.example", true)] {
        j.client.goto(&format!("http://{host}:{site_port}/")).await.unwrap();
        j.shot(&format!("badge-on-{host}")).await;
        let home = j.client.window().await.unwrap();
        j.click("a[href*='/verify/']").await;
        let mut opened = None;
        for _ in 0..400 {
            let windows = j.client.windows().await.unwrap();
            if let Some(w) = windows.into_iter().find(|w| *w != home) {
                opened = Some(w);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        j.client.switch_to_window(opened.expect("the badge opens the verification page")).await.unwrap();
        let mut page = j.page().await;
        for _ in 0..400 {
            if page.contains("清丰县人民政府网") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            page = j.page().await;
        }
        assert!(page.contains("清丰县人民政府网"), "{host}: {page}");
        assert_eq!(page.contains("copycat.example"), warned, "{host}: the warning names the other host");
        j.shot(&format!("verify-from-{host}")).await;
        if !warned {
            j.assert_accessible(&axe, "verification page").await;
        }
        j.client.close_window().await.unwrap();
        j.client.switch_to_window(home).await.unwrap();
    }

    // The supervisor's dashboard and the admin's accounts and notices.
    j.sign_in("濮阳市监督.政务").await;
    j.go("/dashboard").await;
    assert!(j.page().await.contains("监督看板"));
    j.shot("dashboard").await;
    j.sign_in("admin").await;
    j.go("/admin/accounts").await;
    // The new-account form's region picker: every division, fetched by the portal's script when
    // the field is first focused (they are not carried in the page).
    let offered = "return document.querySelectorAll('#region-list option').length;";
    assert_eq!(j.client.execute(offered, vec![]).await.unwrap(), json!(0), "nothing before the field is used");
    j.click("input[name=region][list=region-list]").await;
    let mut count = json!(0);
    for _ in 0..100 {
        count = j.client.execute(offered, vec![]).await.unwrap();
        if count.as_u64().unwrap_or(0) > 3000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(count.as_u64().unwrap_or(0) > 3000, "divisions offered after focus: {count}");
    let has = "return !!document.querySelector('#region-list option[value=\"清丰县（410922）\"]');";
    assert_eq!(j.client.execute(has, vec![]).await.unwrap(), json!(true));
    j.type_into("input[name=region][list=region-list]", "清丰").await;
    j.shot("admin-accounts").await;
    j.go("/admin/outbox").await;
    assert!(j.page().await.contains("网站标识代码"));
    j.shot("admin-outbox").await;
    j.client.close().await.unwrap();
}
