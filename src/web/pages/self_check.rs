//! The unit's self-check pages: check one page now, or the whole site in the background.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::render;
use crate::check::Verdict;
use crate::crawl::fetch::Failure;
use crate::domain::account::Role;
use crate::domain::application::FieldErrors;
use crate::render::{page_compliant, rendered_decides, RenderVerdict};
use crate::service::{self_check as service, ServiceError};
use crate::store::sweeps;
use crate::web::auth::{CsrfForm, SessionUser, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

async fn sites(state: &AppState, user: &SessionUser) -> Result<Vec<Value>, HttpError> {
    let rows = sweeps::sites_of_unit(&state.ctx.pool, user.account.id).await?;
    Ok(rows
        .into_iter()
        .filter(|s| s.status == crate::domain::badge::BadgeStatus::Active)
        .map(|s| json!({ "code": s.code, "site_name": s.site_name, "domain": s.domain_en }))
        .collect())
}

async fn page(state: &AppState, user: &SessionUser, data: Value, status: StatusCode) -> Result<Response, HttpError> {
    if user.account.role != Role::Unit {
        return Err(HttpError::forbidden());
    }
    let mut data = data;
    data["sites"] = json!(sites(state, user).await?);
    Ok((status, render(state, Some(user), "self_check.html", data)?).into_response())
}

/// `GET /self-check`: the unit's self-check form and recent runs.
pub async fn form(State(state): State<AppState>, User(user): User) -> Result<Response, HttpError> {
    page(&state, &user, json!({}), StatusCode::OK).await
}

/// The self-check form: the badge and a page URL.
#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    url: String,
}

/// One page's result as the unit reads it.
fn page_json(
    url: &str,
    outcome: &str,
    status: Option<i64>,
    verdict: Option<&str>,
    warnings: &[&str],
    title: Option<&str>,
    rendered: Option<(RenderVerdict, bool)>,
) -> Value {
    let verdict = verdict.and_then(Verdict::parse);
    let ok = verdict.is_some_and(|v| page_compliant(v, rendered.map(|r| r.0)));
    // Where the browser's view decides (a footer written by script, a badge off centre), the
    // unit reads that; otherwise the static verdict.
    let decisive = rendered.filter(|(r, _)| verdict.is_some_and(|v| rendered_decides(v, Some(*r)).is_some()));
    let (label, advice) = match (verdict, decisive) {
        (Some(_), Some((r, true))) => (Some(format!("{}（标识由脚本写入）", r.label())), r.advice().to_owned()),
        (Some(_), Some((r, false))) => (Some(r.label().to_owned()), r.advice().to_owned()),
        (Some(v), None) => (Some(v.label().to_owned()), v.advice().to_owned()),
        (None, _) => {
            (None, Failure::parse(outcome).map_or_else(|| outcome.to_owned(), |f| format!("未能检查：{}", f.advice())))
        }
    };
    let warning_advice: Vec<&str> =
        warnings.iter().filter_map(|w| crate::check::Warning::parse(w)).map(crate::check::Warning::advice).collect();
    json!({
        "url": url,
        "status": status,
        "ok": ok,
        "verdict_label": label,
        "advice": advice,
        "warnings": warning_advice,
        "title": title,
    })
}

/// `POST /self-check/page`: checks one page of the unit's site.
pub async fn check_page(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<CheckForm>,
) -> Result<Response, HttpError> {
    match service::check_page(&state.ctx, &user.actor(), &form.code, &form.url).await {
        Ok(r) => {
            let checked = r.page();
            let warnings: Vec<&str> = checked.iter().flat_map(|p| &p.warnings).map(|w| w.as_str()).collect();
            let result = page_json(
                &r.url,
                r.outcome_str(),
                r.status.map(i64::from),
                r.verdict().map(crate::check::Verdict::as_str),
                &warnings,
                checked.and_then(|p| p.title.as_deref()),
                checked.and_then(|p| p.rendered.as_ref()).map(|r| (r.verdict, r.script_inserted)),
            );
            page(
                &state,
                &user,
                json!({ "result": result, "input": { "code": form.code, "url": form.url } }),
                StatusCode::OK,
            )
            .await
        }
        Err(ServiceError::Invalid(errors)) => {
            let data = json!({ "errors": errors, "input": { "code": form.code, "url": form.url } });
            page(&state, &user, data, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /self-check/site`: starts a check of the whole site.
pub async fn check_site(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<CheckForm>,
) -> Result<Response, HttpError> {
    match service::start_site_check(&state.ctx, &user.actor(), &form.code).await {
        Ok(id) => Ok(Redirect::to(&format!("/self-check/runs/{id}")).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            page(
                &state,
                &user,
                json!({ "errors": errors, "input": { "code": form.code } }),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /self-check/runs/{id}/screenshots/{shot}`: the bottom of a page of the unit's run as the
/// rendered check saw it (PNG): the unit sees what the checker saw.
pub async fn run_screenshot(
    State(state): State<AppState>,
    User(user): User,
    Path((id, shot)): Path<(i64, i64)>,
) -> Result<Response, HttpError> {
    let (_, site, pages) = service::run(&state.ctx, &user.actor(), id).await?;
    if !pages.iter().any(|p| p.screenshot_id == Some(shot)) {
        return Err(HttpError::not_found());
    }
    let png = sweeps::screenshot(&state.ctx.pool, &site.code, shot).await.map_err(ServiceError::from)?;
    let png = png.ok_or_else(HttpError::not_found)?;
    Ok(super::dashboard::png_response(png))
}

/// `GET /self-check/runs/{id}`: a self-check run's pages.
pub async fn run(State(state): State<AppState>, User(user): User, Path(id): Path<i64>) -> Result<Response, HttpError> {
    let (sweep, site, pages) = service::run(&state.ctx, &user.actor(), id).await?;
    let rows: Vec<Value> = pages
        .iter()
        .map(|p| {
            let warnings: Vec<&str> = p.warnings.split(',').filter(|w| !w.is_empty()).collect();
            let rendered = p.rendered.as_deref().and_then(RenderVerdict::parse).map(|r| (r, p.script_inserted()));
            let mut row = page_json(
                &p.url,
                &p.outcome,
                p.http_status,
                p.verdict.as_deref(),
                &warnings,
                p.title.as_deref(),
                rendered,
            );
            row["screenshot_id"] = json!(p.screenshot_id);
            row
        })
        .collect();
    let checked = rows.iter().filter(|r| r["verdict_label"].is_string()).count();
    let compliant = rows.iter().filter(|r| r["ok"] == true).count();
    let data = json!({
        "run": { "id": sweep.id, "running": sweep.status == "running", "started_at": sweep.started_at.to_rfc3339() },
        "site": { "code": site.code, "site_name": site.site_name, "domain": site.domain_en },
        "pages": rows,
        "checked": checked,
        "compliant": compliant,
        "errors": FieldErrors::new(),
    });
    Ok(render(&state, Some(&user), "self_check_run.html", data)?.into_response())
}
