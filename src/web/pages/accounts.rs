//! The admin's account management: the list of accounts a page at a time, a new account,
//! disabling, enabling and activating one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{render, search_or_default, ListQuery};
use crate::domain::account::Role;
use crate::domain::application::FieldErrors;
use crate::service::account_lists::{self, AccountSearch};
use crate::service::accounts::{self as service, AccountInput};
use crate::service::ServiceError;
use crate::web::auth::{CsrfForm, SessionUser, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// The way back to the list page an action was taken from.
fn back_to(search: &AccountSearch) -> Redirect {
    Redirect::to(&format!("/admin/accounts?{}", search.query_at(search.page())))
}

async fn page(
    state: &AppState,
    user: &SessionUser,
    search: &AccountSearch,
    input: &AccountInput,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, HttpError> {
    let listed = account_lists::every_account(&state.ctx, &user.actor(), search).await?;
    let accounts: Vec<_> = listed
        .accounts
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id,
                "name": a.name,
                "display_name": a.display_name,
                "role_label": a.role.label(),
                "level_label": a.level.map(crate::domain::region::Level::label),
                "region": a.region.map(|r| r.to_string()),
                "region_name": a.region.map(|r| crate::domain::region::region_name(r.as_str())),
                "disabled": a.disabled,
                "needs_password": a.password_hash == crate::store::register::NO_PASSWORD,
            })
        })
        .collect();
    let mut input = input.clone();
    input.password.clear();
    let data = json!({
        "accounts": accounts, "unreadable": listed.unreadable, "total": listed.total, "page": listed.page, "pages": listed.pages,
        "search": search, "query": search.query(), "back": search.query_at(listed.page),
        "roles": Role::ALL.map(|r| json!({ "key": r.as_str(), "label": r.label() })),
        "region_options": super::region_options("", 1, search.region.trim()),
        "input": input, "errors": errors, "regions": super::region_picker(""),
    });
    Ok((status, render(state, Some(user), "accounts.html", data)?).into_response())
}

/// `GET /admin/accounts`: a page of the accounts, searched by name, role, region and state,
/// and the form for a new one (admins).
pub async fn list(
    State(state): State<AppState>,
    User(user): User,
    query: ListQuery<AccountSearch>,
) -> Result<Response, HttpError> {
    page(&state, &user, &search_or_default(query), &AccountInput::default(), &FieldErrors::new(), StatusCode::OK).await
}

/// `POST /admin/accounts`: creates an account, or shows the form again with each field's problem.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<AccountInput>,
) -> Result<Response, HttpError> {
    match service::create_account(&state.ctx, &user.actor(), &form).await {
        Ok(_) => Ok(Redirect::to("/admin/accounts").into_response()),
        Err(ServiceError::Invalid(errors)) => {
            page(&state, &user, &AccountSearch::default(), &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The disable/enable button's form.
#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    disabled: String,
}

/// `POST /admin/accounts/{id}/disabled`: disables or enables an account.
pub async fn set_disabled(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    query: ListQuery<AccountSearch>,
    CsrfForm { user, form }: CsrfForm<DisableForm>,
) -> Result<Response, HttpError> {
    service::set_disabled(&state.ctx, &user.actor(), id, form.disabled == "1").await?;
    Ok(back_to(&search_or_default(query)).into_response())
}

/// The activation form: the initial password.
#[derive(Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    password: String,
}

/// `POST /admin/accounts/{id}/activate`: sets an imported account's initial password and
/// enables it.
pub async fn activate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    query: ListQuery<AccountSearch>,
    CsrfForm { user, form }: CsrfForm<ActivateForm>,
) -> Result<Response, HttpError> {
    service::activate(&state.ctx, &user.actor(), id, &form.password).await?;
    Ok(back_to(&search_or_default(query)).into_response())
}
