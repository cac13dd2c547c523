//! A badge's page for its unit and the offices covering it: status, history, and the
//! reviewers' suspend / reinstate / revoke form.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::badge::snippet::install_snippet;
use crate::domain::account::Role;
use crate::domain::badge::BadgeStatus;
use crate::service::badges as service;
use crate::web::auth::CodePath;
use crate::web::auth::{CsrfForm, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    User(user): User,
    CodePath(code): CodePath,
) -> Result<Html<String>, HttpError> {
    let (badge, history) = service::get(&state.ctx, &user.actor(), &code).await?;
    let history: Vec<_> = history
        .into_iter()
        .map(|(from, to, reason, at)| {
            json!({
                "from": BadgeStatus::parse(&from).map(BadgeStatus::label),
                "to": BadgeStatus::parse(&to).map(BadgeStatus::label),
                "reason": reason,
                "at": at.to_rfc3339(),
            })
        })
        .collect();
    let data = json!({
        "badge": {
            "code": badge.code.as_str(),
            "status": badge.status.as_str(),
            "status_label": badge.status.label(),
            "issued_at": badge.issued_at.to_rfc3339(),
            "install_due": badge.install_due.to_string(),
            "application_id": badge.application_id,
        },
        "snippet": install_snippet(&state.ctx.config.badge.base_url, &badge.code),
        "history": history,
        "can_manage": user.account.role == Role::Reviewer,
    });
    render(&state, Some(&user), "badge.html", data)
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    CodePath(code): CodePath,
    CsrfForm { user, form }: CsrfForm<StatusForm>,
) -> Result<Response, HttpError> {
    let to = BadgeStatus::parse(&form.status)
        .ok_or_else(|| HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, "请选择标识状态"))?;
    service::change_status(&state.ctx, &user.actor(), &code, to, &form.reason).await?;
    Ok(Redirect::to(&format!("/badges/{code}")).into_response())
}
