//! Fetching one URL: redirects followed by hand (counted, loops detected), a body cap counted
//! after decompression, only HTML read in full, every failure an outcome rather than an error.
//! Addresses are checked before connecting: private, loopback and link-local ones are refused
//! unless the configuration allows them.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Serialize;
use url::Url;

use super::politeness::{Limits, PaceLedger, Pass, Politeness};
use crate::config::CrawlConfig;

/// Why a fetch produced no page to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Failure {
    /// No answer within the request timeout.
    Timeout,
    /// The name does not resolve.
    Dns,
    /// The TLS handshake or certificate failed.
    Tls,
    /// The connection was refused or reset.
    Connect,
    /// The body was over `crawl.max_body_bytes` (after decompression).
    TooLarge,
    /// Too many redirects, or a redirect back to a URL already seen.
    RedirectLoop,
    /// Not an HTML page.
    NotHtml,
    /// robots.txt disallows the URL.
    RobotsDisallowed,
    /// An HTTP error status.
    HttpError,
    /// The host resolves to a private, loopback or link-local address.
    BlockedAddress,
    /// The site's time budget ran out before this page was done.
    SiteTimeout,
}

crate::domain::words!(Failure);

impl Failure {
    /// How supervisors read the outcome.
    pub fn label(self) -> &'static str {
        match self {
            Failure::Timeout => "访问超时",
            Failure::Dns => "域名无法解析",
            Failure::Tls => "证书或加密连接错误",
            Failure::Connect => "无法连接",
            Failure::TooLarge => "页面过大",
            Failure::RedirectLoop => "重定向循环",
            Failure::NotHtml => "非网页内容",
            Failure::RobotsDisallowed => "robots.txt禁止访问",
            Failure::HttpError => "HTTP错误",
            Failure::BlockedAddress => "内网地址已拦截",
            Failure::SiteTimeout => "站点检查超时",
        }
    }

    /// What the site's operator should do about the failure, in Chinese.
    pub fn advice(self) -> &'static str {
        match self {
            Failure::Timeout => "访问超时",
            Failure::Dns => "域名无法解析",
            Failure::Tls => "HTTPS证书或加密连接有问题",
            Failure::Connect => "无法连接服务器",
            Failure::TooLarge => "页面过大",
            Failure::RedirectLoop => "跳转次数过多或循环跳转",
            Failure::NotHtml => "不是网页",
            Failure::RobotsDisallowed => "robots.txt 禁止访问",
            Failure::HttpError => "服务器返回错误状态",
            Failure::BlockedAddress => "域名指向内部网络地址，已拒绝访问",
            Failure::SiteTimeout => "网站响应过慢或要求的抓取间隔过长，在本站检查时限内未能检查此页",
        }
    }
}

/// A fetched HTML page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL after redirects.
    pub final_url: Url,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body, decompressed, at most `crawl.max_body_bytes`.
    pub body: Bytes,
    /// Set when the page was fetched despite an invalid certificate.
    pub certificate_problem: Option<String>,
}

/// The result of one fetch.
#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// An HTML page.
    Page(Page),
    /// The URL could not be fetched as a page.
    Failed {
        /// Why.
        failure: Failure,
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// The URL after the redirects followed.
        final_url: Url,
        /// The error chain's text.
        detail: String,
    },
    /// 429 or 503: try again after this long (from Retry-After, if given).
    RetryLater {
        /// The status answered (429 or 503).
        status: u16,
        /// The Retry-After delay, when the answer gave one.
        after: Option<Duration>,
    },
}

/// How long an idle connection to a host is kept for reuse.
const POOL_IDLE: Duration = Duration::from_secs(5);

/// The crawler's HTTP client: politeness, redirects checked against private addresses, bounded bodies.
#[derive(Clone)]
pub struct Fetcher {
    strict: reqwest::Client,
    lenient: reqwest::Client,
    config: Arc<CrawlConfig>,
    /// Every request, redirect hops included, waits its turn here.
    politeness: Arc<Politeness>,
    /// Where hosts are, for the politeness per address.
    addresses: Arc<AddressBook>,
}

impl Fetcher {
    /// Builds the client from the crawl configuration.
    pub fn new(config: &CrawlConfig) -> Result<Self, reqwest::Error> {
        Self::with_politeness(config, Politeness::new(politeness_limits(config)))
    }

    /// Builds the client with the pace shared through `ledger` (workers on several machines).
    pub fn shared(config: &CrawlConfig, ledger: Arc<dyn PaceLedger>) -> Result<Self, reqwest::Error> {
        Self::with_politeness(config, Politeness::shared(politeness_limits(config), ledger))
    }

    fn with_politeness(config: &CrawlConfig, politeness: Politeness) -> Result<Self, reqwest::Error> {
        let addresses = Arc::new(AddressBook::new(config));
        Ok(Self {
            strict: build_client(config, false, &addresses)?,
            lenient: build_client(config, true, &addresses)?,
            config: Arc::new(config.clone()),
            politeness: Arc::new(politeness),
            addresses,
        })
    }

    /// A fetcher for one site's crawl: the same settings and politeness, but connection pools
    /// of its own, dropped with it when the site is done. A sweep moving from site to site then
    /// holds the connections (and their buffers) of the sites in progress only, however many
    /// it has swept, instead of every host's idle connections until they time out. That goes
    /// for both clients: the lenient one reads every site's robots.txt and sitemaps, so shared,
    /// it kept an idle connection to each site swept in the last `POOL_IDLE` (5 s). (Should a new
    /// client fail to build, which only a broken TLS back end does, the shared one serves.)
    pub fn for_site(&self) -> Self {
        let own = |accept_invalid: bool, shared: &reqwest::Client| {
            build_client(&self.config, accept_invalid, &self.addresses).unwrap_or_else(|_| shared.clone())
        };
        Self { strict: own(false, &self.strict), lenient: own(true, &self.lenient), ..self.clone() }
    }

    /// The crawl configuration in use.
    pub fn config(&self) -> &CrawlConfig {
        &self.config
    }

    /// The per-host limits shared by every fetch.
    pub fn politeness(&self) -> &Politeness {
        &self.politeness
    }

    /// Sends one GET after waiting for the host's turn (`delay`: its robots.txt Crawl-delay).
    /// The answer comes with its [`Pass`]: keep it until the body is read. The caps on requests
    /// in flight (per host, per address, in all) then cover the body too, which on a slow
    /// server takes longer than the headers.
    async fn send(
        &self,
        client: &reqwest::Client,
        url: &Url,
        delay: Option<Duration>,
    ) -> reqwest::Result<(reqwest::Response, Pass)> {
        let host = url.host_str().unwrap_or_default();
        let ip = self.addresses.address_of(url).await;
        let pass = self.politeness.enter(host, ip, delay).await;
        let response = client.get(url.clone()).send().await?;
        Ok((response, pass))
    }

    /// Fetches `url`, following redirects. Only HTML bodies are read in full.
    pub async fn fetch(&self, url: &Url, delay: Option<Duration>) -> FetchOutcome {
        match self.fetch_with(&self.strict, url, delay).await {
            FetchOutcome::Failed { failure: Failure::Tls, detail, final_url, status }
                if self.config.check_invalid_certificates =>
            {
                match self.fetch_with(&self.lenient, url, delay).await {
                    FetchOutcome::Page(mut page) => {
                        page.certificate_problem = Some(detail);
                        FetchOutcome::Page(page)
                    }
                    FetchOutcome::Failed { failure: Failure::Tls, .. } => {
                        FetchOutcome::Failed { failure: Failure::Tls, status, final_url, detail }
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    /// Fetches a text resource (robots.txt, a sitemap), following redirects, and hands a 200
    /// answer's body to `consume` chunk by chunk until it returns false. Returns the final
    /// status, or `None` when nothing could be fetched or the body broke off.
    pub async fn stream_resource(
        &self,
        url: &Url,
        delay: Option<Duration>,
        mut consume: impl FnMut(&[u8]) -> bool,
    ) -> Option<u16> {
        let mut current = url.clone();
        for _ in 0..=self.config.max_redirects {
            if !self.address_allowed(&current) {
                return None;
            }
            // The pass is dropped at the end of each hop, before a redirect's next request.
            let (mut response, _pass) = self.send(&self.lenient, &current, delay).await.ok()?;
            let status = response.status();
            if status.is_redirection() {
                current = redirect_target(&current, &response)?;
                continue;
            }
            if status == StatusCode::OK {
                while let Some(chunk) = response.chunk().await.ok()? {
                    if !consume(&chunk) {
                        break;
                    }
                }
            }
            return Some(status.as_u16());
        }
        None
    }

    fn address_allowed(&self, url: &Url) -> bool {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.config.allow_private_addresses || is_public(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.config.allow_private_addresses || is_public(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => true,
            None => false,
        }
    }

    async fn fetch_with(&self, client: &reqwest::Client, url: &Url, delay: Option<Duration>) -> FetchOutcome {
        let mut current = url.clone();
        let mut chain = vec![current.clone()];
        loop {
            let failed = |failure, status, detail: String, at: &Url| FetchOutcome::Failed {
                failure,
                status,
                final_url: at.clone(),
                detail,
            };
            if !matches!(current.scheme(), "http" | "https") {
                return failed(Failure::NotHtml, None, format!("unsupported scheme {}", current.scheme()), &current);
            }
            if !self.address_allowed(&current) {
                return failed(Failure::BlockedAddress, None, "private address".into(), &current);
            }
            // Held until the body is read (or the hop ends: a redirect's next request waits for
            // a pass of its own, so it must not wait behind this one).
            let (response, _pass) = match self.send(client, &current, delay).await {
                Ok(sent) => sent,
                Err(e) => {
                    let (failure, detail) = classify(&e);
                    return failed(failure, None, detail, &current);
                }
            };
            let status = response.status();
            if status.is_redirection() && response.headers().contains_key(LOCATION) {
                let Some(next) = redirect_target(&current, &response) else {
                    return failed(Failure::HttpError, Some(status.as_u16()), "bad Location header".into(), &current);
                };
                if chain.contains(&next) || chain.len() > self.config.max_redirects {
                    return failed(
                        Failure::RedirectLoop,
                        Some(status.as_u16()),
                        format!("{} redirects", chain.len()),
                        &next,
                    );
                }
                chain.push(next.clone());
                current = next;
                continue;
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
                let after =
                    response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
                return FetchOutcome::RetryLater { status: status.as_u16(), after };
            }
            if !status.is_success() {
                return failed(Failure::HttpError, Some(status.as_u16()), status.to_string(), &current);
            }
            let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
            if content_type.as_deref().is_some_and(|ct| !may_be_html(ct)) {
                return failed(Failure::NotHtml, Some(status.as_u16()), content_type.unwrap_or_default(), &current);
            }
            let declared_len = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if declared_len.is_some_and(|n| n > self.config.max_body_bytes) {
                return failed(
                    Failure::TooLarge,
                    Some(status.as_u16()),
                    "Content-Length over the cap".into(),
                    &current,
                );
            }
            let body = match read_capped(response, self.config.max_body_bytes).await {
                Ok(body) => body,
                Err(ReadError::TooLarge) => {
                    return failed(Failure::TooLarge, Some(status.as_u16()), "body over the cap".into(), &current)
                }
                Err(ReadError::Http(e)) => {
                    let (failure, detail) = classify(&e);
                    return failed(failure, Some(status.as_u16()), detail, &current);
                }
            };
            let is_html = match content_type.as_deref() {
                Some(ct) if is_html_type(ct) => true,
                _ => sniff_html(&body),
            };
            if !is_html {
                return failed(Failure::NotHtml, Some(status.as_u16()), content_type.unwrap_or_default(), &current);
            }
            return FetchOutcome::Page(Page {
                final_url: current,
                status: status.as_u16(),
                content_type,
                body,
                certificate_problem: None,
            });
        }
    }
}

/// The limits of [`Politeness`] in the crawl configuration.
fn politeness_limits(config: &CrawlConfig) -> Limits {
    Limits {
        per_host_rate: config.per_host_rate,
        per_host_concurrency: config.per_host_concurrency,
        per_ip_rate: config.per_ip_rate,
        per_ip_concurrency: config.per_ip_concurrency,
        global_concurrency: config.global_concurrency,
    }
}

/// How long a host's address is kept for the politeness per address.
const ADDRESS_TTL: Duration = Duration::from_secs(60);
/// Host addresses kept at most (the oldest are dropped past it).
const MAX_ADDRESSES: usize = 65_536;

/// Where each host is, for the politeness per address: the configured `crawl.resolve` pins
/// first, else the system resolver's first answer, kept for a minute. (The connection itself is
/// made through [`GuardedResolver`]; a host behind several addresses is paced by its first.)
struct AddressBook {
    /// `crawl.resolve`: host names (lower case) pinned to an address and port.
    pinned: std::collections::BTreeMap<String, SocketAddr>,
    looked_up: std::sync::Mutex<HashMap<String, (Option<IpAddr>, Instant)>>,
}

impl AddressBook {
    fn new(config: &CrawlConfig) -> Self {
        let pinned = config.resolve.iter().map(|(host, addr)| (host.to_ascii_lowercase(), *addr)).collect();
        Self { pinned, looked_up: std::sync::Mutex::new(HashMap::new()) }
    }

    async fn address_of(&self, url: &Url) -> Option<IpAddr> {
        let host = match url.host()? {
            url::Host::Ipv4(ip) => return Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => return Some(IpAddr::V6(ip)),
            url::Host::Domain(host) => host,
        };
        if let Some(addr) = self.pinned.get(host) {
            return Some(addr.ip());
        }
        if let Some((ip, at)) = self.looked_up.lock().expect("address lock").get(host) {
            if at.elapsed() < ADDRESS_TTL {
                return *ip;
            }
        }
        let ip = tokio::net::lookup_host((host, 0)).await.ok().and_then(|mut addrs| addrs.next()).map(|a| a.ip());
        let mut looked_up = self.looked_up.lock().expect("address lock");
        if looked_up.len() >= MAX_ADDRESSES {
            looked_up.retain(|_, (_, at)| at.elapsed() < ADDRESS_TTL);
        }
        looked_up.insert(host.to_owned(), (ip, Instant::now()));
        ip
    }
}

/// One HTTP client of the crawler (`accept_invalid`: for the second try after a certificate
/// failure, when `crawl.check_invalid_certificates` allows it). The pinned addresses of
/// `crawl.resolve` are read from `addresses` by the resolver, not copied into each client:
/// a sweep builds a client per site, and the copies grew with the number of pinned hosts.
fn build_client(
    config: &CrawlConfig,
    accept_invalid: bool,
    addresses: &Arc<AddressBook>,
) -> Result<reqwest::Client, reqwest::Error> {
    let resolver = GuardedResolver { allow_private: config.allow_private_addresses, addresses: addresses.clone() };
    reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(config.connect_timeout_seconds))
        .timeout(Duration::from_secs(config.request_timeout_seconds))
        .danger_accept_invalid_certs(accept_invalid)
        .pool_max_idle_per_host(config.per_host_concurrency)
        .pool_idle_timeout(POOL_IDLE)
        .dns_resolver(Arc::new(resolver))
        .build()
}

fn redirect_target(current: &Url, response: &reqwest::Response) -> Option<Url> {
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let mut next = current.join(location).ok()?;
    next.set_fragment(None);
    Some(next)
}

enum ReadError {
    TooLarge,
    Http(reqwest::Error),
}

/// The most a body buffer is sized ahead from its Content-Length.
const PRESIZE_MAX: usize = 1024 * 1024;

/// Reads the (decompressed) body, stopping as soon as it passes `cap`. A body that arrives in
/// one chunk, as most pages do, is kept as that chunk (a view of the HTTP client's read buffer),
/// not copied: the copy was 2 % of a crawl's CPU (BENCHMARKS.md §2, session 20).
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Bytes, ReadError> {
    // A body in several chunks is gathered into a buffer sized once from Content-Length when it
    // is given (a body grown by doubling holds up to twice its size while it is read and
    // checked), but only up to PRESIZE_MAX: a hostile header must not reserve the whole cap
    // for a body that never comes.
    let announced = response.content_length().and_then(|n| usize::try_from(n).ok()).filter(|&n| n <= cap);
    let mut whole: Option<Bytes> = None;
    let mut gathered = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
        let held = whole.as_ref().map_or(0, Bytes::len) + gathered.len();
        if held + chunk.len() > cap {
            return Err(ReadError::TooLarge);
        }
        if held == 0 && whole.is_none() {
            whole = Some(chunk);
            continue;
        }
        if let Some(first) = whole.take() {
            gathered.reserve(announced.unwrap_or(0).min(PRESIZE_MAX).max(held + chunk.len()));
            gathered.extend_from_slice(&first);
        }
        gathered.extend_from_slice(&chunk);
    }
    Ok(whole.unwrap_or_else(|| gathered.freeze()))
}

/// Why a request failed, read from the types in its error chain (never from message text):
/// our resolver's refusal or lookup failure, a timeout, a TLS error from rustls (also when
/// carried inside an `io::Error`), else a connection failure.
fn classify(e: &reqwest::Error) -> (Failure, String) {
    let failure = classify_chain(e, e.is_timeout());
    (failure, crate::errors::chain_text(e))
}

fn classify_chain(top: &(dyn std::error::Error + 'static), timed_out: bool) -> Failure {
    let (mut tls, mut io_timeout, mut resolve) = (false, false, None);
    // Every error of the chain, and the error each `io::Error` wraps (its `source()` skips
    // it: rustls errors arrive as an io::Error inside an io::Error). Bounded, in case of cycles.
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![top];
    let mut seen = 0;
    while let Some(err) = pending.pop() {
        seen += 1;
        if seen > 64 {
            break;
        }
        if let Some(r) = err.downcast_ref::<ResolveError>() {
            resolve = resolve.or(Some(match r {
                ResolveError::Blocked { .. } => Failure::BlockedAddress,
                ResolveError::Lookup { .. } => Failure::Dns,
            }));
        }
        tls |= err.is::<rustls::Error>();
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            io_timeout |= io.kind() == std::io::ErrorKind::TimedOut;
            if let Some(inner) = io.get_ref() {
                pending.push(inner);
            }
        }
        if let Some(next) = err.source() {
            pending.push(next);
        }
    }
    match resolve {
        Some(failure) => failure,
        None if timed_out || io_timeout => Failure::Timeout,
        None if tls => Failure::Tls,
        None => Failure::Connect,
    }
}

/// Retry-After as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

fn mime(ct: &str) -> String {
    ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn is_html_type(ct: &str) -> bool {
    matches!(mime(ct).as_str(), "text/html" | "application/xhtml+xml")
}

/// Types that may hold HTML (the server may be wrong about plain text and unknown types).
fn may_be_html(ct: &str) -> bool {
    let m = mime(ct);
    is_html_type(ct)
        || m.is_empty()
        || matches!(m.as_str(), "text/plain" | "application/octet-stream" | "unknown/unknown")
}

/// The WHATWG sniffing patterns for HTML, after leading white space.
pub fn sniff_html(body: &[u8]) -> bool {
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 512)];
    const PATTERNS: [&[u8]; 17] = [
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<body",
        b"<br",
        b"<p",
        b"<!--",
    ];
    PATTERNS.iter().any(|p| {
        head.len() > p.len()
            && head[..p.len()].eq_ignore_ascii_case(p)
            && (p == b"<!--" || matches!(head[p.len()], b' ' | b'>' | b'\t' | b'\n' | b'\r' | b'\x0c'))
    })
}

/// Whether an address is reachable on the public Internet (IANA's special-purpose registries:
/// what is not globally reachable is refused). An IPv6 address that carries an IPv4 one to a
/// translator or relay (IPv4-mapped, NAT64's well-known prefix, 6to4) is judged by the IPv4
/// address it leads to: on a network with NAT64, `64:ff9b::a00:1` reaches 10.0.0.1.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            let embedded =
                |high: u16, low: u16| IpAddr::V4(std::net::Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
            match seg {
                // NAT64's well-known prefix (RFC 6052): the IPv4 address is the last 32 bits.
                [0x64, 0xff9b, 0, 0, 0, 0, high, low] => return is_public(embedded(high, low)),
                // 6to4 (RFC 3056): the IPv4 address follows the prefix.
                [0x2002, high, low, ..] => return is_public(embedded(high, low)),
                _ => {}
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                // Site-local (deprecated, still routed inside some networks).
                || (seg[0] & 0xffc0) == 0xfec0
                // NAT64 for local use (RFC 8215), IPv4-compatible (deprecated), discard-only.
                || (seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1)
                || seg[..6] == [0; 6]
                || seg[..4] == [0x100, 0, 0, 0]
                // Documentation.
                || (seg[0] == 0x2001 && seg[1] == 0xdb8))
        }
    }
}

/// Why the crawler's resolver gave no address.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Every address of the name is private, loopback or link-local.
    #[error("blocked address: {host} resolves to no public address")]
    Blocked {
        /// The name looked up.
        host: String,
    },
    /// The name could not be resolved.
    #[error("cannot resolve {host}: {source}")]
    Lookup {
        /// The name looked up.
        host: String,
        /// The resolver's error.
        source: std::io::Error,
    },
}

/// DNS through the system resolver, refusing names that resolve only to non-public addresses;
/// a name pinned by `crawl.resolve` (the operator's own setting) goes to its address as given.
struct GuardedResolver {
    allow_private: bool,
    addresses: Arc<AddressBook>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        if let Some(&pinned) = self.addresses.pinned.get(name.as_str()) {
            return Box::pin(std::future::ready(Ok(Box::new(std::iter::once(pinned)) as reqwest::dns::Addrs)));
        }
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let looked_up = tokio::net::lookup_host((host.clone(), 0)).await.map(Iterator::collect::<Vec<SocketAddr>>);
            let addrs = match looked_up {
                Ok(addrs) => addrs,
                Err(source) => return Err(Box::new(ResolveError::Lookup { host, source }) as _),
            };
            let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(ResolveError::Blocked { host }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_by_the_types_in_the_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] Box<dyn std::error::Error + Send + Sync>);
        let blocked = Outer(Box::new(ResolveError::Blocked { host: "intranet.example".into() }));
        assert_eq!(classify_chain(&blocked, false), Failure::BlockedAddress);
        let lookup = ResolveError::Lookup { host: "x.invalid".into(), source: std::io::ErrorKind::NotFound.into() };
        assert_eq!(classify_chain(&Outer(Box::new(lookup)), false), Failure::Dns);
        // rustls errors arrive wrapped in an io::Error, whose source() skips them.
        let tls = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(classify_chain(&Outer(Box::new(tls)), false), Failure::Tls);
        // As hyper-rustls delivers it: an io::Error inside an io::Error.
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        let nested = std::io::Error::other(inner);
        assert_eq!(classify_chain(&Outer(Box::new(nested)), false), Failure::Tls);
        let timed_out: std::io::Error = std::io::ErrorKind::TimedOut.into();
        assert_eq!(classify_chain(&Outer(Box::new(timed_out)), false), Failure::Timeout);
        let refused: std::io::Error = std::io::ErrorKind::ConnectionRefused.into();
        assert_eq!(classify_chain(&Outer(Box::new(refused)), false), Failure::Connect);
        // A message that merely mentions a certificate is not a TLS failure.
        let words = std::io::Error::other("certificate handshake dns timed out");
        assert_eq!(classify_chain(&Outer(Box::new(words)), false), Failure::Connect);
        assert_eq!(
            crate::errors::chain_text(&blocked),
            "outer: blocked address: intranet.example resolves to no public address"
        );
    }

    #[test]
    fn public_and_private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "192.0.0.8",
            // IPv6 addresses that lead to a private IPv4 one, through a translator or relay.
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:101::1",
            "2002:7f00:1::",
            // NAT64 for local use, site-local, IPv4-compatible, discard-only, documentation.
            "64:ff9b:1::ca6c:1605",
            "fec0::1",
            "::7f00:1",
            "::a00:1",
            "100::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        // Through NAT64 or 6to4 to a public IPv4 address: as public as that address.
        for public in ["202.108.22.5", "2400:da00::6666", "64:ff9b::ca6c:1605", "2002:ca6c:1605::1", "2001:da8::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn sniffing() {
        assert!(sniff_html(b"  <!DOCTYPE html><html>"));
        assert!(sniff_html(b"<HTML>\n"));
        assert!(!sniff_html(b"%PDF-1.4"));
        assert!(!sniff_html(b"<ahem"));
    }

    /// Serves one raw HTTP/1.1 response on loopback, written in `parts` with a pause between
    /// them (so that the client reads them as separate chunks); returns its URL.
    async fn serve_once(parts: Vec<Vec<u8>>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request).await;
            for part in parts {
                stream.write_all(&part).await.unwrap();
                stream.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        });
        url
    }

    fn chunked(pieces: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut parts =
            vec![b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()];
        for piece in pieces {
            let mut part = format!("{:x}\r\n", piece.len()).into_bytes();
            part.extend_from_slice(piece);
            part.extend_from_slice(b"\r\n");
            parts.push(part);
        }
        parts.push(b"0\r\n\r\n".to_vec());
        parts
    }

    #[tokio::test]
    async fn a_body_is_read_whole_in_one_chunk_or_in_several_and_capped_across_them() {
        let client = reqwest::Client::new();
        let body = b"<html><body>".repeat(100);
        let mut head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        head.extend_from_slice(&body);
        let response = client.get(serve_once(vec![head]).await).send().await.unwrap();
        assert_eq!(read_capped(response, 4096).await.ok().unwrap(), body[..]);

        let pieces: [&[u8]; 3] = [b"<html><body>first ", b"second ", b"third</body></html>"];
        let response = client.get(serve_once(chunked(&pieces)).await).send().await.unwrap();
        assert_eq!(read_capped(response, 4096).await.ok().unwrap(), pieces.concat()[..]);

        // Each chunk is under the cap; together they are over it.
        let response = client.get(serve_once(chunked(&pieces)).await).send().await.unwrap();
        assert!(matches!(read_capped(response, 30).await, Err(ReadError::TooLarge)));
    }

    #[tokio::test]
    async fn the_cap_per_address_holds_while_a_body_is_read() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // One address, two host names. Each answer sends its headers and half its body at once,
        // then the rest 300 ms later: a client that let go of the address once the headers came
        // would have the second host's request arrive during that pause.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (active, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (a, m) = (active.clone(), most.clone());
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let (active, most) = (a.clone(), m.clone());
                tokio::spawn(async move {
                    let mut request = [0u8; 2048];
                    if stream.read(&mut request).await.unwrap_or(0) == 0 {
                        return;
                    }
                    most.fetch_max(active.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    let body = b"<html><body>".repeat(64);
                    let (first, rest) = body.split_at(body.len() / 2);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    stream.write_all(&[head.as_bytes(), first].concat()).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    // Counted out before the last bytes: the client holds its pass until it has them.
                    active.fetch_sub(1, Ordering::SeqCst);
                    let _ = stream.write_all(rest).await;
                });
            }
        });
        let config = CrawlConfig {
            allow_private_addresses: true,
            resolve: [("a.example.gov.cn".to_owned(), address), ("b.example.gov.cn".to_owned(), address)].into(),
            per_host_rate: 1000.0,
            per_ip_rate: 1000.0,
            per_host_concurrency: 4,
            per_ip_concurrency: 1,
            ..CrawlConfig::default()
        };
        let fetcher = Fetcher::new(&config).unwrap();
        let (a, b) = (Url::parse("http://a.example.gov.cn/").unwrap(), Url::parse("http://b.example.gov.cn/").unwrap());
        let (first, second) = tokio::join!(fetcher.fetch(&a, None), fetcher.fetch(&b, None));
        for outcome in [first, second] {
            assert!(matches!(outcome, FetchOutcome::Page(ref page) if page.body.len() == 12 * 64), "{outcome:?}");
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "requests at the address at once");
    }

    #[tokio::test]
    async fn a_sites_connections_close_when_its_fetcher_is_dropped() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // A keep-alive server that counts the connections open to it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let open = Arc::new(AtomicUsize::new(0));
        let counted = open.clone();
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let open = counted.clone();
                open.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    while stream.read(&mut buffer).await.unwrap_or(0) > 0 {
                        let answer =
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>";
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        let config = CrawlConfig {
            allow_private_addresses: true,
            resolve: [("site.example.gov.cn".to_owned(), address)].into(),
            per_host_rate: 1000.0,
            per_ip_rate: 1000.0,
            ..CrawlConfig::default()
        };
        // The sweep's fetcher lives on; the site's is dropped when its crawl ends.
        let sweep = Fetcher::new(&config).unwrap();
        let site = sweep.for_site();
        let robots = Url::parse("http://site.example.gov.cn/robots.txt").unwrap();
        assert_eq!(site.stream_resource(&robots, None, |_| true).await, Some(200));
        let page = Url::parse("http://site.example.gov.cn/").unwrap();
        assert!(matches!(site.fetch(&page, None).await, FetchOutcome::Page(_)));
        assert!(open.load(Ordering::SeqCst) >= 1);
        drop(site);
        // Well within the pool's idle timeout (POOL_IDLE, 5 s), which a shared pool would wait out.
        let closed = tokio::time::timeout(Duration::from_secs(2), async {
            while open.load(Ordering::SeqCst) > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(closed.is_ok(), "{} connections still open", open.load(Ordering::SeqCst));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
