//! Resetting a forgotten password by the account's registered mobile or e-mail: a six-digit
//! code, kept only as a hash, valid 30 minutes, five wrong guesses at most, sent by the outbox.
//! Asking says the same whether the account exists or not; every ask is limited per account
//! and per address. A reset ends the account's sessions; it does not enable a disabled account.

use chrono::{Duration, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::accounts::MIN_PASSWORD_CHARS;
use super::{field_error, Context, ServiceError};
use crate::notify::messages::Notice;
use crate::notify::queue::{queue, Recipient};
use crate::store::{accounts, password_resets as store};

/// How long a code is valid.
const CODE_MINUTES: i64 = 30;

/// Wrong guesses a code takes before it stops working.
const MAX_GUESSES: i64 = 5;

fn code_hash(account_id: i64, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{account_id}:{code}").as_bytes()))
}

/// Sends a code to the account's registered mobile and e-mail, if the account exists and has
/// either. The answer is the same in every case.
pub async fn request(ctx: &Context, name: &str, address: &str) -> Result<(), ServiceError> {
    let name = name.trim();
    let now = Utc::now();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(field_error("name", "请填写账号"));
    }
    if !ctx.password_resets.try_take(&format!("address:{address}"), now).await?
        || !ctx.password_resets.try_take(&format!("account:{name}"), now).await?
    {
        return Err(ServiceError::TooMany("验证码发送过于频繁，请稍后再试"));
    }
    let Some(account) = accounts::find_by_name(&ctx.pool, name).await? else { return Ok(()) };
    if account.email.is_empty() && account.mobile.is_empty() {
        return Ok(());
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let at = Utc::now();
    store::create(&ctx.pool, account.id, &code_hash(account.id, &code), at + Duration::minutes(CODE_MINUTES), at)
        .await?;
    let notice = Notice {
        topic: "password_reset",
        subject: "【网站标识】密码重置验证码".to_owned(),
        email: format!(
            "{}：\n\n您正在重置党政机关网站标识管理平台账号“{}”的密码，验证码为：{code}\n\n验证码{CODE_MINUTES}分钟内有效。如非本人操作，请忽略本邮件。\n\n党政机关网站标识管理平台（本邮件由系统自动发送，请勿回复）",
            account.display_name, account.name
        ),
        sms: format!("【网站标识】您的密码重置验证码为{code}，{CODE_MINUTES}分钟内有效。如非本人操作请忽略。"),
    };
    let to =
        Recipient { application_id: None, email: Some(account.email.as_str()), mobile: Some(account.mobile.as_str()) };
    let mut tx = ctx.pool.begin().await?;
    queue(&mut tx, &to, &notice, at).await?;
    tx.commit().await?;
    ctx.outbox_wake.notify_one();
    tracing::info!(account.id = account.id, "password reset code sent");
    Ok(())
}

/// Sets a new password with the code sent; a wrong, expired or used code is refused alike.
pub async fn confirm(ctx: &Context, name: &str, code: &str, password: &str) -> Result<(), ServiceError> {
    let refused = || field_error("code", "验证码不正确或已失效，请重新获取");
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(field_error("password", "密码至少10个字符"));
    }
    let Some(account) = accounts::find_by_name(&ctx.pool, name.trim()).await? else { return Err(refused()) };
    let now = Utc::now();
    let Some(open) = store::open(&ctx.pool, account.id, now).await? else { return Err(refused()) };
    if open.attempts >= MAX_GUESSES {
        return Err(refused());
    }
    let given = code_hash(account.id, code.trim());
    if !super::accounts::constant_time_eq(given.as_bytes(), open.code_hash.as_bytes()) {
        store::wrong_guess(&ctx.pool, open.id).await?;
        return Err(refused());
    }
    let hash = ctx.passwords.hash(password.to_owned()).await.map_err(anyhow::Error::from)?;
    store::use_code(&ctx.pool, open.id, account.id, &hash, now).await.map_err(|e| match e {
        crate::store::StoreError::Conflict => refused(),
        e => e.into(),
    })?;
    tracing::info!(account.id = account.id, "password reset");
    Ok(())
}
