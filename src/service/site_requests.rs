//! Changes (变更) and cancellations (注销) of badged sites: the unit asks, the staffing office of
//! its own level decides. A change's new values are checked as the form checks them (fields,
//! the category's domain policy, domains held by other sites) when asked and again when
//! approved; they take effect only on approval, and the values they replace are kept. An
//! approved cancellation revokes the badge and closes the site: the verification page says
//! so and sweeps pass it by.

use std::collections::BTreeMap;

use chrono::Utc;

use super::{field_error, Context, ServiceError};
use crate::domain::account::{Actor, Role};
use crate::domain::application::{ApplicationInput, FieldErrors};
use crate::domain::badge::{BadgeStatus, SiteCode};
use crate::domain::fields::plain_text;
use crate::domain::region::{Level, RegionCode};
use crate::domain::site_request::{decides, RequestKind, RequestState, CHANGEABLE_FIELDS};
use crate::notify::messages;
use crate::notify::queue::queue;
use crate::store::applications::{self as applications, Application};
use crate::store::site_requests::{self as store, PendingRequest, SiteRequest};
use crate::store::{accounts, badges};

/// Fields whose new value may not be empty.
const REQUIRED: [&str; 3] = ["site_name", "principal_name", "handler_name"];

/// The site's badge and the application that carries its data, if `actor` is its unit and the
/// site is open.
async fn own_open_site(
    ctx: &Context,
    actor: &Actor,
    code: &SiteCode,
) -> Result<(badges::Badge, Application), ServiceError> {
    let badge = badges::get(&ctx.pool, code.as_str()).await?;
    if actor.role != Role::Unit || badge.unit_id != actor.account_id {
        return Err(ServiceError::NotFound);
    }
    if badge.status == BadgeStatus::Revoked {
        return Err(field_error("reason", "该网站标识已撤销或网站已注销，不能再提出申请"));
    }
    let app = applications::get(&ctx.pool, badge.application_id).await?;
    Ok((badge, app))
}

/// The fields that change, normalised as the form stores them, and the full input after the
/// change; every problem per field.
async fn checked_changes(
    ctx: &Context,
    app: &Application,
    code: &str,
    asked: &BTreeMap<String, String>,
) -> Result<(Vec<(&'static str, String)>, ApplicationInput), ServiceError> {
    let current = app.form.to_input();
    let mut next = current.clone();
    let mut errors = FieldErrors::new();
    for (field, value) in asked {
        let Some((field, label)) = CHANGEABLE_FIELDS.iter().find(|(f, _)| f == field) else { continue };
        let value = value.trim();
        if REQUIRED.contains(field) && value.is_empty() {
            errors.insert(field, format!("{label}不能为空"));
        }
        set_field(&mut next, field, value);
    }
    let parsed = match next.parse() {
        Ok(form) => form,
        Err(e) => {
            errors.extend(e.into_iter().filter(|(f, _)| CHANGEABLE_FIELDS.iter().any(|(c, _)| c == f)));
            return Err(ServiceError::Invalid(errors));
        }
    };
    if parsed.domain_cn.is_none() && parsed.domain_en.is_none() {
        errors.insert("domain_en", "中文域名和英文域名至少保留一个".to_owned());
    }
    if let Some(category) = parsed.category {
        errors.extend(ctx.config.domain_policy.check(category, parsed.domain_cn.as_ref(), parsed.domain_en.as_ref()));
    }
    let normalised = parsed.to_input();
    let changed: Vec<(&'static str, String)> = CHANGEABLE_FIELDS
        .iter()
        .map(|(f, _)| (*f, get_field(&normalised, f).to_owned()))
        .filter(|(f, v)| get_field(&current, f) != v)
        .collect();
    for (field, ascii) in [
        ("domain_en", parsed.domain_en.as_ref().map(|d| d.as_str().to_owned())),
        ("domain_cn", parsed.domain_cn.as_ref().map(|d| d.ascii().to_owned())),
    ] {
        if let (true, Some(ascii)) = (changed.iter().any(|(f, _)| *f == field), ascii) {
            if let Some(holder) = crate::store::register::domain_holder(&ctx.pool, &ascii).await? {
                if holder != code {
                    errors.insert(field, format!("该域名已登记在网站标识{holder}下"));
                }
            }
        }
    }
    let mut changed = changed;
    if let Some(asked_id) = asked.get("site_id_code").map(|t| t.trim()) {
        match asked_id {
            "" if !app.site_id_code.is_empty() => changed.push(("site_id_code", String::new())),
            "" => {}
            text => match crate::domain::fields::parse_site_id_code(text) {
                Ok(id) if id != app.site_id_code => changed.push(("site_id_code", id)),
                Ok(_) => {}
                Err(m) => {
                    errors.insert("site_id_code", m.to_owned());
                }
            },
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    if changed.is_empty() {
        return Err(field_error("site_name", "未修改任何内容"));
    }
    Ok((changed, normalised))
}

/// A changeable field's current value: the form's, or the registered 网站标识码.
fn site_value<'a>(app: &'a Application, input: &'a ApplicationInput, field: &str) -> &'a str {
    if field == "site_id_code" {
        &app.site_id_code
    } else {
        get_field(input, field)
    }
}

fn get_field<'a>(input: &'a ApplicationInput, field: &str) -> &'a str {
    match field {
        "site_name" => &input.site_name,
        "domain_cn" => &input.domain_cn,
        "domain_en" => &input.domain_en,
        "principal_name" => &input.principal_name,
        "principal_phone" => &input.principal_phone,
        "principal_mobile" => &input.principal_mobile,
        "principal_email" => &input.principal_email,
        "handler_name" => &input.handler_name,
        "handler_phone" => &input.handler_phone,
        "handler_mobile" => &input.handler_mobile,
        "handler_email" => &input.handler_email,
        _ => "",
    }
}

fn set_field(input: &mut ApplicationInput, field: &str, value: &str) {
    let slot = match field {
        "site_name" => &mut input.site_name,
        "domain_cn" => &mut input.domain_cn,
        "domain_en" => &mut input.domain_en,
        "principal_name" => &mut input.principal_name,
        "principal_phone" => &mut input.principal_phone,
        "principal_mobile" => &mut input.principal_mobile,
        "principal_email" => &mut input.principal_email,
        "handler_name" => &mut input.handler_name,
        "handler_phone" => &mut input.handler_phone,
        "handler_mobile" => &mut input.handler_mobile,
        "handler_email" => &mut input.handler_email,
        _ => return,
    };
    value.clone_into(slot);
}

fn clean_reason(reason: &str, required: bool) -> Result<String, ServiceError> {
    let reason = plain_text(reason, 500, true).map_err(|m| field_error("reason", &m))?;
    if required && reason.is_empty() {
        return Err(field_error("reason", "请填写原因"));
    }
    Ok(reason)
}

fn pending_conflict(e: crate::store::StoreError) -> ServiceError {
    match e {
        crate::store::StoreError::Conflict => field_error("reason", "该网站已有待审核的变更或注销申请，请等待审核结果"),
        e => e.into(),
    }
}

/// The unit asks to change its site's name, domains or contacts (`changes`: field → value).
pub async fn request_change(
    ctx: &Context,
    actor: &Actor,
    code: &SiteCode,
    changes: &BTreeMap<String, String>,
    reason: &str,
) -> Result<i64, ServiceError> {
    let (_, app) = own_open_site(ctx, actor, code).await?;
    let reason = clean_reason(reason, false)?;
    let (changed, _) = checked_changes(ctx, &app, code.as_str(), changes).await?;
    let json = serde_json::to_string(&changed.iter().cloned().collect::<BTreeMap<_, _>>()).expect("strings");
    let id = store::create(&ctx.pool, code.as_str(), actor.account_id, RequestKind::Change, &json, &reason, Utc::now())
        .await
        .map_err(pending_conflict)?;
    tracing::info!(request.id = id, badge.code = %code, fields = changed.len(), "site change requested");
    Ok(id)
}

/// The unit asks to close its site (reason required).
pub async fn request_cancel(ctx: &Context, actor: &Actor, code: &SiteCode, reason: &str) -> Result<i64, ServiceError> {
    own_open_site(ctx, actor, code).await?;
    let reason = clean_reason(reason, true)?;
    let id = store::create(&ctx.pool, code.as_str(), actor.account_id, RequestKind::Cancel, "{}", &reason, Utc::now())
        .await
        .map_err(pending_conflict)?;
    tracing::info!(request.id = id, badge.code = %code, "site cancellation requested");
    Ok(id)
}

/// The unit's level and region, for who decides.
async fn unit_scope(ctx: &Context, unit_id: i64) -> Result<(Level, Option<RegionCode>), ServiceError> {
    let unit = accounts::get(&ctx.pool, unit_id).await?;
    Ok((unit.level.unwrap_or(Level::Central), unit.region))
}

/// The office of the unit's own level approves or refuses (a reason is required to refuse).
pub async fn decide(ctx: &Context, actor: &Actor, id: i64, approve: bool, reason: &str) -> Result<(), ServiceError> {
    let request = store::get(&ctx.pool, id).await?;
    let (level, region) = unit_scope(ctx, request.unit_id).await?;
    if !decides(actor, level, region.as_ref()) {
        return Err(if actor.covers_region(region.as_ref()) {
            ServiceError::Forbidden
        } else {
            ServiceError::NotFound
        });
    }
    if request.state != RequestState::Pending {
        return Err(field_error("reason", "该申请已审核"));
    }
    let reason = clean_reason(reason, !approve)?;
    let badge = badges::get(&ctx.pool, &request.badge_code).await?;
    let app = applications::get(&ctx.pool, badge.application_id).await?;
    let now = Utc::now();
    match (approve, request.kind) {
        (false, _) => store::reject(&ctx.pool, id, actor.account_id, &reason, now).await?,
        (true, RequestKind::Change) => {
            let asked: BTreeMap<String, String> = serde_json::from_str(&request.changes).unwrap_or_default();
            let (changed, normalised) = checked_changes(ctx, &app, &request.badge_code, &asked).await?;
            let before = app.form.to_input();
            let previous: BTreeMap<&str, &str> =
                changed.iter().map(|(f, _)| (*f, site_value(&app, &before, f))).collect();
            let previous = serde_json::to_string(&previous).expect("strings");
            let ascii = changed.iter().any(|(f, _)| *f == "domain_cn").then(|| {
                crate::domain::fields::ChineseDomain::parse(&normalised.domain_cn)
                    .map(|d| d.ascii().to_owned())
                    .unwrap_or_default()
            });
            store::approve_change(&ctx.pool, id, app.id, &changed, ascii.as_deref(), &previous, actor.account_id, now)
                .await?;
        }
        (true, RequestKind::Cancel) => {
            store::approve_cancel(&ctx.pool, id, &request.badge_code, actor.account_id, now).await?;
        }
    }
    // The unit is told, by its handler's addresses as the site now has them.
    let app = applications::get(&ctx.pool, badge.application_id).await?;
    let notice = messages::site_request_decided(
        &app.form.unit_name,
        &app.form.site_name,
        &request.badge_code,
        request.kind.label(),
        approve,
        &reason,
    );
    let mut tx = ctx.pool.begin().await?;
    queue(&mut tx, &super::applications::handler_of(&app), &notice, now).await?;
    tx.commit().await?;
    ctx.outbox_wake.notify_one();
    if approve {
        ctx.refresh_badges().await;
    }
    tracing::info!(request.id = id, approve, "site request decided");
    Ok(())
}

/// A site's requests, for its unit and the offices covering it.
pub async fn for_site(ctx: &Context, actor: &Actor, code: &SiteCode) -> Result<Vec<SiteRequest>, ServiceError> {
    let badge = badges::get(&ctx.pool, code.as_str()).await?;
    let visible = match actor.role {
        Role::Unit => badge.unit_id == actor.account_id,
        Role::Admin => true,
        _ => actor.covers_region(unit_scope(ctx, badge.unit_id).await?.1.as_ref()),
    };
    if !visible {
        return Err(ServiceError::NotFound);
    }
    Ok(store::for_badge(&ctx.pool, code.as_str()).await?)
}

/// The pending requests `actor` decides.
pub async fn queue_of(ctx: &Context, actor: &Actor) -> Result<Vec<PendingRequest>, ServiceError> {
    if actor.role != Role::Reviewer {
        return Ok(Vec::new());
    }
    Ok(store::pending(&ctx.pool)
        .await?
        .into_iter()
        .filter(|p| {
            let level = p.unit_level.as_deref().and_then(Level::parse).unwrap_or(Level::Central);
            let region = p.unit_region.as_deref().and_then(|r| RegionCode::parse(r).ok());
            decides(actor, level, region.as_ref())
        })
        .collect())
}

/// The changeable fields of the unit's own open site with their current values (label, field,
/// value), for the change form; `None` when `actor` may not ask.
pub async fn change_form(
    ctx: &Context,
    actor: &Actor,
    code: &SiteCode,
) -> Result<Option<Vec<(&'static str, &'static str, String)>>, ServiceError> {
    match own_open_site(ctx, actor, code).await {
        Ok((_, app)) => {
            let input = app.form.to_input();
            Ok(Some(CHANGEABLE_FIELDS.iter().map(|(f, l)| (*f, *l, site_value(&app, &input, f).to_owned())).collect()))
        }
        Err(ServiceError::NotFound | ServiceError::Invalid(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `actor` decides the requests of the site's unit.
pub async fn decides_for(ctx: &Context, actor: &Actor, unit_id: i64) -> Result<bool, ServiceError> {
    let (level, region) = unit_scope(ctx, unit_id).await?;
    Ok(decides(actor, level, region.as_ref()))
}

/// The site's current values of the changeable fields (what a pending change would replace);
/// call after [`for_site`] has authorised the reader.
pub async fn current_values(ctx: &Context, code: &SiteCode) -> Result<BTreeMap<&'static str, String>, ServiceError> {
    let badge = badges::get(&ctx.pool, code.as_str()).await?;
    let app = applications::get(&ctx.pool, badge.application_id).await?;
    let input = app.form.to_input();
    Ok(CHANGEABLE_FIELDS.iter().map(|(f, _)| (*f, site_value(&app, &input, f).to_owned())).collect())
}
