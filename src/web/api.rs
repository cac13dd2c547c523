//! The JSON API: the same operations as the pages, for bearer-token clients. Described by the
//! `OpenAPI` document at `/api/openapi.json`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::application::ApplicationInput;
use crate::domain::badge::BadgeStatus;
use crate::service::applications::{self as service, Decision, PaperAction};
use crate::service::{account_lists, accounts, application_lists, badges, site_requests};
use crate::web::auth::{ApiUser, ClientAddress};
use crate::web::error::ApiError;
use crate::web::state::AppState;
use crate::web::view::{application_json, application_row};

type ApiResult<T = Json<Value>> = Result<T, ApiError>;

fn bad_request(message: &str) -> ApiError {
    ApiError::bad_request(message)
}

/// JSON bodies that do not parse get a 400 JSON error, not axum's plain-text rejection.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "请求体过大"))
            }
            Err(rejection) => Err(bad_request(&format!("请求体不是有效的JSON：{}", rejection.body_text()))),
        }
    }
}

/// A path parameter that does not parse is a 400 JSON error, not axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(rejection) => Err(bad_request(&format!("路径参数无效：{}", rejection.body_text()))),
        }
    }
}

/// A query string that does not parse is a 400 JSON error.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(bad_request(&format!("查询参数无效：{}", rejection.body_text()))),
        }
    }
}

/// `POST /api/sessions`: name and password.
#[derive(Deserialize)]
pub struct LoginBody {
    name: String,
    password: String,
}

/// `POST /api/sessions`: signs in and answers the bearer token.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let session = accounts::login(&state.ctx, &body.name, &body.password, &address).await?;
    let a = &session.account;
    let body = json!({
        "token": session.token,
        "account": { "id": a.id, "name": a.name, "role": a.role.as_str(), "level": a.level.map(super::super::domain::region::Level::as_str), "region": a.region.map(|r| r.to_string()) },
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /api/sessions`: ends the caller's session.
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    _user: ApiUser,
) -> ApiResult<StatusCode> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    accounts::logout(&state.ctx, token.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/applications`: a page of the applications the caller may see, the latest changed
/// first, searched by name, domain, code and state.
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(search): ApiQuery<application_lists::ApplicationSearch>,
) -> ApiResult {
    let actor = user.actor();
    let listed = application_lists::page(&state.ctx, &actor, &search).await?;
    let items: Vec<Value> = listed.views.iter().map(|v| application_row(&actor, v)).collect();
    Ok(Json(json!({
        "items": items, "total": listed.total, "page": listed.page, "pages": listed.pages,
        "page_size": application_lists::PAGE_SIZE, "unreadable": listed.unreadable,
    })))
}

/// The page of the queue asked for.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    page: String,
}

/// `GET /api/queue`: a page of the applications where the calling reviewer owes the next step,
/// the longest waiting first, with how many wait in all and how many are overdue (empty for
/// anyone else, who owes no step).
pub async fn queue(State(state): State<AppState>, user: ApiUser, ApiQuery(query): ApiQuery<QueueQuery>) -> ApiResult {
    let actor = user.actor();
    let asked = crate::service::paging::page_number(&query.page);
    let queue = application_lists::queue(&state.ctx, &actor, asked).await?;
    let items: Vec<Value> = queue.slice.items.iter().map(|v| application_row(&actor, v)).collect();
    Ok(Json(json!({
        "items": items, "total": queue.slice.total, "overdue": queue.overdue, "page": queue.slice.page,
        "pages": queue.slice.pages, "page_size": application_lists::PAGE_SIZE, "unreadable": queue.unreadable,
    })))
}

/// `POST /api/applications`: the form, and whether to submit it at once.
#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(flatten)]
    input: ApplicationInput,
    #[serde(default)]
    submit: bool,
}

/// `POST /api/applications`: creates a draft (units), submitted when `submit` is true.
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let actor = user.actor();
    let id = service::create(&state.ctx, &actor, &body.input, body.submit).await?;
    let view = service::view(&state.ctx, &actor, id).await?;
    Ok((StatusCode::CREATED, Json(application_json(&actor, &view))).into_response())
}

/// `GET /api/applications/{id}`: one application with its history.
pub async fn get(State(state): State<AppState>, user: ApiUser, ApiPath(id): ApiPath<i64>) -> ApiResult {
    let actor = user.actor();
    let view = service::view(&state.ctx, &actor, id).await?;
    Ok(Json(application_json(&actor, &view)))
}

/// `PUT /api/applications/{id}`: the form, the version it was read at, and whether to submit.
#[derive(Deserialize)]
pub struct UpdateBody {
    #[serde(flatten)]
    input: ApplicationInput,
    version: i64,
    #[serde(default)]
    submit: bool,
}

/// `PUT /api/applications/{id}`: saves a draft or returned application.
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> ApiResult {
    let actor = user.actor();
    service::update(&state.ctx, &actor, id, body.version, &body.input, body.submit).await?;
    get(State(state), user, ApiPath(id)).await
}

/// The version an application was read at.
#[derive(Deserialize)]
pub struct VersionBody {
    version: i64,
}

/// `POST /api/applications/{id}/submit`: submits it for review.
pub async fn submit(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<VersionBody>,
) -> ApiResult {
    service::submit(&state.ctx, &user.actor(), id, body.version).await?;
    get(State(state), user, ApiPath(id)).await
}

/// A review or paper step: version, decision and the reason of a refusal.
#[derive(Deserialize)]
pub struct StepBody {
    version: i64,
    decision: String,
    #[serde(default)]
    reason: String,
    /// The checklist items checked (to approve: the review's four; to receive the paper: the
    /// four materials).
    #[serde(default)]
    checklist: Vec<String>,
}

/// `POST /api/applications/{id}/review`: approves or rejects an online review step.
pub async fn review(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StepBody>,
) -> ApiResult {
    let decision = match body.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => return Err(bad_request("decision 应为 approve 或 reject")),
    };
    service::review(&state.ctx, &user.actor(), id, body.version, decision, &body.reason, &body.checklist).await?;
    get(State(state), user, ApiPath(id)).await
}

/// `POST /api/applications/{id}/paper`: records the paper step (receive, confirm, problem).
pub async fn paper(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StepBody>,
) -> ApiResult {
    let action = match body.decision.as_str() {
        "receive" => PaperAction::Receive,
        "confirm" => PaperAction::Confirm,
        "confirm_new_code" => PaperAction::ConfirmWithNewCode,
        "file" => PaperAction::File,
        "problem" => PaperAction::Problem,
        _ => return Err(bad_request("decision 应为 receive、confirm 或 problem")),
    };
    service::paper(&state.ctx, &user.actor(), id, body.version, action, &body.reason, &body.checklist).await?;
    get(State(state), user, ApiPath(id)).await
}

/// The badge status to set and why.
#[derive(Deserialize)]
pub struct BadgeStatusBody {
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /api/badges/{code}/status`: suspends, restores or revokes a badge.
pub async fn badge_status(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(code): ApiPath<crate::domain::badge::SiteCode>,
    ApiJson(body): ApiJson<BadgeStatusBody>,
) -> ApiResult {
    let to = BadgeStatus::parse(&body.status).ok_or_else(|| bad_request("status 应为 active、suspended 或 revoked"))?;
    badges::change_status(&state.ctx, &user.actor(), &code, to, &body.reason).await?;
    let (badge, _) = badges::get(&state.ctx, &user.actor(), &code).await?;
    Ok(Json(json!({ "code": badge.code, "status": badge.status })))
}

/// A start date and a number of working days.
#[derive(Deserialize)]
pub struct DeadlineQuery {
    date: String,
    #[serde(default)]
    days: Option<u32>,
}

/// Public: the working-day calendar.
pub async fn deadline(State(state): State<AppState>, ApiQuery(q): ApiQuery<DeadlineQuery>) -> ApiResult {
    let date: chrono::NaiveDate = q.date.parse().map_err(|_| bad_request("date 应为 YYYY-MM-DD"))?;
    let days = q.days.unwrap_or(5);
    if days > 366 {
        return Err(bad_request("days 不得超过366"));
    }
    let due = state.ctx.calendar.add_working_days(date, days);
    Ok(Json(
        json!({ "date": date.to_string(), "days": days, "due": due.date.to_string(), "provisional": due.provisional }),
    ))
}

/// Admin: a page of the accounts, searched by name, role, region and state.
pub async fn accounts(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(search): ApiQuery<account_lists::AccountSearch>,
) -> ApiResult {
    let listed = account_lists::every_account(&state.ctx, &user.actor(), &search).await?;
    let items: Vec<Value> = listed
        .accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "name": a.name, "display_name": a.display_name, "role": a.role.as_str(),
                "level": a.level.map(super::super::domain::region::Level::as_str), "region": a.region.map(|r| r.to_string()), "disabled": a.disabled,
            })
        })
        .collect();
    Ok(Json(json!({
        "items": items, "total": listed.total, "page": listed.page, "pages": listed.pages,
        "page_size": account_lists::PAGE_SIZE, "unreadable": listed.unreadable,
    })))
}

/// Admin: a new account.
pub async fn create_account(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<accounts::AccountInput>,
) -> ApiResult<Response> {
    let id = accounts::create_account(&state.ctx, &user.actor(), &body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

/// Whether the account is to be disabled.
#[derive(Deserialize)]
pub struct DisabledBody {
    disabled: bool,
}

/// Admin: disable or re-enable an account (disabling ends its sessions).
pub async fn set_account_disabled(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DisabledBody>,
) -> ApiResult<StatusCode> {
    accounts::set_disabled(&state.ctx, &user.actor(), id, body.disabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A change request: field → new value, and why.
#[derive(Deserialize)]
pub struct ChangeBody {
    #[serde(default)]
    changes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/badges/{code}/change`: the unit asks to change its site's name, domains or
/// contacts.
pub async fn request_change(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(code): ApiPath<crate::domain::badge::SiteCode>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> ApiResult<Response> {
    let id = site_requests::request_change(&state.ctx, &user.actor(), &code, &body.changes, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

/// A reason, alone or with a decision.
#[derive(Deserialize)]
pub struct ReasonBody {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/badges/{code}/cancel`: the unit asks to close its site.
pub async fn request_cancel(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(code): ApiPath<crate::domain::badge::SiteCode>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> ApiResult<Response> {
    let id = site_requests::request_cancel(&state.ctx, &user.actor(), &code, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

/// `GET /api/v1/badges/{code}/requests`: the site's change and cancellation requests.
pub async fn site_request_list(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(code): ApiPath<crate::domain::badge::SiteCode>,
) -> ApiResult {
    let requests = site_requests::for_site(&state.ctx, &user.actor(), &code).await?;
    let items: Vec<Value> = requests
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "kind": r.kind, "state": r.state, "reason": r.reason,
                "changes": serde_json::from_str::<Value>(&r.changes).unwrap_or_default(),
                "previous": serde_json::from_str::<Value>(&r.previous).unwrap_or_default(),
                "decider": r.decider, "decision_reason": r.decision_reason,
                "created_at": r.created_at, "decided_at": r.decided_at,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/v1/site-requests/{id}/decision`: the office approves or refuses.
pub async fn decide_site_request(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> ApiResult {
    let approve = match body.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(bad_request("decision 应为 approve 或 reject")),
    };
    site_requests::decide(&state.ctx, &user.actor(), id, approve, &body.reason).await?;
    Ok(Json(json!({ "id": id, "state": if approve { "approved" } else { "rejected" } })))
}
