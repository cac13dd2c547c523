//! Hosted red pages (网络红页): a unit edits a plain form, the text is validated as plain text
//! (no markup), the page is served at a stable public address with the badge in its footer.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{Context, ServiceError};
use crate::domain::account::{Actor, Role};
use crate::domain::application::FieldErrors;
use crate::domain::badge::{BadgeStatus, SiteCode};
use crate::domain::fields::{plain_text, FixedPhone};
pub use crate::domain::red_page::RedPage;
use crate::store::red_pages as store;

/// The form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RedPageInput {
    /// The badge code.
    pub code: String,
    /// The page's title.
    pub title: String,
    /// The unit's introduction.
    pub introduction: String,
    /// The unit's functions.
    pub functions: String,
    /// The unit's address.
    pub address: String,
    /// The public telephone number.
    pub public_phone: String,
    /// Links to online services, one `name url` per line.
    pub service_links: String,
    /// Whether the page is public.
    pub published: String,
}

fn validate(input: &RedPageInput) -> Result<RedPageInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut text = |field: &'static str, value: &str, max: usize, multiline: bool, required: bool| match plain_text(
        value, max, multiline,
    ) {
        Ok(v) if required && v.is_empty() => {
            errors.insert(field, "请填写此项".to_owned());
            v
        }
        Ok(v) => v,
        Err(m) => {
            errors.insert(field, m.to_owned());
            String::new()
        }
    };
    let out = RedPageInput {
        code: input.code.trim().to_owned(),
        title: text("title", &input.title, 100, false, true),
        introduction: text("introduction", &input.introduction, 2000, true, true),
        functions: text("functions", &input.functions, 2000, true, false),
        address: text("address", &input.address, 200, false, false),
        public_phone: text("public_phone", &input.public_phone, 40, false, false),
        service_links: text("service_links", &input.service_links, 4000, true, false),
        published: if input.published == "1" { "1".into() } else { "0".into() },
    };
    if !out.public_phone.is_empty() && FixedPhone::parse(&out.public_phone).is_err() {
        errors.insert("public_phone", "办公电话格式应为“区号-号码”".into());
    }
    for line in out.service_links.lines().filter(|l| !l.trim().is_empty()) {
        let url = line.trim().rsplit_once(char::is_whitespace).map(|(_, u)| u);
        let ok = url.and_then(|u| url::Url::parse(u).ok()).is_some_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            errors.insert("service_links", "每行一个服务链接：名称、空格、以 http:// 或 https:// 开头的网址".into());
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The unit's red page for one of its badges, if it has one.
pub async fn of_unit(ctx: &Context, actor: &Actor, code: &str) -> Result<Option<RedPage>, ServiceError> {
    if actor.role != Role::Unit {
        return Err(ServiceError::Forbidden);
    }
    Ok(store::of_unit(&ctx.pool, actor.account_id, code).await?)
}

/// Saves (and publishes or withdraws) the unit's red page for one of its active badges.
pub async fn save(ctx: &Context, actor: &Actor, input: &RedPageInput) -> Result<(), ServiceError> {
    if actor.role != Role::Unit {
        return Err(ServiceError::Forbidden);
    }
    let page = validate(input).map_err(ServiceError::Invalid)?;
    let own_active_badge = match crate::store::badges::get(&ctx.pool, &page.code).await {
        Ok(badge) => badge.unit_id == actor.account_id && badge.status == BadgeStatus::Active,
        Err(crate::store::StoreError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if !own_active_badge {
        return Err(super::field_error("code", "请选择本单位有效的网站标识"));
    }
    let page = RedPage {
        code: page.code,
        unit_id: actor.account_id,
        title: page.title,
        introduction: page.introduction,
        functions: page.functions,
        address: page.address,
        public_phone: page.public_phone,
        service_links: page.service_links,
        published: page.published == "1",
    };
    store::save(&ctx.pool, &page, Utc::now()).await?;
    Ok(())
}

/// A published red page, for the public.
pub async fn published(ctx: &Context, code: &SiteCode) -> Result<Option<RedPage>, ServiceError> {
    Ok(store::published(&ctx.pool, code.as_str()).await?)
}
