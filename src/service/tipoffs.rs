//! Reports from the public (举报): anyone who sees a badge on a site it does not belong to can
//! tell the offices from the verification page. The report reaches the supervisors covering the
//! badge's region (their list, and a notice by the outbox); the reporter's contact is never
//! shown publicly. Each address may send a few an hour.

use chrono::Utc;
use serde::Deserialize;

use super::{Context, ServiceError};
use crate::domain::application::FieldErrors;
use crate::domain::fields::plain_text;
use crate::notify::messages::Notice;
use crate::notify::queue::{queue, Recipient};
use crate::store::tipoffs::{self as store, NewTipoff, Tipoff};

/// The form as typed.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct TipoffInput {
    /// Where the badge was seen.
    pub url: String,
    /// What the reporter says.
    pub description: String,
    /// How to reach the reporter (optional).
    pub contact: String,
}

/// Checks and stores a report of badge `code` from `address`; notifies the supervisors.
pub async fn submit(ctx: &Context, code: &str, input: &TipoffInput, address: &str) -> Result<i64, ServiceError> {
    let region = store::badge_region(&ctx.pool, code).await?.ok_or(ServiceError::NotFound)?;
    let mut errors = FieldErrors::new();
    let url = url::Url::parse(input.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.as_str().len() <= 500);
    if url.is_none() {
        errors.insert("url", "请填写发现该标识的网页地址，如 http://www.example.com/".to_owned());
    }
    let description = match plain_text(&input.description, 1000, true) {
        Ok(d) if d.is_empty() => {
            errors.insert("description", "请填写举报内容".to_owned());
            d
        }
        Ok(d) => d,
        Err(m) => {
            errors.insert("description", m);
            String::new()
        }
    };
    let contact = plain_text(&input.contact, 100, false).unwrap_or_else(|m| {
        errors.insert("contact", m);
        String::new()
    });
    let Some(url) = url.filter(|_| errors.is_empty()) else { return Err(ServiceError::Invalid(errors)) };
    if !ctx.tipoffs.try_take(address, Utc::now()).await? {
        return Err(ServiceError::TooMany("举报提交过于频繁，请稍后再试"));
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let now = Utc::now();
    let tipoff = NewTipoff {
        badge_code: code,
        seen_url: url.as_str(),
        seen_host: &host,
        description: &description,
        contact: &contact,
        region: &region,
    };
    let id = store::create(&ctx.pool, &tipoff, now).await?;
    // The supervisors whose area holds the badge are told.
    let notice = Notice {
        topic: "tipoff",
        subject: format!("【网站标识】收到举报：标识{code}出现在{host}"),
        email: format!(
            "收到公众举报：网站标识{code}出现在以下网页：\n{}\n\n举报内容：{description}\n\n请登录平台“标识出现情况”页面查看并核查处理。\n\n党政机关网站标识管理平台（本邮件由系统自动发送，请勿回复）",
            url.as_str()
        ),
        sms: format!("【网站标识】收到举报：标识{code}出现在{host}，请登录平台核查。"),
    };
    let supervisors = crate::store::notices::supervisors(&ctx.pool).await?;
    let mut tx = ctx.pool.begin().await?;
    for s in supervisors {
        if s.area_prefix().is_some_and(|prefix| region.starts_with(&prefix)) {
            let to = Recipient { application_id: None, email: Some(&s.email), mobile: Some(&s.mobile) };
            queue(&mut tx, &to, &notice, now).await?;
        }
    }
    tx.commit().await?;
    ctx.outbox_wake.notify_one();
    tracing::info!(tipoff.id = id, badge.code = code, "tip-off received");
    Ok(id)
}

/// The reports of the badges in `prefix`'s area.
pub async fn list(ctx: &Context, prefix: &str) -> Result<Vec<Tipoff>, ServiceError> {
    Ok(store::list(&ctx.pool, prefix).await?)
}
