//! Accounts: units, reviewers, supervisors, admins.

use super::{Pool, Tx};
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::account::{Actor, Role};
use crate::domain::region::{Level, RegionCode};

/// An account as stored.
#[derive(Debug, Clone)]
pub struct Account {
    /// The row id.
    pub id: i64,
    /// The login name.
    pub name: String,
    /// The name shown.
    pub display_name: String,
    /// What the account may do.
    pub role: Role,
    /// The office level (reviewers and supervisors).
    pub level: Option<Level>,
    /// The region (none for central staff and admins).
    pub region: Option<RegionCode>,
    /// The Argon2id PHC string.
    pub password_hash: String,
    /// A disabled account cannot sign in.
    pub disabled: bool,
    /// Contact for notices ('' when not given).
    pub email: String,
    /// Mobile number for notices ('' when not given).
    pub mobile: String,
}

impl Account {
    /// The account as the workflow's rules see it.
    pub fn actor(&self) -> Actor {
        Actor { account_id: self.id, role: self.role, level: self.level, region: self.region }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    display_name: String,
    role: String,
    level: Option<String>,
    region: Option<String>,
    password_hash: String,
    disabled: bool,
    email: String,
    mobile: String,
}

impl TryFrom<Row> for Account {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("account {}: bad {what}", r.id));
        Ok(Account {
            id: r.id,
            role: Role::parse(&r.role).ok_or_else(|| corrupt("role"))?,
            level: match &r.level {
                Some(l) => Some(Level::parse(l).ok_or_else(|| corrupt("level"))?),
                None => None,
            },
            region: match &r.region {
                Some(code) => Some(RegionCode::parse(code).map_err(|_| corrupt("region"))?),
                None => None,
            },
            name: r.name,
            display_name: r.display_name,
            password_hash: r.password_hash,
            disabled: r.disabled,
            email: r.email,
            mobile: r.mobile,
        })
    }
}

const COLUMNS: &str = "id, name, display_name, role, level, region, password_hash, disabled, email, mobile";

/// A new account's fields.
pub struct NewAccount<'a> {
    /// The login name.
    pub name: &'a str,
    /// The name shown.
    pub display_name: &'a str,
    /// What the account may do.
    pub role: Role,
    /// The office level.
    pub level: Option<Level>,
    /// The region.
    pub region: Option<&'a RegionCode>,
    /// The Argon2id PHC string.
    pub password_hash: &'a str,
    /// E-mail for notices, or ''.
    pub email: &'a str,
    /// Mobile number for notices, or ''.
    pub mobile: &'a str,
}

/// Inserts an account; a taken name is a conflict.
pub async fn create(pool: &Pool, new: &NewAccount<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let mut tx = pool.begin().await?;
    let id = insert(&mut tx, new, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts accounts in one transaction: all or none (a taken name is a conflict).
pub async fn create_many(pool: &Pool, new: &[NewAccount<'_>], now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut tx = pool.begin().await?;
    for n in new {
        insert(&mut tx, n, now).await?;
    }
    tx.commit().await?;
    Ok(new.len())
}

/// The one INSERT of an account, on a connection or in a transaction.
async fn insert(conn: &mut Tx, new: &NewAccount<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query_scalar(
            "INSERT INTO accounts (name, display_name, role, level, region, password_hash, email, mobile, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(new.name)
        .bind(new.display_name)
        .bind(new.role.as_str())
        .bind(new.level.map(Level::as_str))
        .bind(new.region.map(|r| r.as_str().to_owned()))
        .bind(new.password_hash)
        .bind(new.email)
        .bind(new.mobile)
        .bind(now)
        .fetch_one(conn)
        .await
        .map_err(StoreError::from_write)
    })
}

/// The account of a login name.
pub async fn find_by_name(pool: &Pool, name: &str) -> Result<Option<Account>, StoreError> {
    crate::on_pool!(pool, pool => {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM accounts WHERE name = $1"))
            .bind(name)
            .fetch_optional(pool)
            .await?;
        row.map(Account::try_from).transpose()
    })
}

/// The account of an id.
pub async fn get(pool: &Pool, id: i64) -> Result<Account, StoreError> {
    crate::on_pool!(pool, pool => {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1")).bind(id).fetch_optional(pool).await?;
        row.map(Account::try_from).transpose()?.ok_or(StoreError::NotFound)
    })
}

/// Which accounts a list shows, by their state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccountState {
    /// Every account.
    #[default]
    Any,
    /// Accounts that may sign in (including a unit's that waits for it to set its password).
    Enabled,
    /// Accounts disabled by an admin.
    Disabled,
    /// Accounts a register import created, disabled until their initial password is set.
    AwaitingActivation,
}

impl AccountState {
    /// The state's key in a query string ('' for any).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Any => "",
            AccountState::Enabled => "enabled",
            AccountState::Disabled => "disabled",
            AccountState::AwaitingActivation => "awaiting",
        }
    }

    /// The state of a key; anything else is any state.
    pub fn parse(key: &str) -> AccountState {
        [AccountState::Enabled, AccountState::Disabled, AccountState::AwaitingActivation]
            .into_iter()
            .find(|s| s.as_str() == key)
            .unwrap_or(AccountState::Any)
    }
}

/// What an account list is narrowed to; the default is every account.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Part of the login name or of the name shown ('' for any).
    pub text: String,
    /// One role, or every role.
    pub role: Option<Role>,
    /// A region code prefix: the accounts whose region lies in it (`None` for any account, with
    /// a region or without; `Some("")` for every account with a region).
    pub region_prefix: Option<String>,
    /// The accounts' state.
    pub state: AccountState,
}

/// The WHERE of [`search`]: `$1` the text ('' for any) and `$2` its pattern, `$3` the role, `$4`
/// whether a region prefix applies and `$5` the prefix, `$6` the state, `$7` the hash of an
/// account without a password.
const SEARCH_WHERE: &str = "FROM accounts
     WHERE ($1 = '' OR lower(name) LIKE $2 ESCAPE '\\' OR lower(display_name) LIKE $2 ESCAPE '\\')
       AND ($3 = '' OR role = $3)
       AND ($4 = 0 OR region LIKE $5 || '%')
       AND ($6 = ''
            OR ($6 = 'enabled' AND disabled = FALSE)
            OR ($6 = 'disabled' AND disabled = TRUE AND password_hash <> $7)
            OR ($6 = 'awaiting' AND disabled = TRUE AND password_hash = $7))";

/// The accounts matching `filter`, by role, level, region and id: `limit` of them from
/// `offset`, and how many match in all.
pub async fn search(
    pool: &Pool,
    filter: &AccountFilter,
    limit: i64,
    offset: i64,
) -> Result<(super::Listed<Account>, i64), StoreError> {
    let text = filter.text.to_lowercase();
    let pattern = super::contains_pattern(&text);
    let role = filter.role.map_or("", Role::as_str);
    let (prefixed, prefix) = match &filter.region_prefix {
        Some(p) => (1_i64, p.as_str()),
        None => (0, ""),
    };
    let state = filter.state.as_str();
    let no_password = super::register::NO_PASSWORD;
    // The parameters of SEARCH_WHERE, in its order.
    macro_rules! bind_search {
        ($query:expr) => {
            $query.bind(&text).bind(&pattern).bind(role).bind(prefixed).bind(prefix).bind(state).bind(no_password)
        };
    }
    crate::on_pool!(pool, pool => {
        let total: i64 =
            bind_search!(sqlx::query_scalar(&format!("SELECT COUNT(*) {SEARCH_WHERE}"))).fetch_one(pool).await?;
        let page = format!("SELECT {COLUMNS} {SEARCH_WHERE} ORDER BY role, level, region, id LIMIT $8 OFFSET $9");
        let rows = bind_search!(sqlx::query(&page)).bind(limit).bind(offset).fetch_all(pool).await?;
        Ok((super::Listed::read::<Row, _>(rows), total))
    })
}

/// How many accounts exist (zero before the demo or the first admin).
pub async fn count(pool: &Pool) -> Result<i64, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(pool).await?)
    })
}

/// Sets an account's disabled flag.
pub async fn set_disabled(pool: &Pool, id: i64, disabled: bool) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        let done =
            sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2").bind(disabled).bind(id).execute(pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(pool).await?;
        }
        Ok(())
    })
}

/// Sets an account's password hash and enables it.
pub async fn activate(pool: &Pool, id: i64, password_hash: &str) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        let done = sqlx::query("UPDATE accounts SET password_hash = $1, disabled = FALSE WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    })
}
