//! The badge endpoints hit on every page view of every badged site: the per-code script and
//! image, served from the in-memory snapshot with strong `ETags`, 304s, gzip and brotli, and
//! cross-origin friendly; and the mismatch beacon.

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
    url::Url::parse(referer).ok()?.host_str().map(str::to_owned)
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

/// `GET /badge/{code}.js` and `GET /badge/{code}.svg`.
pub async fn asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<AssetQuery>,
    request: Request,
) -> Response {
    // The request itself, not a copy of its headers (the `HeaderMap` extractor clones them).
    let headers = request.headers();
    let coding =
        Coding::negotiate(headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or_default());
    let snapshot = state.badges();
    let (mut code, kind) = match (file.strip_suffix(".js").is_some(), file.strip_suffix(".svg").is_some()) {
        (true, _) => (file, "js"),
        (_, true) => (file, "svg"),
        _ => return (StatusCode::NOT_FOUND, "").into_response(),
    };
    // The path is ours: the code is cut out and upper-cased in place.
    code.truncate(code.len() - kind.len() - 1);
    code.make_ascii_uppercase();
    let badge = snapshot.find(&code);
    if let Some(b) = &badge {
        record_referer(&state, b, headers);
    }
    let base = state.ctx.config.badge.base_url.as_str();
    match (kind, badge) {
        ("js", Some(b)) => {
            let make = || encode(script(&b, base).as_bytes(), coding);
            let encoded = match CodeKey::new(b.code) {
                Some(key) => state.assets.get_or_insert(snapshot.generation, (AssetKey::Script(key), coding), make),
                None => make(),
            };
            respond(encoded, coding, "text/javascript; charset=utf-8", StatusCode::OK, headers)
        }
        ("js", None) => {
            let encoded = encode(b"/* govbadge: unknown badge code */", Coding::Identity);
            respond(encoded, Coding::Identity, "text/javascript; charset=utf-8", StatusCode::NOT_FOUND, headers)
        }
        (_, Some(b)) => {
            let variant = Variant::for_badge(&b, q.v.as_deref());
            let key = (AssetKey::Image(variant), coding);
            let encoded =
                state.assets.get_or_insert(snapshot.generation, key, || encode(svg(variant).as_bytes(), coding));
            respond(encoded, coding, "image/svg+xml", StatusCode::OK, headers)
        }
        (_, None) => {
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
