//! Test helpers: a real govbadge on port 0 with a fresh database, browser-like clients with
//! cookies and CSRF tokens, bearer-token API clients, a real SMTP server and a recording SMS
//! gateway.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use govbadge::config::Config;
use govbadge::domain::account::Role;
use govbadge::domain::application::ApplicationInput;
use govbadge::domain::region::{Level, RegionCode};
use govbadge::service::Context;
use govbadge::store::accounts::{self, NewAccount};
use serde_json::Value;
use tokio::net::TcpListener;

pub const PASSWORD: &str = "correct horse battery";

/// One argon2 hash per test process: hashing is deliberately slow.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        argon2::Argon2::default()
            .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string()
    })
}

pub struct TestApp {
    pub base: String,
    pub ctx: Context,
    _dir: tempfile::TempDir,
}

/// Starts the service with the test defaults (it is its own badge service), adjusted by
/// `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = super::database::fresh_database_url(dir.path(), "test.db").await;
    spawn_app_on(dir, url, configure).await
}

/// Starts another instance of the service on the database at `url` (with its own directory
/// `dir`), as a second instance behind a load balancer would run.
pub async fn spawn_app_on(dir: tempfile::TempDir, url: String, configure: impl FnOnce(&mut Config)) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::default();
    config.database.url = url;
    config.server.public_base_url = format!("http://{addr}").parse().unwrap();
    config.badge.base_url = format!("http://{addr}").parse().unwrap();
    config.outbox.poll_seconds = 1;
    config.outbox.backoff_seconds = 1;
    config.outbox.max_backoff_seconds = 1;
    // The cast exercises the longest chain (county → city → province → central); tests of the
    // seed's default chain (own level → central) set it back.
    config.workflow.review_chain = govbadge::domain::workflow::ChainKind::EveryLevel;
    // The browser is started only by the tests of the rendered check (tests/api/render_check.rs).
    config.crawl.render = govbadge::render::RenderMode::Never;
    // Every test site is served on 127.0.0.1: paced per address, they would all wait for each
    // other (the politeness per address has tests of its own).
    config.crawl.per_ip_rate = 1000.0;
    // Dashboards counted afresh at every request: tests look at them right after writing.
    config.server.dashboard_refresh_seconds = 0;
    configure(&mut config);
    let ctx = govbadge::app::build(config).await.unwrap();
    tokio::spawn(govbadge::app::run_on(ctx.clone(), listener, false));
    TestApp { base: format!("http://{addr}"), ctx, _dir: dir }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl TestApp {
    pub async fn account(&self, name: &str, role: Role, level: Option<Level>, region: Option<&str>) -> i64 {
        self.account_with_contact(name, role, level, region, "", "").await
    }

    /// An account with an e-mail address and a mobile number for notices.
    pub async fn account_with_contact(
        &self,
        name: &str,
        role: Role,
        level: Option<Level>,
        region: Option<&str>,
        email: &str,
        mobile: &str,
    ) -> i64 {
        let region = region.map(|r| RegionCode::parse(r).unwrap());
        let new = NewAccount {
            name,
            display_name: name,
            role,
            level,
            region: region.as_ref(),
            password_hash: password_hash(),
            email,
            mobile,
        };
        accounts::create(&self.ctx.pool, &new, Utc::now()).await.unwrap()
    }

    /// The standard cast: a county unit (410922) and everyone around it, by account name.
    pub async fn cast(&self) {
        let cast: [(&str, Role, Option<Level>, Option<&str>); 11] = [
            ("清丰县人民政府.政务", Role::Unit, Some(Level::County), Some("410922")),
            ("南乐县教育局.政务", Role::Unit, Some(Level::County), Some("410923")),
            ("清丰县编办.政务", Role::Reviewer, Some(Level::County), Some("410922")),
            ("清丰县编办二.政务", Role::Reviewer, Some(Level::County), Some("410922")),
            ("南乐县编办.政务", Role::Reviewer, Some(Level::County), Some("410923")),
            ("濮阳市编办.政务", Role::Reviewer, Some(Level::City), Some("410900")),
            ("安阳市编办.政务", Role::Reviewer, Some(Level::City), Some("410500")),
            ("河南省编办.政务", Role::Reviewer, Some(Level::Province), Some("410000")),
            ("中央编办.政务", Role::Reviewer, Some(Level::Central), None),
            ("濮阳市监督.政务", Role::Supervisor, Some(Level::City), Some("410900")),
            ("admin", Role::Admin, None, None),
        ];
        for (name, role, level, region) in cast {
            self.account(name, role, level, region).await;
        }
    }

    pub async fn browser(&self, name: &str) -> Browser {
        let b = Browser::anonymous(&self.base);
        b.login(name).await;
        b
    }

    pub async fn api(&self, name: &str) -> Api {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&serde_json::json!({ "name": name, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "API login of {name}");
        let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        Api { base: self.base.clone(), client, token }
    }

    pub async fn state_of(&self, id: i64) -> String {
        govbadge::on_pool!(&self.ctx.pool, p => sqlx::query_scalar("SELECT state FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(p).await)
        .unwrap()
    }

    pub async fn badge_code_of(&self, id: i64) -> String {
        govbadge::on_pool!(&self.ctx.pool, p => sqlx::query_scalar("SELECT badge_code FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(p).await)
        .unwrap()
    }

    pub async fn version_of(&self, id: i64) -> i64 {
        govbadge::on_pool!(&self.ctx.pool, p => sqlx::query_scalar("SELECT version FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(p).await)
        .unwrap()
    }

    pub async fn count(&self, table: &str) -> i64 {
        govbadge::on_pool!(&self.ctx.pool, p => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(p).await).unwrap()
    }
}

/// A complete, valid application of the county unit.
pub fn valid_input() -> ApplicationInput {
    ApplicationInput {
        kind: "new".into(),
        unit_name: "清丰县人民政府办公室".into(),
        parent_unit: "清丰县人民政府".into(),
        unit_functions: "负责县政府日常运转。".into(),
        category: "政府".into(),
        address: "河南省濮阳市清丰县中州西路1号".into(),
        postcode: "457300".into(),
        site_name: "清丰县人民政府网".into(),
        site_intro: "发布政务信息。".into(),
        domain_cn: "清丰县人民政府.政务".into(),
        domain_en: "www.qingfeng.gov.cn".into(),
        ips: "203.0.113.10, 2001:db8::10".into(),
        principal_name: "王建国".into(),
        principal_phone: "0393-7221234".into(),
        principal_mobile: "13903931001".into(),
        principal_email: "fzr@qingfeng.gov.cn".into(),
        handler_name: "李晓梅".into(),
        handler_phone: "0393-7221235".into(),
        handler_mobile: "13803932001".into(),
        handler_email: "jbr@qingfeng.gov.cn".into(),
        handler_id_number: "11010519491231002X".into(),
        credit_code: "91350100M000100Y43".into(),
        recheck_code: String::new(),
    }
}

pub fn input_pairs(input: &ApplicationInput) -> Vec<(String, String)> {
    let value = serde_json::to_value(input).unwrap();
    value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
}

/// A cookie-keeping client that fills in CSRF tokens the way a browser submits forms.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

/// Undoes the HTML escaping of text and attribute values.
pub fn html_unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl Browser {
    pub fn anonymous(base: &str) -> Self {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: base.to_owned(), client }
    }

    pub async fn login(&self, name: &str) {
        let r = self.try_login(name, PASSWORD).await;
        assert_eq!(r.status(), 303, "login of {name}");
    }

    pub async fn try_login(&self, name: &str, password: &str) -> reqwest::Response {
        let page = self.get("/login").await.text().await.unwrap();
        let csrf = extract_csrf(&page).expect("login form has a token");
        self.client
            .post(format!("{}/login", self.base))
            .form(&[("name", name), ("password", password), ("csrf", &csrf)])
            .send()
            .await
            .unwrap()
    }

    /// Posts a multipart form with one file, as a browser's file upload does.
    pub async fn post_file(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text((*k).to_owned(), (*v).to_owned());
        }
        form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()));
        self.client.post(format!("{}{path}", self.base)).multipart(form).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    pub async fn text(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.unwrap()
    }

    /// The session's CSRF token, read from a page as a browser would have it (none when
    /// signed out).
    pub async fn csrf(&self) -> String {
        let page = self.get("/").await.text().await.unwrap();
        extract_csrf(&page).unwrap_or_default()
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf", &csrf));
        self.client.post(format!("{}{path}", self.base)).form(&body).send().await.unwrap()
    }

    /// Posts exactly these fields (a sessionless form carries its own token).
    pub async fn post_raw(&self, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
        self.client.post(format!("{}{path}", self.base)).form(pairs).send().await.unwrap()
    }

    pub async fn post_pairs(&self, path: &str, pairs: Vec<(String, String)>) -> reqwest::Response {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post(path, &refs).await
    }

    /// Creates (and optionally submits) an application through the form; returns its id.
    pub async fn create_application(&self, input: &ApplicationInput, submit: bool) -> i64 {
        let mut pairs = input_pairs(input);
        pairs.push(("action".into(), if submit { "submit" } else { "save" }.into()));
        let r = self.post_pairs("/applications", pairs).await;
        assert_eq!(r.status(), 303, "create: {}", r.text().await.unwrap_or_default());
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        location.split('?').next().unwrap().rsplit('/').next().unwrap().parse().unwrap()
    }
}

/// A bearer-token API client.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
}

impl Api {
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let value = r.json::<Value>().await.unwrap_or(Value::Null);
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Takes a review or paper step at the application's current version.
    /// A review or paper step at the application's current version, as a reviewer who
    /// checked every item of the step's checklist.
    pub async fn step(&self, id: i64, kind: &str, decision: &str, reason: &str) -> (u16, Value) {
        let (_, app) = self.get(&format!("/api/v1/applications/{id}")).await;
        let version = app["version"].as_i64().unwrap_or(0);
        let checklist = all_checklist_keys();
        self.post(
            &format!("/api/v1/applications/{id}/{kind}"),
            serde_json::json!({ "version": version, "decision": decision, "reason": reason, "checklist": checklist }),
        )
        .await
    }
}

/// A real SMTP server (aiosmtpd) writing what it receives to a file.
pub struct SmtpSink {
    pub port: u16,
    path: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

/// Polls `ready` every 10 ms until it holds; panics naming `what` once `within` has passed.
pub async fn wait_until(what: &str, within: Duration, mut ready: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !ready().await {
        assert!(std::time::Instant::now() < deadline, "waited {within:?} for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpSink {
    pub fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.jsonl");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (see README) runs the test SMTP server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "READY", "SMTP sink did not start");
        Self { port, path, child, _dir: dir }
    }

    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    pub fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits until `n` messages have arrived (or fails after 20 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} mails, got {:?}", self.messages());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes a mail's MIME text: lettre sends UTF-8 bodies base64 or quoted-printable encoded.
pub fn mail_text(raw: &str) -> String {
    let Some((headers, body)) = raw.split_once("\r\n\r\n").or_else(|| raw.split_once("\n\n")) else {
        return raw.to_owned();
    };
    let lower = headers.to_ascii_lowercase();
    if lower.contains("content-transfer-encoding: base64") {
        use base64::Engine;
        let joined: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD.decode(joined).unwrap();
        return String::from_utf8(bytes).unwrap();
    }
    if lower.contains("content-transfer-encoding: quoted-printable") {
        let mut out = Vec::new();
        let unfolded = body.replace("=\r\n", "").replace("=\n", "");
        let bytes = unfolded.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        return String::from_utf8(out).unwrap();
    }
    body.to_owned()
}

/// One request the SMS gateway got: its Authorization header and JSON body.
pub type RecordedSms = (Option<String>, Value);

/// A stand-in SMS gateway: a real HTTP server that records every JSON body and can be told to
/// fail the first requests.
#[derive(Clone)]
pub struct SmsGateway {
    pub url: String,
    pub received: Arc<Mutex<Vec<RecordedSms>>>,
}

impl SmsGateway {
    pub async fn start(fail_first: usize) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let fail = Arc::new(Mutex::new(fail_first));
        let (r, f) = (received.clone(), fail);
        let app = Router::new().route(
            "/send",
            post(move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
                let (r, f) = (r.clone(), f.clone());
                async move {
                    {
                        let mut left = f.lock().unwrap();
                        if *left > 0 {
                            *left -= 1;
                            return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy");
                        }
                    }
                    let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned());
                    r.lock().unwrap().push((auth, body));
                    (axum::http::StatusCode::OK, "ok")
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url: format!("http://{addr}/send"), received }
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.received.lock().unwrap().iter().map(|(_, b)| b.clone()).collect()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let b = self.bodies();
            if b.len() >= n {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} SMS, got {:?}", self.bodies());
    }
}

/// Configures mail to `smtp_port` and SMS to `sms_url`.
pub fn with_notifications(config: &mut Config, smtp_port: u16, sms_url: &str) {
    config.mail.enabled = true;
    config.mail.host = "127.0.0.1".into();
    config.mail.port = smtp_port;
    config.sms.enabled = true;
    config.sms.url = sms_url.to_owned();
    config.sms.key = "test-key".into();
}

/// Takes the standard county unit's application through every step; returns the badge code.
/// (Needs `cast()` first.)
pub async fn issued_badge(app: &TestApp, input: ApplicationInput) -> String {
    let owner = app.api("清丰县人民政府.政务").await;
    let mut body = serde_json::to_value(input).unwrap();
    body["submit"] = serde_json::json!(true);
    let (status, created) = owner.post("/api/v1/applications", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    for r in ["清丰县编办.政务", "濮阳市编办.政务", "河南省编办.政务", "中央编办.政务"] {
        assert_eq!(app.api(r).await.step(id, "review", "approve", "").await.0, 200);
    }
    let county = app.api("清丰县编办.政务").await;
    county.step(id, "paper", "receive", "").await;
    let (_, issued) = county.step(id, "paper", "confirm", "").await;
    issued["badge_code"].as_str().unwrap().to_owned()
}

/// Every key of the review and paper checklists.
pub fn all_checklist_keys() -> Vec<&'static str> {
    use govbadge::domain::workflow::{PAPER_CHECKLIST, REVIEW_CHECKLIST};
    REVIEW_CHECKLIST.iter().chain(PAPER_CHECKLIST.iter()).map(|(key, _)| *key).collect()
}

/// The checklist boxes of a page form, all ticked.
pub fn all_checklist_fields() -> Vec<(String, String)> {
    all_checklist_keys().into_iter().map(|key| (format!("checklist.{key}"), "1".to_owned())).collect()
}
