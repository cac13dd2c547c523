//! The public verification page the badge links to, its JSON form, and the look-up "is this
//! site registered?". Public data only: no personal field of the application ever appears.

use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::badge::snapshot::PublicBadge;
use crate::domain::calendar::china_offset;
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

/// `GET /verify/{code}` and `GET /verify/{code}.json`.
pub async fn verify(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let (code, as_json) = match file.strip_suffix(".json") {
        Some(c) => (c.to_ascii_uppercase(), true),
        None => (file.to_ascii_uppercase(), false),
    };
    let badge = state.ctx.badges.get(&code);
    if as_json {
        let (status, body) = match &badge {
            Some(b) => (StatusCode::OK, public_json(b)),
            None => {
                (StatusCode::NOT_FOUND, json!({ "error": "该网站标识不是真实有效的党政机关网站标识", "code": code }))
            }
        };
        let mut response = (status, Json(body)).into_response();
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
        return Ok(response);
    }
    let Some(badge) = badge else {
        let html = render(&state, None, "verify.html", json!({ "code": code, "genuine": false }))?;
        return Ok((StatusCode::NOT_FOUND, html).into_response());
    };
    let own = own_host(&state);
    let foreign = referer_host(&headers).filter(|h| Some(h.as_str()) != own && !badge.is_registered_host(h));
    let data = json!({ "genuine": true, "badge": public_json(&badge), "foreign_referer": foreign });
    let mut response = render(&state, None, "verify.html", data)?.into_response();
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
        Some(b) => Ok(Redirect::to(&format!("/verify/{}", b.code)).into_response()),
        None => Ok((
            StatusCode::NOT_FOUND,
            render(&state, user.as_ref(), "lookup.html", json!({ "domain": domain, "missing": true }))?,
        )
            .into_response()),
    }
}
