//! Application pages: the unit's portal, the list and queue, the form (new and edit), the
//! detail page with its history, and the posted workflow steps.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{render, search_or_default, ListQuery};
use crate::badge::snippet::snippet_for;
use crate::domain::account::Role;
use crate::domain::application::{ApplicationInput, FieldErrors, SYSTEM_CATEGORIES};
use crate::domain::site_status::site_status;
use crate::domain::workflow::State as WorkflowState;
use crate::service::application_lists::{self, ApplicationSearch};
use crate::service::applications::{self as service, Decision, PaperAction};
use crate::service::paging;
use crate::service::ServiceError;
use crate::web::auth::{CsrfForm, SessionUser, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;
use crate::web::view::{application_json, application_row};

/// The unit's home: its applications and badges.
pub async fn portal(State(state): State<AppState>, User(user): User) -> Result<Response, HttpError> {
    if user.account.role != Role::Unit {
        return Ok(Redirect::to("/applications").into_response());
    }
    let actor = user.actor();
    let listed = service::unit_list(&state.ctx, &actor).await?;
    let apps: Vec<Value> = listed.views.iter().map(|v| application_json(&actor, v)).collect();
    let base = &state.ctx.config.badge.base_url;
    let today = crate::domain::calendar::today_in_china(chrono::Utc::now());
    let mut badges: Vec<Value> = Vec::new();
    for b in service::unit_badges(&state.ctx, &actor).await? {
        let latest = crate::store::sweeps::latest_result(&state.ctx.pool, b.code.as_str()).await?;
        let status = site_status(b.status, latest.as_ref().map(|l| l.site_verdict), b.install_due, today);
        badges.push(json!({
            "code": b.code.as_str(),
            "status": b.status.as_str(),
            "status_label": b.status.label(),
            "site_status": status.as_str(),
            "site_status_label": status.label(),
            "checked_at": latest.as_ref().map(|l| l.checked_at.to_rfc3339()),
            "failing_url": latest.as_ref().and_then(|l| l.first_failing_url.clone()),
            "failing_label": latest.as_ref().and_then(|l| l.first_failing_verdict.as_deref()).and_then(crate::check::Verdict::parse).map(crate::check::Verdict::label),
            "issued_at": b.issued_at.to_rfc3339(),
            "install_due": b.install_due.to_string(),
            "snippet": snippet_for(base, &b.code),
        }));
    }
    let can_print_letter =
        apps.iter().any(|a| a["actions"].as_array().is_some_and(|acts| acts.iter().any(|x| x == "print")));
    let data = json!({
        "applications": apps, "badges": badges, "can_print_letter": can_print_letter, "unreadable": listed.unreadable,
    });
    Ok(render(&state, Some(&user), "portal.html", data)?.into_response())
}

/// `GET /applications`: reviewers and supervisors: what awaits the reviewer (a page of the
/// applications, `queue_page`, and of the change and cancellation requests, `request_page`),
/// then a page of every application of their scope (`page`), searched by name, domain, code and
/// state.
pub async fn list(
    State(state): State<AppState>,
    User(user): User,
    search: ListQuery<ApplicationSearch>,
) -> Result<Response, HttpError> {
    let actor = user.actor();
    if actor.role == Role::Unit {
        return Ok(Redirect::to("/portal").into_response());
    }
    let search = search_or_default(search);
    let queue = application_lists::queue(&state.ctx, &actor, search.queue_page()).await?;
    let waiting: Vec<Value> = queue.slice.items.iter().map(|v| application_row(&actor, v)).collect();
    let listed = application_lists::page(&state.ctx, &actor, &search).await?;
    let unreadable: std::collections::BTreeSet<i64> =
        queue.unreadable.iter().chain(&listed.unreadable).copied().collect();
    let all: Vec<Value> = listed.views.iter().map(|v| application_row(&actor, v)).collect();
    let requests = paging::slice(
        crate::service::site_requests::queue_of(&state.ctx, &actor).await?,
        search.request_page(),
        application_lists::PAGE_SIZE,
    );
    let site_requests: Vec<_> = requests
        .items
        .iter()
        .map(|r| {
            json!({ "code": r.badge_code, "kind": r.kind.label(), "site_name": r.site_name, "unit_name": r.unit_name,
                    "created_at": r.created_at.to_rfc3339() })
        })
        .collect();
    let states: Vec<Value> = WorkflowState::ALL
        .iter()
        .filter(|s| **s != WorkflowState::Draft)
        .map(|s| json!({ "key": s.as_str(), "label": s.label() }))
        .collect();
    let data = json!({
        "waiting": waiting, "waiting_total": queue.slice.total, "waiting_overdue": queue.overdue,
        "queue_page": queue.slice.page, "queue_pages": queue.slice.pages, "all": all,
        "site_requests": site_requests, "requests_total": requests.total, "request_page": requests.page,
        "request_pages": requests.pages, "total": listed.total, "page": listed.page, "pages": listed.pages,
        "search": search, "query": search.query(), "states": states,
        "unreadable": unreadable,
    });
    Ok(render(&state, Some(&user), "applications.html", data)?.into_response())
}

fn form_page(
    state: &AppState,
    user: &SessionUser,
    input: &ApplicationInput,
    errors: &FieldErrors,
    edit: Option<(i64, i64)>,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let data = json!({
        "input": input,
        "errors": errors,
        "categories": SYSTEM_CATEGORIES,
        "edit_id": edit.map(|e| e.0),
        "version": edit.map(|e| e.1),
    });
    Ok((status, render(state, Some(user), "application_form.html", data)?).into_response())
}

/// `GET /applications/new`: the empty form (units).
pub async fn new_form(State(state): State<AppState>, User(user): User) -> Result<Response, HttpError> {
    if user.account.role != Role::Unit {
        return Err(HttpError::forbidden());
    }
    let input = ApplicationInput { kind: "new".into(), ..Default::default() };
    form_page(&state, &user, &input, &FieldErrors::new(), None, StatusCode::OK)
}

/// The posted form: the fields plus which button was pressed and the version edited.
#[derive(Deserialize)]
pub struct PostedForm {
    #[serde(flatten)]
    input: ApplicationInput,
    #[serde(default)]
    action: String,
    #[serde(default)]
    version: String,
}

/// `POST /applications`: saves a draft, or shows the form again with each field's problem.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<PostedForm>,
) -> Result<Response, HttpError> {
    let submit = form.action == "submit";
    match service::create(&state.ctx, &user.actor(), &form.input, submit).await {
        Ok(id) => {
            let done = if submit { "submitted" } else { "saved" };
            Ok(Redirect::to(&format!("/applications/{id}?done={done}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            form_page(&state, &user, &form.input, &errors, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /applications/{id}/edit`: the form of a draft or returned application.
pub async fn edit_form(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let view = service::view(&state.ctx, &user.actor(), id).await?;
    if user.account.role != Role::Unit {
        return Err(HttpError::forbidden());
    }
    if !view.app.state.editable() {
        return Err(HttpError::new(StatusCode::CONFLICT, "当前状态不允许修改"));
    }
    form_page(
        &state,
        &user,
        &view.app.form.to_input(),
        &FieldErrors::new(),
        Some((id, view.app.version)),
        StatusCode::OK,
    )
}

/// `POST /applications/{id}/edit`: saves it, or shows the form again with each field's problem.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<PostedForm>,
) -> Result<Response, HttpError> {
    let submit = form.action == "submit";
    let version = parse_version(&form.version)?;
    match service::update(&state.ctx, &user.actor(), id, version, &form.input, submit).await {
        Ok(()) => {
            let done = if submit { "submitted" } else { "saved" };
            Ok(Redirect::to(&format!("/applications/{id}?done={done}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            form_page(&state, &user, &form.input, &errors, Some((id, version)), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

fn parse_version(text: &str) -> Result<i64, HttpError> {
    text.trim().parse().map_err(|_| HttpError::new(StatusCode::BAD_REQUEST, "缺少版本信息，请刷新页面后重试"))
}

/// The query of a page reached after a step.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    /// The step just done, for the message at the top (a fixed word: no text from the URL is shown).
    done: String,
}

/// The message for a step just done.
fn done_message(done: &str, app: &crate::store::applications::Application) -> Option<String> {
    let state_label = app.state.label();
    // The office the application went on to, by name (已通过，已转至濮阳市委编办).
    let next_office = match app.state {
        crate::domain::workflow::State::Review(level) => crate::domain::region::staffing_office(app.unit_region, level),
        _ => None,
    };
    Some(match (done, next_office) {
        ("saved", _) => "已保存".to_owned(),
        ("submitted", Some(office)) => format!("已提交，已转至{office}审核"),
        ("submitted", None) => format!("已提交，当前状态：{state_label}"),
        ("approved", Some(office)) => format!("已通过，已转至{office}"),
        ("approved", None) => format!("已通过，当前状态：{state_label}"),
        ("rejected", _) => "已退回单位，单位可修改后重新提交".to_owned(),
        ("received", _) => "已接收书面材料".to_owned(),
        ("filed", _) => "已备案，同级机构编制部门可确认书面材料".to_owned(),
        ("issued", _) => "书面材料已确认，网站标识已发放并通知单位".to_owned(),
        ("problem", _) => "已退回，单位须重新提交书面材料".to_owned(),
        _ => return None,
    })
}

/// `GET /applications/{id}`: the application, its history, deadline and the actions open to the user.
pub async fn detail(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<DoneQuery>,
) -> Result<Response, HttpError> {
    let done = Some(query.done.as_str()).filter(|d| !d.is_empty());
    detail_page(&state, &user, id, done, None, StatusCode::OK).await
}

/// A step that did not go through: its reason as typed and the message beside it.
struct StepFailure<'a> {
    reason: &'a str,
    message: String,
}

/// The application's page; after a failed step, with the input kept and the message shown.
async fn detail_page(
    state: &AppState,
    user: &SessionUser,
    id: i64,
    done: Option<&str>,
    failure: Option<StepFailure<'_>>,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let actor = user.actor();
    let view = service::view(&state.ctx, &actor, id).await?;
    let notices = crate::service::outbox::of_application(&state.ctx, &view).await?;
    let flash = done.and_then(|d| done_message(d, &view.app));
    let data = json!({
        "app": application_json(&actor, &view),
        "notices": notices,
        "flash": flash,
        "step": failure.as_ref().map(|f| json!({ "reason": f.reason, "error": f.message })),
        "review_checklist": crate::domain::workflow::REVIEW_CHECKLIST,
        "paper_checklist": crate::domain::workflow::PAPER_CHECKLIST,
    });
    Ok((status, render(state, Some(user), "application.html", data)?).into_response())
}

/// After a step: back to the application with its message, or, when refused for a reason the
/// user can fix (a missing reason, a conflict, bad text), the same page with the input kept.
async fn after_step(
    state: &AppState,
    user: &SessionUser,
    id: i64,
    reason: &str,
    done: &str,
    result: Result<impl Sized, ServiceError>,
) -> Result<Response, HttpError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{id}?done={done}")).into_response()),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Denied(_) | ServiceError::Conflict)) => {
            let (status, message) = HttpError::from(e).field_message();
            detail_page(state, user, id, None, Some(StepFailure { reason, message }), status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A posted workflow step: the version seen, the button, an optional reason.
#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    /// The checklist's boxes (`checklist.<key>`) and anything else posted.
    #[serde(flatten)]
    other: std::collections::BTreeMap<String, String>,
}

impl StepForm {
    /// The keys of the checklist boxes ticked.
    fn checked(&self) -> Vec<String> {
        self.other.keys().filter_map(|k| k.strip_prefix("checklist.")).map(str::to_owned).collect()
    }
}

/// `POST /applications/{id}/submit`: submits it for review.
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<StepForm>,
) -> Result<Response, HttpError> {
    let result = service::submit(&state.ctx, &user.actor(), id, parse_version(&form.version)?).await;
    after_step(&state, &user, id, "", "submitted", result).await
}

/// `POST /applications/{id}/delete`: deletes a draft.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<StepForm>,
) -> Result<Response, HttpError> {
    service::delete_draft(&state.ctx, &user.actor(), id, parse_version(&form.version)?).await?;
    Ok(Redirect::to("/portal").into_response())
}

/// `POST /applications/{id}/review`: an online review step.
pub async fn review(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<StepForm>,
) -> Result<Response, HttpError> {
    let decision = match form.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => return Err(HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, "请选择审核意见")),
    };
    let result = service::review(
        &state.ctx,
        &user.actor(),
        id,
        parse_version(&form.version)?,
        decision,
        &form.reason,
        &form.checked(),
    )
    .await;
    let done = if decision == Decision::Approve { "approved" } else { "rejected" };
    after_step(&state, &user, id, &form.reason, done, result).await
}

/// `POST /applications/{id}/paper`: a paper step.
pub async fn paper(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { user, form }: CsrfForm<StepForm>,
) -> Result<Response, HttpError> {
    let action = match form.decision.as_str() {
        "receive" => PaperAction::Receive,
        "confirm" => PaperAction::Confirm,
        "confirm_new_code" => PaperAction::ConfirmWithNewCode,
        "file" => PaperAction::File,
        "problem" => PaperAction::Problem,
        _ => return Err(HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, "请选择操作")),
    };
    let result = service::paper(
        &state.ctx,
        &user.actor(),
        id,
        parse_version(&form.version)?,
        action,
        &form.reason,
        &form.checked(),
    )
    .await;
    let done = match action {
        PaperAction::Receive => "received",
        PaperAction::Confirm | PaperAction::ConfirmWithNewCode => "issued",
        PaperAction::File => "filed",
        PaperAction::Problem => "problem",
    };
    after_step(&state, &user, id, &form.reason, done, result).await
}
