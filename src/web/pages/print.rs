//! Printable letter (函) and application form (申请表), laid out for A4.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Html;
use serde_json::json;

use super::render;
use crate::service::applications as service;
use crate::web::auth::User;
use crate::web::error::HttpError;
use crate::web::state::AppState;

/// `GET /applications/{id}/print`: the printable form.
pub async fn form(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Html<String>, HttpError> {
    let app = service::for_print(&state.ctx, &user.actor(), id).await?;
    let input = app.form.to_input();
    let data = json!({
        "form": input,
        "kind": app.form.kind.as_str(),
        "review_label": app.form.kind.review_label(),
        "account": app.unit_account,
        "unit_level": app.unit_level.as_str(),
        "copies": state.ctx.config.workflow.paper_copies,
    });
    render(&state, Some(&user), "print_form.html", data)
}

/// The applications chosen for the letter: `?id=1&id=2` (the portal's check boxes) or
/// `?ids=1,2`.
fn letter_ids(query: Option<&str>) -> Result<Vec<i64>, HttpError> {
    let invalid = || HttpError::new(StatusCode::BAD_REQUEST, "网站编号无效");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default()).map_err(|_| invalid())?;
    pairs
        .iter()
        .filter(|(k, _)| k == "id" || k == "ids")
        .flat_map(|(_, v)| v.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().map_err(|_| invalid()))
        .collect()
}

/// `GET /print/letter`: the printable letter.
pub async fn letter(
    State(state): State<AppState>,
    User(user): User,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, HttpError> {
    let ids = letter_ids(query.as_deref())?;
    let apps = service::letter_batch(&state.ctx, &user.actor(), &ids).await?;
    let kinds: std::collections::BTreeSet<&str> = apps.iter().map(|a| a.form.kind.review_label()).collect();
    let review_label =
        if kinds.len() == 1 { kinds.into_iter().next().unwrap_or("开办审核") } else { "开办审核/资格复核" };
    let first = &apps[0].form;
    // The letter goes to the staffing office of the unit's own level (同级编办).
    let unit_region = apps[0].unit_region;
    let own_level = unit_region.map_or(crate::domain::region::Level::Central, |r| r.level());
    let addressee =
        crate::domain::region::staffing_office(unit_region, own_level).unwrap_or_else(|| "同级机构编制部门".to_owned());
    let data = json!({
        "addressee": addressee,
        "sites": apps.iter().map(|a| a.form.site_name.clone()).collect::<Vec<_>>(),
        "count": apps.len(),
        "review_label": review_label,
        "contact": first.handler.name,
        "phone": first.handler.phone.as_ref().map(std::string::ToString::to_string).or_else(|| first.handler.mobile.as_ref().map(std::string::ToString::to_string)),
        "unit_name": service::unit_display_name(&state.ctx, apps[0].unit_id).await?,
        "copies": state.ctx.config.workflow.paper_copies,
    });
    render(&state, Some(&user), "print_letter.html", data)
}

/// `GET /badges/{code}/certificate`: the printable 网站标识证书 of a badge in force, for its unit
/// and the offices covering it.
pub async fn certificate(
    State(state): State<AppState>,
    User(user): User,
    crate::web::auth::CodePath(code): crate::web::auth::CodePath,
) -> Result<Html<String>, HttpError> {
    let (badge, _) = crate::service::badges::get(&state.ctx, &user.actor(), &code).await?;
    if badge.status != crate::domain::badge::BadgeStatus::Active {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            format!("该网站标识已{}，不能打印证书", badge.status.label()),
        ));
    }
    let public = crate::badge::details::load(&state.ctx.pool, code.as_str())
        .await
        .map_err(crate::store::StoreError::from)?
        .ok_or_else(HttpError::not_found)?;
    let base = &state.ctx.config.badge.base_url;
    let china = crate::domain::calendar::china_offset();
    let data = json!({
        "code": code.as_str(),
        "legacy": matches!(code, crate::domain::badge::SiteCode::Legacy(_)),
        "site_name": public.site_name,
        "unit_name": public.unit_name,
        "unit_type": public.unit_type,
        "domain_cn": public.domain_cn,
        "domain_en": public.domain_en,
        "issuer": public.issuer,
        "issued_on": public.issued_at.with_timezone(&china).format("%Y年%-m月%-d日").to_string(),
        "image": format!("{base}/badge/{}.svg", code.as_str()),
        "verify_url": format!("{base}/verify/{}", code.as_str()),
        "printed_on": chrono::Utc::now().with_timezone(&china).format("%Y年%-m月%-d日").to_string(),
    });
    render(&state, Some(&user), "print_certificate.html", data)
}
