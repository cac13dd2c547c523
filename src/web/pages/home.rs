//! The public home page and the stylesheet.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse};
use serde_json::json;

use super::render;
use crate::web::auth::MaybeUser;
use crate::web::error::HttpError;
use crate::web::state::AppState;
use crate::web::templates::{APP_CSS, APP_JS};

/// `GET /`: the home page, with the user's tasks when signed in.
pub async fn home(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Result<Html<String>, HttpError> {
    render(&state, user.as_ref(), "home.html", json!({}))
}

/// `GET /static/app.css`.
pub async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], APP_CSS)
}

/// `GET /static/app.js`.
pub async fn script() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], APP_JS)
}

/// `GET /healthz`: the process answers.
pub async fn health() -> &'static str {
    "ok"
}
