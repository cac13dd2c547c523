//! Suspending, reinstating and revoking issued badges (after a failed re-check, or when the
//! unit is dissolved), with a reason, audited.

use chrono::Utc;

use super::{field_error, Context, ServiceError};
use crate::domain::account::{Actor, Role};
use crate::domain::badge::{BadgeStatus, SiteCode};
use crate::domain::region::RegionCode;
use crate::domain::workflow::Denied;
use crate::store::{accounts, badges};

/// Suspends, restores or revokes a badge of the actor's area, with a reason.
pub async fn change_status(
    ctx: &Context,
    actor: &Actor,
    code: &SiteCode,
    to: BadgeStatus,
    reason: &str,
) -> Result<(), ServiceError> {
    let (badge, unit_region) = load_visible(ctx, actor, code).await?;
    if actor.role != Role::Reviewer || !actor.covers_region(unit_region.as_ref()) {
        return Err(ServiceError::Forbidden);
    }
    let reason = crate::domain::fields::plain_text(reason, 500, true).map_err(|m| field_error("reason", &m))?;
    if reason.is_empty() {
        return Err(Denied::ReasonRequired.into());
    }
    if !badge.status.can_become(to) {
        return Err(field_error("status", "标识当前状态不允许此变更"));
    }
    badges::change_status(&ctx.pool, &badge.code, badge.status, to, actor.account_id, &reason, Utc::now()).await?;
    ctx.refresh_badges().await;
    tracing::info!(badge.code = %badge.code, from = badge.status.as_str(), to = to.as_str(), by = actor.account_id, "badge status changed");
    Ok(())
}

/// The badge and its unit's region, if `actor` may see it (its unit, the offices and
/// supervisors covering the unit); otherwise not found.
async fn load_visible(
    ctx: &Context,
    actor: &Actor,
    code: &SiteCode,
) -> Result<(badges::Badge, Option<RegionCode>), ServiceError> {
    let badge = badges::get(&ctx.pool, code.as_str()).await?;
    let unit = accounts::get(&ctx.pool, badge.unit_id).await?;
    let visible = match actor.role {
        Role::Unit => actor.account_id == badge.unit_id,
        Role::Reviewer | Role::Supervisor => actor.covers_region(unit.region.as_ref()),
        Role::Admin => false,
    };
    if visible {
        Ok((badge, unit.region))
    } else {
        Err(ServiceError::NotFound)
    }
}

/// A badge and its status history, for its unit and the offices covering it.
pub async fn get(
    ctx: &Context,
    actor: &Actor,
    code: &SiteCode,
) -> Result<(badges::Badge, Vec<(String, String, String, chrono::DateTime<Utc>)>), ServiceError> {
    let (badge, _) = load_visible(ctx, actor, code).await?;
    let history = badges::status_history(&ctx.pool, badge.code.as_str()).await?;
    Ok((badge, history))
}
