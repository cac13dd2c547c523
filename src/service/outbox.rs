//! The outbox as people see it: each notice of an application, for its unit and the offices
//! that see the application, and every notice for the admins, who can send a given-up one
//! again. A notice whose channel is off is shown as not sent, with that reason.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Context, ServiceError};
use crate::domain::account::{Actor, Role};
use crate::domain::fields::Mobile;
use crate::store::outbox::{self, Channel, Filter, Message};

/// Where a notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    /// Delivered.
    Sent,
    /// Waiting for its first attempt or a retry.
    Waiting,
    /// Not sent: its channel is off.
    ChannelOff,
    /// Given up after the last attempt.
    Failed,
}

impl NoticeState {
    /// The state in Chinese.
    pub fn label(self) -> &'static str {
        match self {
            NoticeState::Sent => "已发送",
            NoticeState::Waiting => "待发送",
            NoticeState::ChannelOff => "未发送（该发送渠道未开启）",
            NoticeState::Failed => "发送失败",
        }
    }
}

/// A notice as a page shows it: no personal data beyond a masked address.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    /// The message's id.
    pub id: i64,
    /// The application it concerns, if any.
    pub application_id: Option<i64>,
    /// The notice's kind.
    pub topic: String,
    /// 邮件 or 短信.
    pub channel_label: &'static str,
    /// The address, masked (`138****5678`, `zh***@example.gov.cn`).
    pub recipient: String,
    /// The e-mail subject (the SMS has none).
    pub subject: String,
    /// Where delivery stands.
    pub state: NoticeState,
    /// The state in Chinese.
    pub state_label: &'static str,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// The last delivery error (already cleared of addresses and numbers when stored).
    pub reason: String,
    /// When the notice was queued.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

fn view(ctx: &Context, m: Message) -> NoticeView {
    let channel = Channel::parse(&m.channel);
    let channel_on = match channel {
        Some(Channel::Email) => ctx.config.mail.enabled,
        Some(Channel::Sms) => ctx.config.sms.enabled,
        None => false,
    };
    let state = if m.sent_at.is_some() {
        NoticeState::Sent
    } else if m.failed_at.is_some() {
        NoticeState::Failed
    } else if !channel_on {
        NoticeState::ChannelOff
    } else {
        NoticeState::Waiting
    };
    NoticeView {
        id: m.id,
        application_id: m.application_id,
        topic: m.topic,
        channel_label: match channel {
            Some(Channel::Email) => "电子邮件",
            Some(Channel::Sms) => "短信",
            None => "其他",
        },
        recipient: mask(&m.recipient),
        subject: m.subject,
        state,
        state_label: state.label(),
        attempts: m.attempts,
        reason: m.last_error,
        created_at: m.created_at,
        sent_at: m.sent_at,
    }
}

/// A phone number or e-mail address with its middle hidden.
pub fn mask(address: &str) -> String {
    if let Ok(mobile) = Mobile::parse(address) {
        return mobile.masked();
    }
    match address.split_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            format!("{shown}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// The notices of an application its viewer was allowed to see (the view proves it).
pub async fn of_application(
    ctx: &Context,
    seen: &super::applications::ApplicationView,
) -> Result<Vec<NoticeView>, ServiceError> {
    Ok(outbox::for_application(&ctx.pool, seen.app.id).await?.into_iter().map(|m| view(ctx, m)).collect())
}

/// The latest notices for the admins.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    filter: Filter,
    channel: Option<Channel>,
) -> Result<Vec<NoticeView>, ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    Ok(outbox::list(&ctx.pool, filter, channel, 500).await?.into_iter().map(|m| view(ctx, m)).collect())
}

/// Puts a notice back in line (an admin's "resend"); a sent notice is not sent twice.
pub async fn resend(ctx: &Context, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    if !outbox::resend(&ctx.pool, id, Utc::now()).await? {
        return Err(ServiceError::Conflict);
    }
    tracing::info!(outbox.id = id, by = actor.account_id, "notice queued again");
    ctx.outbox_wake.notify_one();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_masked() {
        assert_eq!(super::mask("13803932001"), "138****2001");
        assert_eq!(super::mask("jbr@qingfeng.gov.cn"), "jb***@qingfeng.gov.cn");
        assert_eq!(super::mask("x"), "***");
    }
}
