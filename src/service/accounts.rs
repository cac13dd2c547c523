//! Signing in and out, and the admin's account management.

use std::time::Instant;

use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{field_error, Context, ServiceError};
use crate::domain::account::{check_account_scope, Actor, Role};
use crate::domain::application::FieldErrors;
use crate::domain::fields::{plain_text, Email, Mobile};
use crate::domain::region::Level;
use crate::store::accounts::{self, Account, NewAccount};
use crate::store::sessions;

/// A new session: the token goes to the client once; only its hash is stored.
pub struct NewSession {
    /// The session token, for the cookie or the API client.
    pub token: String,
    /// The session's CSRF token, for forms.
    pub csrf: String,
    /// Who signed in.
    pub account: Account,
}

/// 32 random bytes, URL-safe base64: session and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The SHA-256 of a token, hex: what the sessions table stores.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A hash of nothing, verified against when the account does not exist, so both paths cost
/// the same and timing does not reveal which names exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Gk3k3iJk2Rr3xT4+Jm3f6wqkq8CkK7mHk3iHqO2XKc";

/// Signs in: throttled per account and address, the password checked off the async threads; a session is created on success.
pub async fn login(ctx: &Context, name: &str, password: &str, address: &str) -> Result<NewSession, ServiceError> {
    let name = name.trim();
    if name.is_empty() || password.is_empty() || name.chars().count() > 100 || password.len() > 1024 {
        return Err(ServiceError::BadCredentials);
    }
    // The attempt is counted before the password is hashed: parallel guesses cannot pass the
    // account's limit, and a locked account costs no hashing.
    let Some(attempt) = ctx.throttle.begin(name, address, Instant::now()) else {
        tracing::warn!(client.address = %address, "login refused: account locked for now");
        return Err(ServiceError::Throttled);
    };
    if !attempt.delay.is_zero() {
        tracing::info!(client.address = %address, "login slowed: address past its failure limit");
        tokio::time::sleep(attempt.delay).await;
    }
    let account = match accounts::find_by_name(&ctx.pool, name).await {
        Ok(account) => account,
        Err(e) => {
            ctx.throttle.abandoned(name);
            return Err(e.into());
        }
    };
    let hash = account.as_ref().map_or_else(|| DUMMY_HASH.to_owned(), |a| a.password_hash.clone());
    let Ok(ok) = ctx.passwords.verify(password.to_owned(), hash).await else {
        ctx.throttle.abandoned(name);
        tracing::warn!(client.address = %address, "login refused: password hashing busy");
        return Err(ServiceError::Busy);
    };
    let account = match account {
        Some(a) if ok && !a.disabled => a,
        _ => {
            ctx.throttle.failed(address, Instant::now());
            tracing::info!(client.address = %address, "login failed");
            return Err(ServiceError::BadCredentials);
        }
    };
    ctx.throttle.succeeded(name);
    let token = random_token();
    let csrf = random_token();
    let now = Utc::now();
    let expires = now + Duration::hours(ctx.config.auth.session_hours);
    sessions::create(&ctx.pool, &token_hash(&token), account.id, &csrf, now, expires).await?;
    tracing::info!(account.id = account.id, account.role = account.role.as_str(), "signed in");
    Ok(NewSession { token, csrf, account })
}

/// Ends the session of `token`.
pub async fn logout(ctx: &Context, token: &str) -> Result<(), ServiceError> {
    sessions::delete(&ctx.pool, &token_hash(token)).await?;
    Ok(())
}

/// The account and CSRF token of a live session.
pub async fn session(ctx: &Context, token: &str) -> Result<Option<(Account, String)>, ServiceError> {
    Ok(sessions::find(&ctx.pool, &token_hash(token), Utc::now()).await?)
}

/// The admin's form for a new account.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AccountInput {
    /// The login name.
    pub name: String,
    /// The name shown in the UI and the audit trail.
    pub display_name: String,
    /// `unit`, `reviewer`, `supervisor` or `admin`.
    pub role: String,
    /// The office level of reviewers and supervisors.
    pub level: String,
    /// The six-digit region code.
    pub region: String,
    /// The initial password (at least [`MIN_PASSWORD_CHARS`] characters).
    pub password: String,
    /// Optional contact for notices (supervisors receive the daily digest).
    pub email: String,
    /// Optional mobile number for SMS notices.
    pub mobile: String,
}

fn put(errors: &mut FieldErrors, field: &'static str, message: &str) {
    errors.insert(field, message.to_owned());
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Creates an account (admins only), with every field's problem reported at once.
pub async fn create_account(ctx: &Context, actor: &Actor, input: &AccountInput) -> Result<i64, ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    let name = match plain_text(&input.name, 100, false) {
        Ok(n) if n.is_empty() => {
            put(&mut errors, "name", "请填写账号名称");
            n
        }
        Ok(n) if n.contains(char::is_whitespace) => {
            put(&mut errors, "name", "账号名称不得包含空格");
            n
        }
        Ok(n) => n,
        Err(m) => {
            put(&mut errors, "name", &m);
            String::new()
        }
    };
    let display_name = match plain_text(&input.display_name, 100, false) {
        Ok(n) if n.is_empty() => {
            put(&mut errors, "display_name", "请填写单位或人员名称");
            n
        }
        Ok(n) => n,
        Err(m) => {
            put(&mut errors, "display_name", &m);
            String::new()
        }
    };
    let role = Role::parse(input.role.trim());
    if role.is_none() {
        put(&mut errors, "role", "请选择角色");
    }
    let level = match input.level.trim() {
        "" => None,
        l => {
            if let Some(level) = Level::parse(l) {
                Some(level)
            } else {
                put(&mut errors, "level", "层级无效");
                None
            }
        }
    };
    let region = match input.region.trim() {
        "" => None,
        r => match crate::domain::region::resolve_region(r) {
            Ok(code) => Some(code),
            Err(m) => {
                put(&mut errors, "region", &m);
                None
            }
        },
    };
    let email = match input.email.trim() {
        "" => String::new(),
        e => Email::parse(e).map_or_else(
            |m| {
                put(&mut errors, "email", m);
                String::new()
            },
            |e| e.as_str().to_owned(),
        ),
    };
    let mobile = match input.mobile.trim() {
        "" => String::new(),
        m => Mobile::parse(m).map_or_else(
            |message| {
                put(&mut errors, "mobile", message);
                String::new()
            },
            |m| m.as_str().to_owned(),
        ),
    };
    if input.password.chars().count() < MIN_PASSWORD_CHARS {
        put(&mut errors, "password", "密码至少10个字符");
    }
    if let (Some(role), true) = (role, !errors.contains_key("level") && !errors.contains_key("region")) {
        if let Err(m) = check_account_scope(role, level, region.as_ref()) {
            put(&mut errors, "region", m);
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let hash = ctx.passwords.hash(input.password.clone()).await.map_err(anyhow::Error::from)?;
    let new = NewAccount {
        name: &name,
        display_name: &display_name,
        role: role.expect("checked above"),
        level,
        region: region.as_ref(),
        password_hash: &hash,
        email: &email,
        mobile: &mobile,
    };
    match accounts::create(&ctx.pool, &new, Utc::now()).await {
        Ok(id) => {
            tracing::info!(account.id = id, by = actor.account_id, "account created");
            Ok(id)
        }
        Err(crate::store::StoreError::Conflict) => Err(field_error("name", "该账号名称已存在")),
        Err(e) => Err(e.into()),
    }
}

/// Disables or enables an account (admins only; not their own).
pub async fn set_disabled(ctx: &Context, actor: &Actor, id: i64, disabled: bool) -> Result<(), ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    if actor.account_id == id {
        return Err(field_error("account", "不能停用自己的账号"));
    }
    if !disabled && accounts::get(&ctx.pool, id).await?.password_hash == crate::store::register::NO_PASSWORD {
        return Err(field_error("password", "该账号由注册库导入，尚未设置密码，请设置初始密码后启用"));
    }
    accounts::set_disabled(&ctx.pool, id, disabled).await?;
    Ok(())
}

/// Activates an account (admins only): sets its initial password and enables it, as an office
/// does for the unit accounts the register import created disabled.
pub async fn activate(ctx: &Context, actor: &Actor, id: i64, password: &str) -> Result<(), ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(field_error("password", "密码至少10个字符"));
    }
    accounts::get(&ctx.pool, id).await?;
    let hash = ctx.passwords.hash(password.to_owned()).await.map_err(anyhow::Error::from)?;
    accounts::activate(&ctx.pool, id, &hash).await?;
    tracing::info!(account.id = id, by = actor.account_id, "account activated");
    Ok(())
}

/// Every account (admins only).
pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<Account>, ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    Ok(accounts::list(&ctx.pool).await?)
}
