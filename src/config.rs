//! Typed settings from `config.toml`, overridden by `GOVBADGE_<SECTION>__<KEY>` environment
//! variables. Unknown keys, in the file or the environment, are errors that name the key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::region::{Level, RegionCode};

/// The whole configuration: `config.toml`, then `GOVBADGE_SECTION__KEY` variables over it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listening address, cookies, proxies.
    pub server: ServerConfig,
    /// Where the data lives.
    pub database: DatabaseConfig,
    /// Review levels and deadlines.
    pub workflow: WorkflowConfig,
    /// Which domain names each category of website may use (`[[domain_policy.rules]]`).
    pub domain_policy: crate::domain::domain_policy::DomainPolicy,
    /// Login limits and sessions.
    pub auth: AuthConfig,
    /// The public badge service.
    pub badge: BadgeConfig,
    /// E-mail notices.
    pub mail: MailConfig,
    /// SMS notices.
    pub sms: SmsConfig,
    /// Delivery retries.
    pub outbox: OutboxConfig,
    /// The crawler's politeness and budgets.
    pub crawl: CrawlConfig,
    /// Units' own page checks.
    pub self_check: SelfCheckConfig,
    /// Enforcement notices.
    pub notices: NoticesConfig,
}

/// `[server]`: how the service listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port the service listens on.
    pub bind: SocketAddr,
    /// The address users reach the service at, for links in notices.
    pub public_base_url: BaseUrl,
    /// Mark session cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed.
    #[serde(deserialize_with = "ip_networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The bearer token `/metrics` is answered to; without one, `/metrics` does not exist.
    pub metrics_token: Option<String>,
    /// How long each instance reuses a dashboard view's counts before counting again (0: at
    /// every request). The page says when its figures were counted.
    pub dashboard_refresh_seconds: u64,
}

/// Addresses (`10.0.0.5`) or ranges (`10.0.0.0/8`) as networks.
fn ip_networks<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let items = Vec::<String>::deserialize(deserializer)?;
    items
        .iter()
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| serde::de::Error::custom(format!("`{item}` is not an address or CIDR range")))
        })
        .collect()
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: BaseUrl::parse("http://127.0.0.1:8080").expect("a URL"),
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            dashboard_refresh_seconds: 30,
        }
    }
}

/// `[database]`: where the data lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Database URL; empty means `sqlite://<data_dir>/govbadge.db`.
    pub url: String,
    /// Directory for the default database, created on first start.
    pub data_dir: PathBuf,
    /// Connections in the pool.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: String::new(), data_dir: PathBuf::from("var"), max_connections: 8 }
    }
}

impl DatabaseConfig {
    /// The URL to connect to, with the default file under `data_dir`.
    pub fn effective_url(&self) -> String {
        if self.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("govbadge.db").display())
        } else {
            self.url.clone()
        }
    }
}

/// `[workflow]`: the review chain and its deadlines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowConfig {
    /// The online review before 中央编办: `same_level` (the unit's own office, as the seed has
    /// it) or `every_level` (the `review_levels` from the unit's own up).
    pub review_chain: crate::domain::workflow::ChainKind,
    /// Provinces with a chain of their own: province code (e.g. `"410000"`) → chain.
    pub province_chains: std::collections::BTreeMap<String, crate::domain::workflow::ChainKind>,
    /// Local levels of an `every_level` chain, lowest first; 中央编办 always re-reviews last.
    pub review_levels: Vec<Level>,
    /// Working days for each online review step.
    pub online_review_days: u32,
    /// Working days for the review after the paper materials arrive.
    pub paper_review_days: u32,
    /// Working days the unit has to install the badge after the notice.
    pub install_days: u32,
    /// Copies of the letter and form to hand in.
    pub paper_copies: u32,
    /// The paper materials are filed with the provincial office (省编办备案) before the office
    /// confirms them.
    pub provincial_filing: bool,
    /// Region part of the badge codes of central bodies, which have no local region.
    pub central_region_code: RegionCode,
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        Self {
            review_chain: crate::domain::workflow::ChainKind::SameLevel,
            province_chains: std::collections::BTreeMap::new(),
            review_levels: vec![Level::County, Level::City, Level::Province],
            online_review_days: 5,
            paper_review_days: 10,
            install_days: 5,
            paper_copies: 4,
            provincial_filing: false,
            central_region_code: RegionCode::parse("100000").expect("a region code"),
        }
    }
}

/// `[auth]`: login limits and sessions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Failed logins per account within the window before the account is locked for it.
    pub max_failures_per_account: u32,
    /// Failed logins per client address within the window.
    pub max_failures_per_address: u32,
    /// The window, in minutes, over which failed logins are counted.
    pub failure_window_minutes: u64,
    /// How long a session lasts without signing in again.
    pub session_hours: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { max_failures_per_account: 5, max_failures_per_address: 20, failure_window_minutes: 15, session_hours: 8 }
    }
}

/// `[badge]`: the public badge service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BadgeConfig {
    /// Base URL of the badge service that snippets point to.
    pub base_url: BaseUrl,
    /// Mismatch beacons accepted per client address and minute (more are answered 429).
    pub beacons_per_minute: u32,
    /// How often each instance compares its badge snapshot with the database and reloads it
    /// if another instance changed a badge unannounced (on `PostgreSQL` changes are announced
    /// and followed at once; this catches a missed announcement).
    pub reconcile_seconds: u64,
}

impl Default for BadgeConfig {
    fn default() -> Self {
        Self {
            base_url: BaseUrl::parse("http://127.0.0.1:8080").expect("a URL"),
            beacons_per_minute: 30,
            reconcile_seconds: 60,
        }
    }
}

/// How to talk to the SMTP server.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (a local relay).
    None,
    /// SMTP upgraded with STARTTLS.
    Starttls,
    /// SMTP over TLS from the start (port 465).
    Tls,
}

/// `[mail]`: the SMTP server notices are sent through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Send e-mail (notices are recorded either way and sent when this is turned on).
    pub enabled: bool,
    /// SMTP server host.
    pub host: String,
    /// SMTP server port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// SMTP user name; empty for none.
    pub username: String,
    /// SMTP password.
    pub password: String,
    /// The `From` address.
    pub from: String,
    /// Time allowed for one message, connection included.
    pub timeout_seconds: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            host: "127.0.0.1".into(),
            port: 25,
            tls: SmtpTls::None,
            username: String::new(),
            password: String::new(),
            from: "党政机关网站标识管理 <noreply@govbadge.invalid>".into(),
            timeout_seconds: 20,
        }
    }
}

/// `[sms]`: the SMS gateway, reached over HTTP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// Send SMS (notices are recorded either way and sent when this is turned on).
    pub enabled: bool,
    /// The gateway's HTTP endpoint; the body is `POSTed` as JSON.
    pub url: String,
    /// API key, substituted for `{key}` in the body and sent as a Bearer token.
    pub key: String,
    /// The JSON body; string values `{phone}`, `{message}` and `{key}` are replaced.
    pub body: toml::Table,
    /// Time allowed for one gateway call.
    pub timeout_seconds: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        let mut body = toml::Table::new();
        body.insert("mobile".into(), "{phone}".into());
        body.insert("content".into(), "{message}".into());
        Self { enabled: false, url: String::new(), key: String::new(), body, timeout_seconds: 20 }
    }
}

/// `[outbox]`: how notices are retried.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// How often the sender looks for due messages when nothing wakes it.
    pub poll_seconds: u64,
    /// First retry delay; doubles with each failure, capped at `max_backoff_seconds`.
    pub backoff_seconds: u64,
    /// The longest delay between retries.
    pub max_backoff_seconds: u64,
    /// Attempts before a message is parked as failed (kept, visible to admins).
    pub max_attempts: u32,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self { poll_seconds: 10, backoff_seconds: 30, max_backoff_seconds: 3600, max_attempts: 12 }
    }
}

/// `[crawl]`: the crawler's politeness and budgets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrawlConfig {
    /// The User-Agent sent with every request, and the name matched in robots.txt.
    pub user_agent: String,
    /// Requests per second to one host (a robots.txt Crawl-delay can only slow it down).
    pub per_host_rate: f64,
    /// Requests in flight to one host.
    pub per_host_concurrency: usize,
    /// Requests per second to one IP address, whatever the host: many sites often sit behind
    /// one platform's address.
    pub per_ip_rate: f64,
    /// Requests in flight to one IP address.
    pub per_ip_concurrency: usize,
    /// Requests in flight in all.
    pub global_concurrency: usize,
    /// Time allowed to connect (TCP and TLS).
    pub connect_timeout_seconds: u64,
    /// Whole request, headers and body.
    pub request_timeout_seconds: u64,
    /// Body cap in bytes, counted after decompression.
    pub max_body_bytes: usize,
    /// Redirects followed for one URL.
    pub max_redirects: usize,
    /// URLs fetched per site in a crawl or sweep.
    pub max_pages_per_site: usize,
    /// Time budget of one site in a crawl, sweep or check: past it the site's results are
    /// partial (outcome `site_timeout`), however slow the site or long its Crawl-delay.
    pub max_site_seconds: u64,
    /// Links followed from the start page (0: the start page only).
    pub max_depth: usize,
    /// Longer URLs are skipped (crawler traps grow them).
    pub max_url_length: usize,
    /// Respect robots.txt (supervisors may turn it off for their own sites).
    pub respect_robots: bool,
    /// Check pages behind expired or invalid certificates (the certificate is still reported).
    pub check_invalid_certificates: bool,
    /// Retries of a 429 or 503 answer, honouring Retry-After up to `max_retry_after_seconds`.
    pub max_retries: u32,
    /// The longest Retry-After honoured; a longer one ends the URL's retries.
    pub max_retry_after_seconds: u64,
    /// Allow fetching private, loopback and link-local addresses (tests and lab set-ups only).
    pub allow_private_addresses: bool,
    /// Host names mapped to fixed addresses, e.g. { "www.example.gov.cn" = "127.0.0.1:8081" }.
    pub resolve: std::collections::BTreeMap<String, SocketAddr>,
    /// Sites crawled at once in a sweep.
    pub sweep_site_concurrency: usize,
    /// Scheme of a site's start URL (`http` lets the site redirect to https itself).
    pub seed_scheme: String,
    /// Working days before the install deadline on which the server runs reminder checks, besides
    /// the deadline day itself (e.g. `[2]` for two working days before).
    pub reminder_check_days: Vec<u32>,
    /// Pages a scheduled check of a site looks at.
    pub scheduled_check_pages: usize,
    /// How often the server looks for scheduled checks that are due; 0 turns the scheduled
    /// rounds (checks and enforcement notices) off in this instance.
    pub schedule_poll_minutes: u64,
    /// When pages are also loaded in headless chromium and the badge judged as seen:
    /// `never`, `when_needed` (static verdict `missing` or `hidden` on a page with scripts) or
    /// `always`.
    pub render: crate::render::RenderMode,
    /// The browser run for rendered checks (Debian's chromium).
    pub render_browser: PathBuf,
    /// Browser tabs open at once for rendered checks.
    pub render_tabs: usize,
    /// Time budget of one page's rendered check, load and scripts included.
    pub render_page_seconds: u64,
    /// The JavaScript heap of a rendered page, in MiB (a page past it is stopped).
    pub render_memory_mb: u64,
    /// Screenshots kept per site of a sweep (of non-compliant rendered pages).
    pub render_screenshots_per_site: usize,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!("govbadge-checker/", env!("CARGO_PKG_VERSION")).into(),
            per_host_rate: 1.0,
            per_host_concurrency: 2,
            per_ip_rate: 10.0,
            per_ip_concurrency: 8,
            global_concurrency: 256,
            connect_timeout_seconds: 10,
            request_timeout_seconds: 30,
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            max_pages_per_site: 1000,
            max_site_seconds: 1800,
            max_depth: 10,
            max_url_length: 2048,
            respect_robots: true,
            check_invalid_certificates: true,
            max_retries: 2,
            max_retry_after_seconds: 60,
            allow_private_addresses: false,
            resolve: Default::default(),
            sweep_site_concurrency: 32,
            seed_scheme: "http".into(),
            reminder_check_days: vec![2],
            scheduled_check_pages: 50,
            schedule_poll_minutes: 10,
            render: crate::render::RenderMode::WhenNeeded,
            render_browser: PathBuf::from("/usr/bin/chromium"),
            render_tabs: 2,
            render_page_seconds: 20,
            render_memory_mb: 256,
            render_screenshots_per_site: 50,
        }
    }
}

/// The units' own checks from the portal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelfCheckConfig {
    /// "Check my page" runs per unit per hour.
    pub page_checks_per_hour: u32,
    /// "Check my whole site" runs per unit per day.
    pub site_checks_per_day: u32,
    /// Pages a whole-site self-check looks at.
    pub site_check_pages: usize,
}

impl Default for SelfCheckConfig {
    fn default() -> Self {
        Self { page_checks_per_hour: 30, site_checks_per_day: 5, site_check_pages: 200 }
    }
}

/// Enforcement notices to units and supervisors, sent through the outbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticesConfig {
    /// Send enforcement reminders, overdue notices and supervisors' digests.
    pub enabled: bool,
    /// Remind a unit whose site is not yet compliant this many working days before its deadline.
    pub reminder_working_days: u32,
}

impl Default for NoticesConfig {
    fn default() -> Self {
        Self { enabled: true, reminder_working_days: 2 }
    }
}

/// An http(s) base URL, parsed once when the configuration is read. `as_str` (and the `str`
/// it dereferences to) has no trailing slash, ready for `format!("{base}/verify/{code}")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: url::Url,
    text: String,
}

impl BaseUrl {
    /// Parses an http(s) URL with a host; the trailing slash is dropped.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("`{text}` is not an http(s) URL with a host"));
        }
        let text = url.as_str().trim_end_matches('/').to_owned();
        Ok(Self { url, text })
    }

    /// The URL without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }
}

impl std::ops::Deref for BaseUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::parse(text)
    }
}

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

const ENV_PREFIX: &str = "GOVBADGE_";

/// Variables of the `GOVBADGE_` prefix that are not settings: the configuration file's path
/// (read by the command line) and the log format.
const RESERVED_ENV: [&str; 2] = ["GOVBADGE_CONFIG", "GOVBADGE_LOG_FORMAT"];

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A value is malformed; `origin` names the file or variable.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file or variable.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Loads `path` (if it exists; else the defaults) and applies environment overrides.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ConfigError::Read { path: path.to_owned(), source }),
        };
        Self::from_toml_and_env(&text, &path.display().to_string(), std::env::vars())
    }

    /// Parses TOML text, then applies `GOVBADGE_SECTION__KEY=value` overrides from `env`.
    pub fn from_toml_and_env(
        text: &str,
        origin: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let invalid = |origin: &str, message: String| ConfigError::Invalid { origin: origin.to_owned(), message };
        let mut table: toml::Table = toml::from_str(text).map_err(|e| invalid(origin, e.to_string()))?;
        for (name, value) in env {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if RESERVED_ENV.contains(&name.as_str()) {
                continue;
            }
            let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
            if keys.len() != 2 || keys.iter().any(String::is_empty) {
                return Err(invalid(&name, "expected GOVBADGE_<SECTION>__<KEY>".into()));
            }
            let section = table.entry(keys[0].clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(section) = section.as_table_mut() else {
                return Err(invalid(&name, format!("`{}` is not a section", keys[0])));
            };
            section.insert(keys[1].clone(), env_value(&value));
        }
        let config: Config =
            toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| invalid(origin, e.to_string()))?;
        config.check().map_err(|m| invalid(origin, m))?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        if self.workflow.review_levels.contains(&Level::Central) {
            return Err("workflow.review_levels lists local levels only; the central re-review is always last".into());
        }
        if let Some(bad) = self
            .workflow
            .province_chains
            .keys()
            .find(|code| RegionCode::parse(code).map_or(true, |r| r.level() != Level::Province))
        {
            return Err(format!("workflow.province_chains: `{bad}` is not a province code such as \"410000\""));
        }
        if self.workflow.paper_copies == 0 || self.workflow.paper_copies > 10 {
            return Err("workflow.paper_copies must be between 1 and 10".into());
        }
        if self.badge.reconcile_seconds == 0 {
            return Err("badge.reconcile_seconds must be at least 1".into());
        }
        if self.crawl.max_site_seconds == 0 {
            return Err("crawl.max_site_seconds must be at least 1".into());
        }
        if self.outbox.max_attempts == 0 {
            return Err("outbox.max_attempts must be at least 1".into());
        }
        if !(self.crawl.per_host_rate > 0.0 && self.crawl.per_host_rate.is_finite()) {
            return Err("crawl.per_host_rate must be a positive number".into());
        }
        if !(self.crawl.per_ip_rate > 0.0 && self.crawl.per_ip_rate.is_finite()) {
            return Err("crawl.per_ip_rate must be a positive number".into());
        }
        if !matches!(self.crawl.seed_scheme.as_str(), "http" | "https") {
            return Err("crawl.seed_scheme must be http or https".into());
        }
        if self.crawl.per_host_concurrency == 0
            || self.crawl.per_ip_concurrency == 0
            || self.crawl.global_concurrency == 0
            || self.crawl.sweep_site_concurrency == 0
        {
            return Err("crawl concurrency limits must be at least 1".into());
        }
        if self.sms.enabled && self.sms.url.is_empty() {
            return Err("sms.url is required when sms.enabled is true".into());
        }
        Ok(())
    }
}

/// An environment value as TOML (numbers, booleans, arrays), or else as a plain string.
fn env_value(raw: &str) -> toml::Value {
    let probe = format!("v = {raw}");
    match toml::from_str::<toml::Table>(&probe) {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}
