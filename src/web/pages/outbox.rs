//! The admins' record of every notice: filter by state and channel, send a given-up one again.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::service::outbox as service;
use crate::store::outbox::{Channel, Filter};
use crate::web::auth::{CsrfForm, NoFields, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The outbox page's filters.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct OutboxFilter {
    status: String,
    channel: String,
}

const STATUSES: [(&str, &str); 4] = [("", "全部"), ("waiting", "未发送"), ("failed", "发送失败"), ("sent", "已发送")];

/// `GET /admin/outbox`: the messages, filtered by state and channel (admins).
pub async fn list(
    State(state): State<AppState>,
    User(user): User,
    Query(filter): Query<OutboxFilter>,
) -> Result<Html<String>, HttpError> {
    let status = match filter.status.as_str() {
        "waiting" => Filter::Waiting,
        "failed" => Filter::Failed,
        "sent" => Filter::Sent,
        _ => Filter::All,
    };
    let channel = Channel::parse(&filter.channel);
    let notices = service::list(&state.ctx, &user.actor(), status, channel).await?;
    let config = &state.ctx.config;
    let data = json!({
        "notices": notices, "filter": filter, "statuses": STATUSES,
        "mail_on": config.mail.enabled, "sms_on": config.sms.enabled,
    });
    render(&state, Some(&user), "outbox.html", data)
}

/// `POST /admin/outbox/{id}/resend`: queues a given-up message again.
pub async fn resend(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, .. }: CsrfForm<NoFields>,
) -> Result<Response, HttpError> {
    service::resend(&state.ctx, &user.actor(), id).await?;
    Ok(Redirect::to("/admin/outbox?status=waiting").into_response())
}
