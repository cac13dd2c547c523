//! The public home page and the health check.

use axum::extract::State;
use axum::response::Html;
use serde_json::json;

use super::render;
use crate::web::auth::MaybeUser;
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// `GET /`: the home page, with the user's tasks when signed in.
pub async fn home(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Result<Html<String>, HttpError> {
    render(&state, user.as_ref(), "home.html", json!({}))
}

/// `GET /healthz`: the process answers.
pub async fn health() -> &'static str {
    "ok"
}
