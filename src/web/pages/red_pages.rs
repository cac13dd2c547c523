//! Red pages: the public page at /red/{code}, and the unit's form in the portal.

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::domain::application::FieldErrors;
use crate::service::red_pages::{self as service, RedPageInput};
use crate::service::ServiceError;
use crate::web::auth::CodePath;
use crate::web::auth::{CsrfForm, SessionUser, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// `GET /red/{code}`: the unit's public red page.
pub async fn public(State(state): State<AppState>, CodePath(code): CodePath) -> Result<Response, HttpError> {
    let page = service::published(&state.ctx, &code).await?;
    let Some(page) = page else { return Err(HttpError::not_found()) };
    let html = crate::badge::red_page::render(&page, &state.ctx.config.badge.base_url)?;
    let mut response = Html(html).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    // The page's own inline style and the badge service's script and image, nothing else.
    let base = &state.ctx.config.badge.base_url;
    if let Ok(csp) = HeaderValue::from_str(&format!("default-src 'none'; style-src 'unsafe-inline'; script-src {base}; img-src {base}; connect-src {base}; frame-ancestors 'none'")) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}

/// Which badge's red page to edit.
#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

async fn form_page(
    state: &AppState,
    user: &SessionUser,
    input: &RedPageInput,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let sites = crate::store::sweeps::sites_of_unit(&state.ctx.pool, user.account.id).await?;
    let sites: Vec<_> = sites
        .iter()
        .filter(|s| s.status == crate::domain::badge::BadgeStatus::Active)
        .map(|s| json!({ "code": s.code, "site_name": s.site_name }))
        .collect();
    let data = json!({ "input": input, "errors": errors, "sites": sites });
    Ok((status, render(state, Some(user), "red_page_form.html", data)?).into_response())
}

/// `GET /portal/red-page`: the red page's form (units).
pub async fn edit(
    State(state): State<AppState>,
    User(user): User,
    Query(q): Query<CodeQuery>,
) -> Result<Response, HttpError> {
    let existing = service::of_unit(&state.ctx, &user.actor(), q.code.trim()).await?;
    let input = match existing {
        Some(p) => RedPageInput {
            code: p.code,
            title: p.title,
            introduction: p.introduction,
            functions: p.functions,
            address: p.address,
            public_phone: p.public_phone,
            service_links: p.service_links,
            published: if p.published { "1".into() } else { "0".into() },
        },
        None => RedPageInput {
            code: q.code.trim().to_owned(),
            title: user.account.display_name.clone(),
            ..Default::default()
        },
    };
    form_page(&state, &user, &input, &FieldErrors::new(), StatusCode::OK).await
}

/// `POST /portal/red-page`: saves it, or shows the form again with each field's problem.
pub async fn save(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<RedPageInput>,
) -> Result<Response, HttpError> {
    match service::save(&state.ctx, &user.actor(), &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/portal/red-page?code={}", form.code.trim())).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            form_page(&state, &user, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
