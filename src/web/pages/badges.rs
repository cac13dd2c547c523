//! A badge's page for its unit and the offices covering it: status, history, and the
//! reviewers' suspend / reinstate / revoke form.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::badge::snippet::snippet_for;
use crate::domain::account::Role;
use crate::domain::badge::BadgeStatus;
use crate::service::badges as service;
use crate::web::auth::CodePath;
use crate::web::auth::{CsrfForm, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// `GET /badges/{code}`: the badge, its snippet and install state.
pub async fn show(
    State(state): State<AppState>,
    User(user): User,
    CodePath(code): CodePath,
) -> Result<Html<String>, HttpError> {
    page_with(&state, &user, &code, None, None).await
}

/// A refused change or cancellation request: the fields as typed and each one's message.
pub type RefusedRequest<'a> =
    (&'a std::collections::BTreeMap<String, String>, &'a crate::domain::application::FieldErrors);

/// The badge's page; after a refused status change, with the reason as typed and the message;
/// after a refused request, with its form refilled and the messages beside the fields.
pub async fn page_with(
    state: &AppState,
    user: &crate::web::auth::SessionUser,
    code: &crate::domain::badge::SiteCode,
    refused: Option<(&StatusForm, String)>,
    refused_request: Option<RefusedRequest<'_>>,
) -> Result<Html<String>, HttpError> {
    let (badge, history) = service::get(&state.ctx, &user.actor(), code).await?;
    let no_errors = crate::domain::application::FieldErrors::new();
    let (typed, errors) = refused_request.map_or((None, &no_errors), |(t, e)| (Some(t), e));
    let requests = super::site_requests::section(state, user, code, badge.unit_id, typed, errors).await?;
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
        "snippet": snippet_for(&state.ctx.config.badge.base_url, &badge.code),
        "history": history,
        "can_manage": user.account.role == Role::Reviewer,
        "input": refused.as_ref().map(|(form, _)| json!({ "status": form.status, "reason": form.reason })),
        "error": refused.as_ref().map(|(_, message)| message),
        "requests": requests,
    });
    render(state, Some(user), "badge.html", data)
}

/// The status form: the new status and the reason.
#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /badges/{code}/status`: suspends, restores or revokes the badge.
pub async fn change_status(
    State(state): State<AppState>,
    CodePath(code): CodePath,
    CsrfForm { user, form }: CsrfForm<StatusForm>,
) -> Result<Response, HttpError> {
    let result = match BadgeStatus::parse(&form.status) {
        Some(to) => service::change_status(&state.ctx, &user.actor(), &code, to, &form.reason).await,
        None => Err(crate::service::field_error("status", "请选择标识状态")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/badges/{code}")).into_response()),
        Err(e @ (crate::service::ServiceError::Invalid(_) | crate::service::ServiceError::Denied(_))) => {
            let (_, message) = HttpError::from(e).field_message();
            let html = page_with(&state, &user, &code, Some((&form, message)), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
