//! The admins' page for taking in the register of existing sites: upload a CSV or XLSX file,
//! see what each row would do (a dry run unless 确认导入 is ticked), the import template, and
//! the runs so far.

use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::render;
use crate::domain::account::Role;
use crate::domain::register::{heading, COLUMNS};
use crate::service::register::{self as service, RowAction};
use crate::web::auth::{SessionUser, User};
use crate::web::error::HttpError;
use crate::web::state::AppState;

use crate::web::upload::MAX_FILE_BYTES;

fn admin_only(user: &SessionUser) -> Result<(), HttpError> {
    if user.account.role == Role::Admin {
        Ok(())
    } else {
        Err(HttpError::forbidden())
    }
}

async fn page(state: &AppState, user: &SessionUser, result: Value, status: StatusCode) -> Result<Response, HttpError> {
    let runs =
        crate::store::register::recent_runs(&state.ctx.pool, 10).await.map_err(crate::service::ServiceError::from)?;
    let columns: Vec<Value> = COLUMNS.iter().map(|c| json!({ "heading": c.heading, "required": c.required })).collect();
    let data = json!({ "columns": columns, "runs": runs, "result": result, "max_mb": MAX_FILE_BYTES / 1024 / 1024 });
    Ok((status, render(state, Some(user), "register.html", data)?).into_response())
}

/// `GET /admin/register`: the upload form, the columns and the runs so far (admins).
pub async fn form(State(state): State<AppState>, User(user): User) -> Result<Response, HttpError> {
    admin_only(&user)?;
    page(&state, &user, Value::Null, StatusCode::OK).await
}

/// `GET /admin/register/template.csv`: the heading row, for offices to fill in.
pub async fn template(User(user): User) -> Result<Response, HttpError> {
    admin_only(&user)?;
    let headings: Vec<&str> = COLUMNS.iter().map(|c| c.heading).collect();
    // A BOM so that Excel opens the UTF-8 file with its Chinese headings intact.
    let body = format!("\u{feff}{}\r\n", headings.join(","));
    let disposition = "attachment; filename=\"register-template.csv\"; filename*=UTF-8''%E7%BD%91%E7%AB%99%E6%B3%A8%E5%86%8C%E5%BA%93%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.csv";
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

/// Rows of a plan the page lists at most (`govbadge import register` lists every one); the
/// counts above the list are of all rows.
const MAX_LISTED_ROWS: usize = 1_000;

/// `POST /admin/register`: plans the uploaded file and, when 确认导入 is ticked and the file
/// has no problems, imports it (all rows or none).
pub async fn upload(
    State(state): State<AppState>,
    User(user): User,
    multipart: Multipart,
) -> Result<Response, HttpError> {
    admin_only(&user)?;
    let upload = crate::web::upload::read(&state, &user, multipart).await?;
    let asked_to_apply = upload.ticked("apply");
    if upload.bytes.is_empty() {
        let result = json!({ "error": "请选择要导入的CSV或XLSX文件" });
        return page(&state, &user, result, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let actor = user.actor();
    let plan = service::plan(&state.ctx, Some(&actor), &upload.bytes, &upload.file_name).await?;
    let applied = if asked_to_apply && plan.problems.is_empty() {
        Some(service::apply(&state.ctx, Some(&actor), &plan).await?)
    } else {
        None
    };
    let (added, updated, unchanged) = plan.counts();
    let rows: Vec<Value> = plan
        .rows
        .iter()
        .take(MAX_LISTED_ROWS)
        .map(|r| {
            let fields = match &r.action {
                RowAction::Update(keys) => keys.iter().map(|k| heading(k)).collect::<Vec<_>>().join("、"),
                _ => String::new(),
            };
            json!({ "row": r.row, "code": r.code, "site_name": r.site_name, "action": r.action.label(), "fields": fields })
        })
        .collect();
    let status = if plan.problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let result = json!({
        "file_name": plan.file_name,
        "rows_total": plan.rows_total,
        "added": added, "updated": updated, "unchanged": unchanged,
        "rows_planned": plan.rows.len(),
        "rows_listed": rows.len(),
        "rows": rows,
        "problems": plan.problems,
        "problems_total": plan.problems_total,
        "asked_to_apply": asked_to_apply,
        "applied": applied,
    });
    page(&state, &user, result, status).await
}
