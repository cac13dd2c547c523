//! The public's report form (举报) linked from the verification page: its own page, so the
//! verification page stays cacheable; CSRF by a double-submit cookie, as the login form.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::service::tipoffs::{self as service, TipoffInput};
use crate::service::ServiceError;
use crate::web::auth::{form_token_matches, issue_form_token, ClientAddress, CodePath, PageForm};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The cookie carrying the report form's CSRF token.
const TIPOFF_CSRF_COOKIE: &str = "govbadge_tipoff_csrf";

async fn form_page(
    state: &AppState,
    code: &str,
    input: &TipoffInput,
    errors: &crate::domain::application::FieldErrors,
    done: bool,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let badge = crate::badge::details::load(&state.ctx.pool, code)
        .await
        .map_err(crate::store::StoreError::from)?
        .ok_or_else(HttpError::not_found)?;
    let (token, cookie) = issue_form_token(TIPOFF_CSRF_COOKIE, state.ctx.config.server.secure_cookies);
    let data = json!({
        "code": code, "site_name": badge.site_name, "input": input, "errors": errors, "done": done, "csrf_token": token,
    });
    let html = render(state, None, "tipoff.html", data)?;
    Ok((status, [(SET_COOKIE, cookie)], html).into_response())
}

/// `GET /verify/{code}/report`: the report form.
pub async fn form(State(state): State<AppState>, CodePath(code): CodePath) -> Result<Response, HttpError> {
    form_page(&state, code.as_str(), &TipoffInput::default(), &Default::default(), false, StatusCode::OK).await
}

/// The form as posted.
#[derive(Deserialize)]
pub struct TipoffForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /verify/{code}/report`: stores the report and tells the supervisors.
pub async fn submit(
    State(state): State<AppState>,
    CodePath(code): CodePath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    PageForm(form): PageForm<TipoffForm>,
) -> Result<Response, HttpError> {
    if !form_token_matches(&headers, TIPOFF_CSRF_COOKIE, &form.csrf) {
        return Err(HttpError::new(StatusCode::FORBIDDEN, "页面已过期，请刷新页面后重新提交"));
    }
    let input = TipoffInput { url: form.url, description: form.description, contact: form.contact };
    match service::submit(&state.ctx, code.as_str(), &input, &address).await {
        Ok(_) => {
            form_page(&state, code.as_str(), &TipoffInput::default(), &Default::default(), true, StatusCode::OK).await
        }
        Err(ServiceError::Invalid(errors)) => {
            form_page(&state, code.as_str(), &input, &errors, false, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
