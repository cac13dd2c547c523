//! 找回密码: asking for a code (sent to the registered mobile and e-mail) and setting a new
//! password with it. Sessionless forms, CSRF by a double-submit cookie as the login form.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::service::password_reset as service;
use crate::service::ServiceError;
use crate::web::auth::{form_token_matches, issue_form_token, ClientAddress, PageForm};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The cookie carrying the reset forms' CSRF token.
const RESET_CSRF_COOKIE: &str = "govbadge_reset_csrf";

fn page(state: &AppState, data: serde_json::Value, status: StatusCode) -> Result<Response, HttpError> {
    let (token, cookie) = issue_form_token(RESET_CSRF_COOKIE, state.ctx.config.server.secure_cookies);
    let mut data = data;
    data["csrf_token"] = json!(token);
    let html = render(state, None, "password_reset.html", data)?;
    Ok((status, [(SET_COOKIE, cookie)], html).into_response())
}

/// `GET /password/reset`: the form that asks for a code.
pub async fn form(State(state): State<AppState>) -> Result<Response, HttpError> {
    page(&state, json!({ "step": "ask" }), StatusCode::OK)
}

/// Either form as posted.
#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

fn csrf_ok(headers: &HeaderMap, form: &ResetForm) -> bool {
    form_token_matches(headers, RESET_CSRF_COOKIE, &form.csrf)
}

fn expired() -> HttpError {
    HttpError::new(StatusCode::FORBIDDEN, "页面已过期，请刷新页面后重新提交")
}

/// `POST /password/reset`: sends a code if the account has a registered mobile or e-mail, and
/// shows the form to set the new password (the same answer whether the account exists).
pub async fn ask(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    PageForm(form): PageForm<ResetForm>,
) -> Result<Response, HttpError> {
    if !csrf_ok(&headers, &form) {
        return Err(expired());
    }
    match service::request(&state.ctx, &form.name, &address).await {
        Ok(()) => page(&state, json!({ "step": "confirm", "name": form.name.trim() }), StatusCode::OK),
        Err(ServiceError::Invalid(errors)) => page(
            &state,
            json!({ "step": "ask", "name": form.name, "errors": errors }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

/// `POST /password/reset/confirm`: sets the new password with the code.
pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<ResetForm>,
) -> Result<Response, HttpError> {
    if !csrf_ok(&headers, &form) {
        return Err(expired());
    }
    match service::confirm(&state.ctx, &form.name, &form.code, &form.password).await {
        Ok(()) => page(&state, json!({ "step": "done" }), StatusCode::OK),
        Err(ServiceError::Invalid(errors)) => page(
            &state,
            json!({ "step": "confirm", "name": form.name.trim(), "errors": errors }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}
