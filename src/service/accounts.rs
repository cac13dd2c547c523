//! Signing in and out, and the admin's account management.

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
    let Some(attempt) = ctx.throttle.begin(name, address, Utc::now()).await? else {
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
            ctx.throttle.abandoned(name, &attempt).await?;
            return Err(e.into());
        }
    };
    let hash = account.as_ref().map_or_else(|| DUMMY_HASH.to_owned(), |a| a.password_hash.clone());
    let Ok(ok) = ctx.passwords.verify(password.to_owned(), hash).await else {
        ctx.throttle.abandoned(name, &attempt).await?;
        tracing::warn!(client.address = %address, "login refused: password hashing busy");
        return Err(ServiceError::Busy);
    };
    let account = match account {
        Some(a) if ok && !a.disabled => a,
        _ => {
            ctx.throttle.failed(address, Utc::now()).await?;
            tracing::info!(client.address = %address, "login failed");
            return Err(ServiceError::BadCredentials);
        }
    };
    ctx.throttle.succeeded(name).await?;
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

/// An account's fields, checked, before its password is hashed.
struct CheckedAccount {
    name: String,
    display_name: String,
    role: Role,
    level: Option<Level>,
    region: Option<crate::domain::region::RegionCode>,
    email: String,
    mobile: String,
    /// `None`: no password yet (a unit sets its own through 找回密码).
    password: Option<String>,
}

/// Creates an account, with every field's problem reported at once. Admins create any
/// account; staffing offices (reviewers) create unit accounts in their own area, with a
/// password or, given a mobile or e-mail, without one (the unit sets it through 找回密码).
pub async fn create_account(ctx: &Context, actor: &Actor, input: &AccountInput) -> Result<i64, ServiceError> {
    let checked = check_account(actor, input)?;
    let hash = match &checked.password {
        Some(p) => ctx.passwords.hash(p.clone()).await.map_err(anyhow::Error::from)?,
        None => crate::store::register::NO_PASSWORD.to_owned(),
    };
    let new = NewAccount {
        name: &checked.name,
        display_name: &checked.display_name,
        role: checked.role,
        level: checked.level,
        region: checked.region.as_ref(),
        password_hash: &hash,
        email: &checked.email,
        mobile: &checked.mobile,
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

/// One problem of a bulk account file: the file's row, the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    /// The file's row number (1 is the heading row).
    pub row: usize,
    /// The field's name.
    pub field: &'static str,
    /// What is wrong, in Chinese.
    pub reason: String,
}

/// Creates unit accounts in bulk (an office's file): every row checked as one account is,
/// names unique within the file and not yet taken; all are created or none. Rows come with
/// their file row numbers. Accounts created without a password set it through 找回密码.
pub async fn create_units(
    ctx: &Context,
    actor: &Actor,
    rows: &[(usize, AccountInput)],
) -> Result<usize, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (row, input) in rows {
        let mut input = input.clone();
        input.role = "unit".into();
        match check_account(actor, &input) {
            Ok(c) if c.password.is_some() => problems.push(RowProblem {
                row: *row,
                field: "password",
                reason: "批量导入不设密码，单位通过“找回密码”自行设置".to_owned(),
            }),
            Ok(c) => {
                if let Some(first) = seen.insert(c.name.clone(), *row) {
                    problems.push(RowProblem { row: *row, field: "name", reason: format!("与第{first}行重复") });
                } else if accounts::find_by_name(&ctx.pool, &c.name).await.ok().flatten().is_some() {
                    problems
                        .push(RowProblem { row: *row, field: "name", reason: "该账号名称已存在".to_owned() });
                } else {
                    checked.push(c);
                }
            }
            Err(ServiceError::Invalid(errors)) => {
                problems.extend(errors.into_iter().map(|(field, reason)| RowProblem { row: *row, field, reason }));
            }
            Err(ServiceError::Forbidden) => {
                problems.push(RowProblem { row: *row, field: "region", reason: "无权新建该账号".to_owned() });
            }
            Err(e) => problems.push(RowProblem { row: *row, field: "name", reason: e.to_string() }),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let new: Vec<NewAccount<'_>> = checked
        .iter()
        .map(|c| NewAccount {
            name: &c.name,
            display_name: &c.display_name,
            role: c.role,
            level: c.level,
            region: c.region.as_ref(),
            password_hash: crate::store::register::NO_PASSWORD,
            email: &c.email,
            mobile: &c.mobile,
        })
        .collect();
    match accounts::create_many(&ctx.pool, &new, Utc::now()).await {
        Ok(n) => {
            tracing::info!(accounts = n, by = actor.account_id, "unit accounts created in bulk");
            Ok(n)
        }
        Err(e) => Err(vec![RowProblem { row: 1, field: "name", reason: format!("未能创建账号：{e}") }]),
    }
}

/// Checks an account's fields and whether `actor` may create it.
fn check_account(actor: &Actor, input: &AccountInput) -> Result<CheckedAccount, ServiceError> {
    let office = actor.role == Role::Reviewer;
    if actor.role != Role::Admin && !office {
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
    // A unit of an office's own area: its level follows its region when not given.
    let level = match (office, level, &region) {
        (true, None, Some(r)) => Some(r.level()),
        _ => level,
    };
    if office {
        if role.is_some_and(|r| r != Role::Unit) {
            // Offices create unit accounts only: any other is not theirs to create.
            return Err(ServiceError::Forbidden);
        }
        if region.is_none() && !errors.contains_key("region") {
            put(&mut errors, "region", "请选择单位所在行政区划");
        }
        if region.as_ref().is_some_and(|r| !actor.covers_region(Some(r))) {
            put(&mut errors, "region", "只能新建本辖区的单位账号");
        }
    }
    let no_password_allowed = role == Some(Role::Unit) && (!email.is_empty() || !mobile.is_empty());
    let password = match input.password.as_str() {
        "" if no_password_allowed => None,
        p if p.chars().count() < MIN_PASSWORD_CHARS => {
            let message = if role == Some(Role::Unit) {
                "密码至少10个字符（单位账号登记了手机或邮箱时可不设，由单位通过“找回密码”设置）"
            } else {
                "密码至少10个字符"
            };
            put(&mut errors, "password", message);
            None
        }
        p => Some(p.to_owned()),
    };
    if let (Some(role), true) = (role, !errors.contains_key("level") && !errors.contains_key("region")) {
        if let Err(m) = check_account_scope(role, level, region.as_ref()) {
            put(&mut errors, "region", m);
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    Ok(CheckedAccount {
        name,
        display_name,
        role: role.expect("checked above"),
        level,
        region,
        email,
        mobile,
        password,
    })
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

/// Activates an account: sets its initial password and enables it, as an office does for the
/// unit accounts of its area that the register import created disabled (admins: any account).
pub async fn activate(ctx: &Context, actor: &Actor, id: i64, password: &str) -> Result<(), ServiceError> {
    let account = accounts::get(&ctx.pool, id).await?;
    // Admins activate any account; a staffing office the unit accounts of its area.
    let office_unit =
        actor.role == Role::Reviewer && account.role == Role::Unit && actor.covers_region(account.region.as_ref());
    if actor.role != Role::Admin && !office_unit {
        return Err(if actor.role == Role::Reviewer { ServiceError::NotFound } else { ServiceError::Forbidden });
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(field_error("password", "密码至少10个字符"));
    }
    let hash = ctx.passwords.hash(password.to_owned()).await.map_err(anyhow::Error::from)?;
    accounts::activate(&ctx.pool, id, &hash).await?;
    tracing::info!(account.id = id, by = actor.account_id, "account activated");
    Ok(())
}
