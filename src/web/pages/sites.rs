//! The public list of approved websites (`/sites`) and its CSV download (`/sites.csv`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{region_options, render, search_or_default, ListQuery};
use crate::domain::application::SYSTEM_CATEGORIES;
use crate::domain::region::region_name;
use crate::service::public_sites::{self as service, Search};
use crate::web::auth::MaybeUser;
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The search as a query string without the page, for the page links and the download.
fn query_of(search: &Search) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", search.q.trim())
        .append_pair("domain", search.domain.trim())
        .append_pair("region", search.region.trim())
        .append_pair("category", search.category.trim())
        .finish()
}

/// `GET /sites`: approved websites, searched by name, domain, region and category.
pub async fn list(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    search: ListQuery<Search>,
) -> Result<Response, HttpError> {
    let search = search_or_default(search);
    let page = service::page(&state.ctx, &search).await?;
    let sites: Vec<_> = page
        .sites
        .iter()
        .map(|s| {
            json!({
                "code": s.code, "site_name": s.site_name, "unit_name": s.unit_name, "category": s.category,
                "region": s.region, "region_name": region_name(&s.region), "domain_cn": s.domain_cn,
                "domain_en": s.domain_en, "suspended": s.status == "suspended",
                "issued_on": s.issued_at.with_timezone(&crate::domain::calendar::china_offset()).date_naive().to_string(),
            })
        })
        .collect();
    let data = json!({
        "sites": sites, "total": page.total, "page": page.page, "pages": page.pages,
        "search": search, "query": query_of(&search),
        "regions": region_options("", 1, search.region.trim()), "categories": SYSTEM_CATEGORIES,
    });
    Ok(render(&state, user.as_ref(), "sites.html", data)?.into_response())
}

/// `GET /sites.csv`: every approved website matching the search, as CSV.
pub async fn download(State(state): State<AppState>, search: ListQuery<Search>) -> Result<Response, HttpError> {
    let search = search_or_default(search);
    let body = service::csv(&state.ctx, &search).await?;
    let disposition = "attachment; filename=\"sites.csv\"; filename*=UTF-8''%E5%B7%B2%E5%BC%80%E5%8A%9E%E7%BD%91%E7%AB%99%E5%90%8D%E5%BD%95.csv";
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}
