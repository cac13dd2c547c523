//! Signing in and out of the pages.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::service::{accounts, ServiceError};
use crate::web::auth::{
    form_token_matches, is_local_path, issue_form_token, set_cookie, signed_in_response, ClientAddress, CsrfForm,
    MaybeUser, NoFields, PageForm, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The login form; a fresh double-submit token guards it against cross-site posts.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

/// `GET /login`: the login form, with its CSRF cookie.
pub async fn login_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    axum::extract::Query(query): axum::extract::Query<NextQuery>,
) -> Result<Response, HttpError> {
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    login_form(&state, "", &query.next, None, StatusCode::OK)
}

fn login_form(
    state: &AppState,
    name: &str,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let (token, cookie) = issue_form_token(LOGIN_CSRF_COOKIE, state.ctx.config.server.secure_cookies);
    let next = Some(next).filter(|n| is_local_path(n));
    let data = json!({ "login_csrf": token, "name": name, "next": next, "error": error });
    let html = render(state, None, "login.html", data)?;
    Ok((status, [(SET_COOKIE, cookie)], html).into_response())
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    /// The page to return to.
    #[serde(default)]
    next: String,
}

/// `POST /login`: signs in and returns to the page asked for.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, HttpError> {
    if !form_token_matches(&headers, LOGIN_CSRF_COOKIE, &form.csrf) {
        return login_form(&state, &form.name, &form.next, Some("页面已过期，请重新登录"), StatusCode::FORBIDDEN);
    }
    match accounts::login(&state.ctx, &form.name, &form.password, &address).await {
        Ok(session) => {
            let max_age = state.ctx.config.auth.session_hours * 3600;
            let next = Some(form.next.as_str()).filter(|n| !n.is_empty());
            Ok(signed_in_response(
                &session.token,
                &session.account,
                state.ctx.config.server.secure_cookies,
                max_age,
                next,
            ))
        }
        Err(e @ (ServiceError::BadCredentials | ServiceError::Throttled | ServiceError::Busy)) => {
            let message = e.to_string();
            login_form(&state, &form.name, &form.next, Some(&message), HttpError::from(e).status)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, HttpError> {
    accounts::logout(&state.ctx, &user.token).await?;
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), state.ctx.config.server.secure_cookies));
    Ok(response)
}
