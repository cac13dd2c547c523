//! Change (变更) and cancellation (注销) requests on a badge's page: the unit's forms, the
//! office's decision, and the site's history of requests.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::badge::SiteCode;
use crate::domain::site_request::{field_label, RequestState};
use crate::service::site_requests as service;
use crate::service::ServiceError;
use crate::web::auth::{CodePath, CsrfForm, SessionUser};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// What the badge page shows of requests: the history, the unit's forms, the office's form.
/// `typed` and `errors` refill a refused form.
pub async fn section(
    state: &AppState,
    user: &SessionUser,
    code: &SiteCode,
    unit_id: i64,
    typed: Option<&BTreeMap<String, String>>,
    errors: &BTreeMap<&'static str, String>,
) -> Result<Value, HttpError> {
    let actor = user.actor();
    let requests = service::for_site(&state.ctx, &actor, code).await?;
    let decides = service::decides_for(&state.ctx, &actor, unit_id).await?;
    let current = service::current_values(&state.ctx, code).await?;
    let history: Vec<Value> = requests
        .iter()
        .map(|r| {
            let changes: BTreeMap<String, String> = serde_json::from_str(&r.changes).unwrap_or_default();
            let previous: BTreeMap<String, String> = serde_json::from_str(&r.previous).unwrap_or_default();
            // A pending change would replace the current values; a decided one shows what it did.
            let from = |f: &str| match r.state {
                RequestState::Pending => current.get(f).cloned(),
                _ => previous.get(f).cloned(),
            };
            let lines: Vec<Value> =
                changes.iter().map(|(f, v)| json!({ "label": field_label(f), "to": v, "from": from(f) })).collect();
            json!({
                "id": r.id, "kind": r.kind.label(), "state": r.state.as_str(), "state_label": r.state.label(),
                "pending": r.state == RequestState::Pending, "changes": lines, "reason": r.reason,
                "decider": r.decider, "decision_reason": r.decision_reason,
                "created_at": r.created_at.to_rfc3339(), "decided_at": r.decided_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    let form = service::change_form(&state.ctx, &actor, code).await?.map(|fields| {
        fields
            .into_iter()
            .map(|(f, label, value)| {
                let value = typed.and_then(|t| t.get(f).cloned()).unwrap_or(value);
                json!({ "field": f, "label": label, "value": value, "error": errors.get(f) })
            })
            .collect::<Vec<_>>()
    });
    Ok(json!({
        "history": history,
        "change_form": form,
        "pending": requests.iter().any(|r| r.state == RequestState::Pending),
        "decides": decides,
        "reason_error": errors.get("reason"),
        "typed_reason": typed.and_then(|t| t.get("reason")),
    }))
}

/// A change request as the form posts it: the changeable fields and the reason.
#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// A reason alone (cancellation) or a decision with its reason.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn refused(
    state: &AppState,
    user: &SessionUser,
    code: &SiteCode,
    typed: &BTreeMap<String, String>,
    e: ServiceError,
) -> Result<Response, HttpError> {
    let errors = match e {
        ServiceError::Invalid(errors) => errors,
        e => return Err(e.into()),
    };
    let html = super::badges::page_with(state, user, code, None, Some((typed, &errors))).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// `POST /badges/{code}/change`: the unit asks to change its site's name, domains or contacts.
pub async fn change(
    State(state): State<AppState>,
    CodePath(code): CodePath,
    CsrfForm { user, form }: CsrfForm<ChangeForm>,
) -> Result<Response, HttpError> {
    let reason = form.fields.get("reason").cloned().unwrap_or_default();
    match service::request_change(&state.ctx, &user.actor(), &code, &form.fields, &reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/badges/{code}")).into_response()),
        Err(e) => refused(&state, &user, &code, &form.fields, e).await,
    }
}

/// `POST /badges/{code}/cancel`: the unit asks to close its site.
pub async fn cancel(
    State(state): State<AppState>,
    CodePath(code): CodePath,
    CsrfForm { user, form }: CsrfForm<DecisionForm>,
) -> Result<Response, HttpError> {
    match service::request_cancel(&state.ctx, &user.actor(), &code, &form.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/badges/{code}")).into_response()),
        Err(e) => {
            let typed = BTreeMap::from([("reason".to_owned(), form.reason.clone())]);
            refused(&state, &user, &code, &typed, e).await
        }
    }
}

/// `POST /site-requests/{id}/decision`: the office approves or refuses.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<DecisionForm>,
) -> Result<Response, HttpError> {
    let request = crate::store::site_requests::get(&state.ctx.pool, id).await.map_err(ServiceError::from)?;
    let code = SiteCode::parse(&request.badge_code).ok_or_else(HttpError::not_found)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, "请选择审核结果")),
    };
    match service::decide(&state.ctx, &user.actor(), id, approve, &form.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/badges/{code}")).into_response()),
        Err(e) => {
            let typed = BTreeMap::from([("reason".to_owned(), form.reason.clone())]);
            refused(&state, &user, &code, &typed, e).await
        }
    }
}
