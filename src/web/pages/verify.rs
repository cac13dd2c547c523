//! The public verification page the badge links to, its JSON form, and the look-up "is this
//! site registered?". Public data only: no personal field of the application ever appears.

use axum::extract::{Path, Query, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::badge::assets::{AssetKey, CodeKey, Coding, Encoded, Page};
use crate::badge::details::{self, PublicBadge};
use crate::domain::badge::SiteCode;
use crate::domain::calendar::china_offset;
use crate::store::StoreError;
use crate::web::auth::MaybeUser;
use crate::web::badge::{own_host, referer_host};
use crate::web::error::HttpError;
use crate::web::state::AppState;

fn public_json(b: &PublicBadge) -> serde_json::Value {
    json!({
        "code": b.code,
        "status": b.status.as_str(),
        "status_label": b.status.label(),
        "unit_name": b.unit_name,
        "unit_type": b.unit_type,
        "address": b.address,
        "functions": b.functions,
        "site_name": b.site_name,
        "domain_cn": b.domain_cn,
        "domain_en": b.domain_en,
        "issuer": b.issuer,
        "issued_on": b.issued_at.with_timezone(&china_offset()).date_naive().to_string(),
        "closed_on": b.closed_at.map(|t| t.with_timezone(&china_offset()).date_naive().to_string()),
    })
}

/// Stands for the Referer's host in the cached warning page, replaced by the escaped host at
/// each request (letters only: HTML escaping leaves it as it is).
const REFERER_MARK: &str = "GOVBADGEFOREIGNREFERERHOSTMARK";

/// A page that depends only on the badge (and the snapshot it came from), rendered from the
/// badge's details once per snapshot generation and kept in the asset cache under `key`.
/// `None` when the badge's details are gone from the database.
async fn cached(
    state: &AppState,
    generation: u64,
    page: Page,
    code: &str,
    render: impl FnOnce(&PublicBadge) -> Result<String, HttpError>,
) -> Result<Option<axum::body::Bytes>, HttpError> {
    let key = CodeKey::new(code).map(|c| (AssetKey::Page(page, c), Coding::Identity));
    if let Some(hit) = key.as_ref().and_then(|key| state.assets.get(generation, key)) {
        return Ok(Some(hit.body));
    }
    let Some(details) = details::load(&state.ctx.pool, code).await.map_err(StoreError::from)? else {
        return Ok(None);
    };
    let body = axum::body::Bytes::from(render(&details)?);
    if let Some(key) = key {
        state.assets.insert(generation, key, Encoded { etag: None, body: body.clone() });
    }
    Ok(Some(body))
}

/// The code asked for, to be named back on the "not genuine" answer only when it has a badge
/// code's form (a govbadge or a national code: digits, `X`, `CA`). The verification page is the
/// programme's own word on what is genuine, under its banner: whatever else was put in the
/// address (本网站已被依法关闭，请拨打电话…) must not appear in it.
fn well_formed(code: &str) -> Option<String> {
    SiteCode::parse(code).map(|c| c.as_str().to_owned())
}

/// `GET /verify/{code}` and `GET /verify/{code}.json`. A genuine badge's page (with or without
/// the counterfeit warning) and its JSON are rendered once per snapshot; only the Referer's
/// host is put in per request.
pub async fn verify(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, HttpError> {
    let (code, as_json) = match file.strip_suffix(".json") {
        Some(c) => (c.to_ascii_uppercase(), true),
        None => (file.to_ascii_uppercase(), false),
    };
    // Listed badges only; the Referer's host is judged against the snapshot's hosts. The
    // request itself is read, not a copy of its headers (the `HeaderMap` extractor clones them).
    let (generation, foreign) = {
        let snapshot = state.badges();
        let own = own_host(&state);
        let foreign = snapshot.find(&code).map(|badge| {
            referer_host(request.headers()).filter(|h| Some(h.as_str()) != own && !badge.is_registered_host(h))
        });
        (snapshot.generation, foreign)
    };
    if as_json {
        let body = match foreign {
            None => None,
            Some(_) => {
                cached(&state, generation, Page::VerifyJson, &code, |b| {
                    Ok(serde_json::to_string(&public_json(b)).expect("JSON values serialise"))
                })
                .await?
            }
        };
        let (status, body) = if let Some(body) = body {
            (StatusCode::OK, body)
        } else {
            let body = json!({ "error": "该网站标识不是真实有效的党政机关网站标识", "code": well_formed(&code) });
            (StatusCode::NOT_FOUND, axum::body::Bytes::from(body.to_string()))
        };
        let mut response =
            (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response();
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
        return Ok(response);
    }
    let page = |warning: bool| {
        let state = &state;
        move |badge: &PublicBadge| {
            let data = json!({ "genuine": true, "badge": public_json(badge), "foreign_referer": warning.then_some(REFERER_MARK) });
            render(state, None, "verify.html", data).map(|html| html.0)
        }
    };
    let body = match foreign {
        None => None,
        Some(None) => cached(&state, generation, Page::Verify, &code, page(false)).await?,
        Some(Some(host)) => match cached(&state, generation, Page::VerifyWarning, &code, page(true)).await? {
            None => None,
            Some(template) => {
                let text = std::str::from_utf8(&template)
                    .map_err(|_| HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败"))?;
                Some(axum::body::Bytes::from(text.replace(REFERER_MARK, &crate::markup::escape(&host))))
            }
        },
    };
    let Some(body) = body else {
        let html = render(&state, None, "verify.html", json!({ "code": well_formed(&code), "genuine": false }))?;
        return Ok((StatusCode::NOT_FOUND, html).into_response());
    };
    let mut response =
        (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], body)
            .into_response();
    // The page depends on the Referer: private caches only, briefly, and kept apart per Referer
    // (a click on a counterfeit right after one on the genuine badge must still warn).
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=60"));
    h.insert(header::VARY, HeaderValue::from_static("Referer"));
    Ok(response)
}

/// The domain looked up.
#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    domain: String,
}

/// `GET /lookup?domain=…`: the verification page of the site with that domain, if registered.
pub async fn lookup(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<LookupQuery>,
) -> Result<Response, HttpError> {
    let domain = q.domain.trim();
    if domain.is_empty() {
        return Ok(render(&state, user.as_ref(), "lookup.html", json!({}))?.into_response());
    }
    if domain.chars().count() > 260 {
        return Err(HttpError::new(StatusCode::BAD_REQUEST, "域名过长"));
    }
    match state.ctx.badges.lookup(domain) {
        Some(code) => Ok(Redirect::to(&format!("/verify/{code}")).into_response()),
        None => Ok((
            StatusCode::NOT_FOUND,
            render(&state, user.as_ref(), "lookup.html", json!({ "domain": domain, "missing": true }))?,
        )
            .into_response()),
    }
}
