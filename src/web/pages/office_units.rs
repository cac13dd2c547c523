//! The staffing offices' page for the unit accounts of their area: the list (a page at a
//! time, searched by name, region and state), a new account
//! (with a password, or without one for the unit to set through 找回密码), and a file of
//! accounts created all at once.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{json, Value};

use super::{render, search_or_default, ListQuery};
use crate::domain::account::Role;
use crate::domain::application::FieldErrors;
use crate::domain::region::region_name;
use crate::service::account_lists::{self, AccountSearch};
use crate::service::accounts::{self as service, AccountInput, RowProblem};
use crate::service::register::{table, MAX_LISTED_PROBLEMS};
use crate::service::ServiceError;
use crate::web::auth::{CsrfForm, SessionUser, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The bulk file's columns: heading and the field it fills.
const COLUMNS: [(&str, &str); 5] = [
    ("账号", "name"),
    ("单位名称", "display_name"),
    ("行政区划", "region"),
    ("联系邮箱", "email"),
    ("联系手机", "mobile"),
];

/// The page: a page of the area's unit accounts as `search` asks, and the forms.
async fn page(
    state: &AppState,
    user: &SessionUser,
    search: &AccountSearch,
    input: &AccountInput,
    errors: &FieldErrors,
    bulk: Value,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let actor = user.actor();
    let listed = account_lists::units_in_area(&state.ctx, &actor, search).await?;
    let units: Vec<Value> = listed
        .accounts
        .iter()
        .map(|a| {
            let region = a.region.map(|r| r.to_string()).unwrap_or_default();
            json!({
                "id": a.id, "name": a.name, "display_name": a.display_name, "region_name": region_name(&region),
                "disabled": a.disabled, "no_password": a.password_hash == crate::store::register::NO_PASSWORD,
            })
        })
        .collect();
    let area = actor.oversight_prefix().unwrap_or_default();
    let regions = super::region_picker(&area);
    // 中央编办 picks a province or a city; an office below it also a county of its area.
    let region_options = super::region_options(&area, if area.is_empty() { 1 } else { 2 }, search.region.trim());
    let mut input = input.clone();
    input.password.clear();
    let headings: Vec<&str> = COLUMNS.iter().map(|(h, _)| *h).collect();
    let data = json!({
        "units": units, "unreadable": listed.unreadable, "total": listed.total, "page": listed.page, "pages": listed.pages,
        "search": search, "query": search.query(), "back": search.query_at(listed.page),
        "region_options": region_options, "input": input, "errors": errors, "regions": regions, "bulk": bulk, "headings": headings,
    });
    Ok((status, render(state, Some(user), "office_units.html", data)?).into_response())
}

fn office_only(user: &SessionUser) -> Result<(), HttpError> {
    if user.account.role == Role::Reviewer {
        Ok(())
    } else {
        Err(HttpError::forbidden())
    }
}

/// `GET /office/units`: a page of the unit accounts of the office's area, searched by name,
/// region and state, and the forms (offices).
pub async fn list(
    State(state): State<AppState>,
    User(user): User,
    query: ListQuery<AccountSearch>,
) -> Result<Response, HttpError> {
    office_only(&user)?;
    let search = search_or_default(query);
    page(&state, &user, &search, &AccountInput::default(), &FieldErrors::new(), Value::Null, StatusCode::OK).await
}

/// `POST /office/units`: creates one unit account, or shows the form again with each
/// field's problem.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<AccountInput>,
) -> Result<Response, HttpError> {
    office_only(&user)?;
    let mut input = form;
    input.role = "unit".into();
    match service::create_account(&state.ctx, &user.actor(), &input).await {
        Ok(_) => Ok(Redirect::to("/office/units").into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let search = AccountSearch::default();
            page(&state, &user, &search, &input, &errors, Value::Null, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /office/units/import`: a CSV or XLSX of unit accounts, all created or none.
pub async fn import(
    State(state): State<AppState>,
    User(user): User,
    multipart: Multipart,
) -> Result<Response, HttpError> {
    office_only(&user)?;
    let upload = crate::web::upload::read(&state, &user, multipart).await?;
    // The first problems are listed, and all counted: a page of every one, for a 1.4 MB file
    // of 100,000 bad rows, took the server to 1.3 GB and was 57 MB (BENCHMARKS.md §5).
    let refused = |problems: Vec<RowProblem>| {
        json!({ "problems": problems.iter().take(MAX_LISTED_PROBLEMS).map(|p| json!({
        "row": p.row, "field": COLUMNS.iter().find(|(_, f)| *f == p.field).map_or(p.field, |(h, _)| *h), "reason": p.reason,
    })).collect::<Vec<_>>(), "problems_total": problems.len() })
    };
    let table = match table::read_off_runtime(&upload.bytes, &upload.file_name).await {
        Ok(t) => t,
        Err(e) => {
            let bulk = refused(vec![RowProblem { row: 1, field: "name", reason: e.to_string() }]);
            return page(
                &state,
                &user,
                &AccountSearch::default(),
                &AccountInput::default(),
                &FieldErrors::new(),
                bulk,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let index = |heading: &str| table.headings.iter().position(|h| h.trim().trim_start_matches('\u{feff}') == heading);
    let columns: Vec<(Option<usize>, &str)> = COLUMNS.iter().map(|(h, f)| (index(h), *f)).collect();
    let rows: Vec<(usize, AccountInput)> = table
        .rows
        .iter()
        .zip(&table.numbers)
        .map(|(row, number)| {
            let cell = |field: &str| {
                columns
                    .iter()
                    .find(|(_, f)| *f == field)
                    .and_then(|(i, _)| *i)
                    .and_then(|i| row.get(i))
                    .cloned()
                    .unwrap_or_default()
            };
            let input = AccountInput {
                name: cell("name"),
                display_name: cell("display_name"),
                region: cell("region"),
                email: cell("email"),
                mobile: cell("mobile"),
                ..AccountInput::default()
            };
            (*number, input)
        })
        .collect();
    let (bulk, status) = match service::create_units(&state.ctx, &user.actor(), &rows).await {
        Ok(created) => (json!({ "created": created }), StatusCode::OK),
        Err(problems) => (refused(problems), StatusCode::UNPROCESSABLE_ENTITY),
    };
    page(&state, &user, &AccountSearch::default(), &AccountInput::default(), &FieldErrors::new(), bulk, status).await
}

/// The activation form: the initial password.
#[derive(serde::Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    password: String,
}

/// `POST /office/units/{id}/activate`: sets an imported unit account's initial password and
/// enables it.
pub async fn activate(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    query: ListQuery<AccountSearch>,
    CsrfForm { user, form }: CsrfForm<ActivateForm>,
) -> Result<Response, HttpError> {
    office_only(&user)?;
    service::activate(&state.ctx, &user.actor(), id, &form.password).await?;
    let search = search_or_default(query);
    Ok(Redirect::to(&format!("/office/units?{}", search.query_at(search.page()))).into_response())
}
