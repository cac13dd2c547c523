//! The badge endpoints hit on every page view of every badged site: the per-code script and
//! image, served from the in-memory snapshot with strong `ETags`, 304s, gzip and brotli, and
//! cross-origin friendly; and the mismatch beacon.

use std::borrow::Cow;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::badge::assets::{encode, script, svg, AssetKey, CodeKey, Coding, Encoded, Variant};
use crate::badge::snapshot::Listed;
use crate::web::auth::ClientAddress;
use crate::web::state::AppState;

/// A short max-age so a status change shows within minutes; stale-while-revalidate so a slow
/// badge service never slows the pages that carry the badge.
const CACHE: &str = "public, max-age=300, stale-while-revalidate=86400";

/// The cache-busting version parameter of badge asset URLs.
#[derive(Deserialize)]
pub struct AssetQuery {
    #[serde(default)]
    v: Option<String>,
}

/// The host of a Referer header, if any.
pub fn referer_host(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    if let Some(host) = plain_http_host(referer) {
        return Some(host.to_owned());
    }
    url::Url::parse(referer).ok()?.host_str().map(str::to_owned)
}

/// The host of an `http` or `https` URL whose host is written as the URL parser would give it
/// back (lower-case letters, digits, `-` and `.`, a last label that starts with a letter, no
/// punycode label), with at most a port after it; `None` for anything else, left to the URL
/// parser. Every badge request from a real page carries a Referer, and most are this plain:
/// parsing them in full was a few per cent of the badge endpoint's time.
fn plain_http_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    let authority = &rest[..rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len())];
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let port_is_plain = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    let labels_are_plain = host.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with("xn--")
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    let last_is_a_name = host.rsplit('.').next().is_some_and(|last| last.starts_with(|c: char| c.is_ascii_lowercase()));
    (port_is_plain && labels_are_plain && last_is_a_name).then_some(host)
}

/// The badge service's own host (from the base URL parsed once at start).
pub fn own_host(state: &AppState) -> Option<&str> {
    state.ctx.crawler.badge_base().host_str()
}

/// Counts the page host that loaded the badge (not the badge service's own pages).
fn record_referer(state: &AppState, badge: &Listed<'_>, headers: &HeaderMap) {
    if let Some(host) = referer_host(headers) {
        if Some(host.as_str()) != own_host(state) {
            state.ctx.sightings.record(badge.code, &host, badge.is_registered_host(&host), "referer", Utc::now());
        }
    }
}

fn respond(
    encoded: Encoded,
    coding: Coding,
    content_type: &'static str,
    status: StatusCode,
    headers: &HeaderMap,
) -> Response {
    let etag = encoded.etag.as_ref().and_then(|e| e.to_str().ok()).unwrap_or_default();
    let not_modified = !etag.is_empty()
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if not_modified && status == StatusCode::OK {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(encoded.body));
        *r.status_mut() = status;
        // Room for these headers and the frame's (`web::frame`) at once, not grown three times.
        *r.headers_mut() = HeaderMap::with_capacity(12);
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(c) = coding.header() {
            r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
        }
        r
    };
    let h = response.headers_mut();
    if let Some(etag) = encoded.etag {
        h.insert(header::ETAG, etag);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if status == StatusCode::OK { CACHE } else { "public, max-age=60" }),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    response
}

/// `GET /badge/{code}.js` and `GET /badge/{code}.svg` through the router. Most such requests
/// never reach it: `web::shortcut` answers them with [`asset_response`] directly.
pub async fn asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<AssetQuery>,
    request: Request,
) -> Response {
    // The request itself, not a copy of its headers (the `HeaderMap` extractor clones them).
    asset_response(&state, &file, q.v.as_deref(), request.headers())
}

/// The script or image named by `file` (`<code>.js` or `<code>.svg`, the code in either case),
/// with `version` the image's `v` parameter, for a request with these headers.
pub fn asset_response(state: &AppState, file: &str, version: Option<&str>, headers: &HeaderMap) -> Response {
    let (code, is_script) = match (file.strip_suffix(".js"), file.strip_suffix(".svg")) {
        (Some(code), _) => (code, true),
        (_, Some(code)) => (code, false),
        _ => return (StatusCode::NOT_FOUND, "").into_response(),
    };
    // Codes are stored in upper case: a copy only for one asked for in lower case.
    let code: Cow<'_, str> =
        if code.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(code.to_ascii_uppercase()) } else { code.into() };
    let coding =
        Coding::negotiate(headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or_default());
    let snapshot = state.badges();
    let badge = snapshot.find(&code);
    if let Some(b) = &badge {
        record_referer(state, b, headers);
    }
    let base = state.ctx.config.badge.base_url.as_str();
    match (is_script, badge) {
        (true, Some(b)) => {
            let make = || encode(script(&b, base).as_bytes(), coding);
            let encoded = match CodeKey::new(b.code) {
                Some(key) => state.assets.get_or_insert(snapshot.generation, (AssetKey::Script(key), coding), make),
                None => make(),
            };
            respond(encoded, coding, "text/javascript; charset=utf-8", StatusCode::OK, headers)
        }
        (true, None) => {
            let encoded = encode(b"/* govbadge: unknown badge code */", Coding::Identity);
            respond(encoded, Coding::Identity, "text/javascript; charset=utf-8", StatusCode::NOT_FOUND, headers)
        }
        (false, Some(b)) => {
            let variant = Variant::for_badge(&b, version);
            let key = (AssetKey::Image(variant), coding);
            let encoded =
                state.assets.get_or_insert(snapshot.generation, key, || encode(svg(variant).as_bytes(), coding));
            respond(encoded, coding, "image/svg+xml", StatusCode::OK, headers)
        }
        (false, None) => {
            let key = (AssetKey::Image(Variant::Invalid), coding);
            let encoded = state
                .assets
                .get_or_insert(snapshot.generation, key, || encode(svg(Variant::Invalid).as_bytes(), coding));
            respond(encoded, coding, "image/svg+xml", StatusCode::NOT_FOUND, headers)
        }
    }
}

/// `POST /badge/{code}/sighting`: the script reports the host it found itself on, once per page
/// load, when that host is not registered for the badge. No cookies, no state but a counter.
pub async fn sighting(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    body: Bytes,
) -> StatusCode {
    let code = code.to_ascii_uppercase();
    let snapshot = state.ctx.badges.current();
    let Some(badge) = snapshot.find(&code) else { return StatusCode::NOT_FOUND };
    if body.len() > 256 {
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    // Anyone can post a beacon: each address gets a few a minute.
    if !state.ctx.beacons.try_take(&address, std::time::Instant::now()) {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    let host = String::from_utf8_lossy(&body);
    if let Some(host) = crate::badge::sightings::clean_host(&host) {
        state.ctx.sightings.record(badge.code, &host, badge.is_registered_host(&host), "beacon", Utc::now());
    }
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the URL parser makes of a Referer's host.
    fn parsed(url: &str) -> Option<String> {
        url::Url::parse(url).ok()?.host_str().map(str::to_owned)
    }

    #[test]
    fn a_plain_referer_s_host_is_the_url_parser_s() {
        let plain = [
            "http://www.example.gov.cn/index.html",
            "https://www.puyang.gov.cn",
            "https://a-b.c9.gov.cn:8443/x?y#z",
            "http://www.example.gov.cn?q=1",
            "http://www.example.gov.cn#top",
            "http://www.example.gov.cn\\path",
            "http://localhost:80/",
            "http://x.y.z.cn:65535",
        ];
        for url in plain {
            let host = plain_http_host(url);
            assert!(host.is_some(), "{url} is plain");
            assert_eq!(host.map(str::to_owned), parsed(url), "{url}");
        }
        // Left to the parser: it changes these, refuses them, or reads them differently.
        let not_plain = [
            "HTTP://www.example.gov.cn/",
            "http://WWW.Example.gov.cn/",
            "http://user:pass@www.example.gov.cn/",
            "http://127.1/",
            "http://0x7f.0.0.1/",
            "http://192.168.0.1/",
            "http://[::1]/",
            "http://xn--fiqs8s.xn--zfr164b/",
            "http://xn--invalid-.cn/",
            "http://www.example.gov.cn:99999/",
            "http://www.example.gov.cn:/",
            "http://www..example.gov.cn/",
            "http://www.example.gov.cn./",
            "http://exa%6dple.gov.cn/",
            "http://exa\tmple.gov.cn/",
            " http://www.example.gov.cn/",
            "http:/www.example.gov.cn/",
            "ftp://www.example.gov.cn/",
            "http://",
            "http:///path",
            "http://:80/",
        ];
        for url in not_plain {
            assert_eq!(plain_http_host(url), None, "{url} is left to the parser");
        }
        // Through the header, both kinds give the parser's answer.
        for url in plain.iter().chain(&not_plain) {
            let mut headers = HeaderMap::new();
            let Ok(value) = HeaderValue::from_str(url) else { continue };
            headers.insert(header::REFERER, value);
            assert_eq!(referer_host(&headers), parsed(url), "{url}");
        }
    }
}
