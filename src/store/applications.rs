//! Applications, their workflow steps and the append-only audit log written with each step.

use super::{Listed, Pool, Tx};
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::account::Actor;
use crate::domain::application::{ApplicationForm, ApplicationInput, LegacyDecision, FORM_FIELDS};
use crate::domain::region::{Level, RegionCode};
use crate::domain::workflow::{Event, Filing, State};

/// An application with its unit's scope.
#[derive(Debug, Clone)]
pub struct Application {
    /// The row id.
    pub id: i64,
    /// The unit's account id.
    pub unit_id: i64,
    /// The unit's login name.
    pub unit_account: String,
    /// The unit's level.
    pub unit_level: Level,
    /// The unit's region.
    pub unit_region: Option<RegionCode>,
    /// Where the workflow stands.
    pub state: State,
    /// Bumped by every write (optimistic concurrency).
    pub version: i64,
    /// Submission round: bumped when a returned application is submitted again.
    pub round: i64,
    /// The chain fixed at the last submission (empty for a draft never submitted).
    pub chain: Vec<Level>,
    /// The provincial filing of this round's paper.
    pub filing: Filing,
    /// When the application entered its state (deadlines count from it).
    pub state_since: DateTime<Utc>,
    /// The form as filled in.
    pub form: ApplicationForm,
    /// The badge code once issued.
    pub badge_code: Option<String>,
    /// The site's registered government website identifier (网站标识码), "" when none.
    pub site_id_code: String,
    /// When the draft was created.
    pub created_at: DateTime<Utc>,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
}

/// One audited step.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    /// The row id.
    pub id: i64,
    /// The submission round.
    pub round: i64,
    /// Who acted.
    pub actor_id: i64,
    /// Their display name then.
    pub actor_name: String,
    /// Their role then.
    pub actor_role: String,
    /// Their level then.
    pub actor_level: Option<String>,
    /// What happened (`submit`, `approve` …).
    pub event: String,
    /// The state before.
    pub from_state: String,
    /// The state after.
    pub to_state: String,
    /// The reason given, if any.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The checklist items checked at this step (comma-separated keys).
    pub checklist: String,
}

/// The form's columns, named as its fields.
const FORM_COLUMNS: [&str; 23] = FORM_FIELDS;

fn form_values(form: &ApplicationForm) -> [String; 23] {
    let i = form.to_input();
    [
        i.kind,
        i.unit_name,
        i.parent_unit,
        i.unit_functions,
        i.category,
        i.address,
        i.postcode,
        i.site_name,
        i.site_intro,
        i.domain_cn,
        i.domain_en,
        i.ips,
        i.principal_name,
        i.principal_phone,
        i.principal_mobile,
        i.principal_email,
        i.handler_name,
        i.handler_phone,
        i.handler_mobile,
        i.handler_email,
        i.handler_id_number,
        i.credit_code,
        i.recheck_code,
    ]
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    unit_id: i64,
    unit_account: String,
    unit_level: Option<String>,
    unit_region: Option<String>,
    state: String,
    version: i64,
    round: i64,
    chain: String,
    filing: Option<String>,
    state_since: DateTime<Utc>,
    badge_code: Option<String>,
    site_id_code: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[sqlx(flatten)]
    input: InputRow,
}

#[derive(sqlx::FromRow)]
struct InputRow {
    kind: String,
    unit_name: String,
    parent_unit: String,
    unit_functions: String,
    category: String,
    address: String,
    postcode: String,
    site_name: String,
    site_intro: String,
    domain_cn: String,
    domain_en: String,
    ips: String,
    principal_name: String,
    principal_phone: String,
    principal_mobile: String,
    principal_email: String,
    handler_name: String,
    handler_phone: String,
    handler_mobile: String,
    handler_email: String,
    handler_id_number: String,
    credit_code: String,
    recheck_code: String,
}

impl TryFrom<Row> for Application {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("application {}: bad {what}", r.id));
        let i = r.input;
        let input = ApplicationInput {
            kind: i.kind,
            unit_name: i.unit_name,
            parent_unit: i.parent_unit,
            unit_functions: i.unit_functions,
            category: i.category,
            address: i.address,
            postcode: i.postcode,
            site_name: i.site_name,
            site_intro: i.site_intro,
            domain_cn: i.domain_cn,
            domain_en: i.domain_en,
            ips: i.ips,
            principal_name: i.principal_name,
            principal_phone: i.principal_phone,
            principal_mobile: i.principal_mobile,
            principal_email: i.principal_email,
            handler_name: i.handler_name,
            handler_phone: i.handler_phone,
            handler_mobile: i.handler_mobile,
            handler_email: i.handler_email,
            handler_id_number: i.handler_id_number,
            credit_code: i.credit_code,
            recheck_code: i.recheck_code,
        };
        let chain = r
            .chain
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Level::parse(s).ok_or_else(|| corrupt("chain")))
            .collect::<Result<_, _>>()?;
        Ok(Application {
            id: r.id,
            unit_id: r.unit_id,
            unit_account: r.unit_account,
            unit_level: r.unit_level.as_deref().and_then(Level::parse).ok_or_else(|| corrupt("unit level"))?,
            unit_region: match r.unit_region.as_deref() {
                Some(code) => Some(RegionCode::parse(code).map_err(|_| corrupt("unit region"))?),
                None => None,
            },
            state: State::parse(&r.state).ok_or_else(|| corrupt("state"))?,
            version: r.version,
            round: r.round,
            chain,
            filing: match r.filing.as_deref() {
                None => Filing::NotRequired,
                Some("pending") => Filing::Pending,
                Some("done") => Filing::Done,
                Some(_) => return Err(corrupt("filing")),
            },
            state_since: r.state_since,
            form: input.parse().map_err(|_| corrupt("form"))?,
            badge_code: r.badge_code,
            site_id_code: r.site_id_code,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn select_sql(filter: &str) -> String {
    format!(
        "SELECT a.id, a.unit_id, u.name AS unit_account, u.level AS unit_level, u.region AS unit_region,
                a.state, a.version, a.round, a.chain, a.filing, a.state_since, a.badge_code, a.site_id_code, a.created_at,
                a.updated_at, a.{}
         FROM applications a JOIN accounts u ON u.id = a.unit_id {filter}",
        FORM_COLUMNS.join(", a.")
    )
}

/// Creates a draft for a unit.
pub async fn create_draft(
    conn: &mut Tx,
    unit_id: i64,
    form: &ApplicationForm,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    crate::on_tx!(conn, conn => {
        let placeholders = (6..6 + FORM_COLUMNS.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "INSERT INTO applications (unit_id, state, state_since, created_at, updated_at, domain_cn_ascii, {})
             VALUES ($1, 'draft', $2, $3, $4, $5, {placeholders}) RETURNING id",
            FORM_COLUMNS.join(", ")
        );
        let mut q = sqlx::query_scalar(&sql).bind(unit_id).bind(now).bind(now).bind(now).bind(domain_ascii(form));
        for v in form_values(form) {
            q = q.bind(v);
        }
        q.fetch_one(conn).await.map_err(StoreError::from_write)
    })
}

fn domain_ascii(form: &ApplicationForm) -> String {
    form.domain_cn.as_ref().map(|d| d.ascii().to_owned()).unwrap_or_default()
}

/// Replaces the form of an editable application, if its version is still `version`.
pub async fn update_form(
    conn: &mut Tx,
    id: i64,
    version: i64,
    form: &ApplicationForm,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        let n = FORM_COLUMNS.len();
        let sets = FORM_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "UPDATE applications SET {sets}, domain_cn_ascii = ${}, version = version + 1, updated_at = ${}
             WHERE id = ${} AND version = ${} AND state IN ('draft', 'rejected', 'paper_problem')",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        );
        let mut q = sqlx::query(&sql);
        for v in form_values(form) {
            q = q.bind(v);
        }
        let done = q.bind(domain_ascii(form)).bind(now).bind(id).bind(version).execute(conn).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    })
}

/// Deletes a draft that was never submitted (it has no history, notices or badge); a changed
/// or submitted application is a conflict.
pub async fn delete_draft(pool: &Pool, id: i64, version: i64) -> Result<(), StoreError> {
    crate::on_pool!(pool, pool => {
        let done = sqlx::query(
            "DELETE FROM applications WHERE id = $1 AND version = $2 AND state = 'draft'
               AND NOT EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = applications.id)",
        )
        .bind(id)
        .bind(version)
        .execute(pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    })
}

/// One application.
pub async fn get(pool: &Pool, id: i64) -> Result<Application, StoreError> {
    crate::on_pool!(pool, pool => {
        let row: Option<Row> = sqlx::query_as(&select_sql("WHERE a.id = $1")).bind(id).fetch_optional(pool).await?;
        row.map(Application::try_from).transpose()?.ok_or(StoreError::NotFound)
    })
}

/// A unit's applications, newest first (rows that cannot be read set apart, [`Listed`]).
pub async fn list_for_unit(pool: &Pool, unit_id: i64) -> Result<Listed<Application>, StoreError> {
    crate::on_pool!(pool, pool => {
        let rows =
            sqlx::query(&select_sql("WHERE a.unit_id = $1 ORDER BY a.id DESC")).bind(unit_id).fetch_all(pool).await?;
        Ok(Listed::read::<Row, _>(rows))
    })
}

/// Whose applications a list holds: a unit's own, or an office's or supervisor's area.
#[derive(Debug, Clone)]
pub enum Scope {
    /// A unit's applications, drafts too.
    Unit(i64),
    /// The submitted applications of the units whose region code starts with `prefix` ("" for
    /// every unit, with a region or not). An office below the centre sees only the
    /// applications whose review chain holds its `level`, and a provincial office also those
    /// whose paper it files; supervisors and 中央编办 (`every_level`) see them all.
    Area {
        /// The region code prefix.
        prefix: String,
        /// The office's level.
        level: Option<Level>,
        /// Whether the chain is not looked at.
        every_level: bool,
    },
}

/// What a list of applications is narrowed to; the default is every application of the scope.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    /// Part of the unit's or site's name, a domain or the badge code ('' for any).
    pub text: String,
    /// One state, or every state.
    pub state: Option<State>,
    /// Only the states in which an office owes the next step ([`State::AT_AN_OFFICE`]).
    pub at_an_office: bool,
}

/// The WHERE of the scoped lists, of every state and of the states at an office: `$1` the unit
/// (0 for an area), `$2` the area's prefix, `$3` whether every level sees it and `$4` the
/// office's level, `$5` the text ('' for any) and `$6` its pattern, `$7` a state ('' for any).
/// The rule is `service::applications::can_view`'s, which a test holds it to.
static SCOPED_WHERE: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
    let every = "WHERE (($1 <> 0 AND a.unit_id = $1)
             OR ($1 = 0 AND a.state <> 'draft'
                 AND ($2 = '' OR u.region LIKE $2 || '%')
                 AND ($3 = 1 OR (',' || a.chain || ',') LIKE '%,' || $4 || ',%'
                      OR ($4 = 'province' AND a.filing IS NOT NULL))))
           AND ($5 = '' OR lower(a.unit_name) LIKE $6 ESCAPE '\\' OR lower(a.site_name) LIKE $6 ESCAPE '\\'
                OR lower(a.domain_en) LIKE $6 ESCAPE '\\' OR lower(a.domain_cn) LIKE $6 ESCAPE '\\'
                OR lower(a.badge_code) LIKE $6 ESCAPE '\\')
           AND ($7 = '' OR a.state = $7)";
    // A plain IN, so that the states' index finds the applications under way.
    let at_an_office = State::AT_AN_OFFICE.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
    [every.to_owned(), format!("{every} AND a.state IN ({at_an_office})")]
});

/// The applications of `scope` matching `filter`, the latest changed first: `limit` of them
/// from `offset` (rows that cannot be read set apart, [`Listed`]), and how many match in all.
pub async fn search(
    pool: &Pool,
    scope: &Scope,
    filter: &ApplicationFilter,
    limit: i64,
    offset: i64,
) -> Result<(Listed<Application>, i64), StoreError> {
    let (unit, prefix, every_level, level) = match scope {
        Scope::Unit(id) => (*id, "", 1_i64, ""),
        Scope::Area { prefix, level, every_level } => {
            (0, prefix.as_str(), i64::from(*every_level), level.map_or("", Level::as_str))
        }
    };
    let pattern = super::contains_pattern(&filter.text.to_lowercase());
    let state = filter.state.map_or("", State::as_str);
    let scoped_where = &SCOPED_WHERE[usize::from(filter.at_an_office)];
    // The parameters of SCOPED_WHERE, in its order.
    macro_rules! bind_search {
        ($query:expr) => {
            $query.bind(unit).bind(prefix).bind(every_level).bind(level).bind(&filter.text).bind(&pattern).bind(state)
        };
    }
    crate::on_pool!(pool, pool => {
        let count = format!("SELECT COUNT(*) FROM applications a JOIN accounts u ON u.id = a.unit_id {scoped_where}");
        let total: i64 = bind_search!(sqlx::query_scalar(&count)).fetch_one(pool).await?;
        let page = select_sql(&format!("{scoped_where} ORDER BY a.state_since DESC, a.id DESC LIMIT $8 OFFSET $9"));
        let rows = bind_search!(sqlx::query(&page)).bind(limit).bind(offset).fetch_all(pool).await?;
        Ok((Listed::read::<Row, _>(rows), total))
    })
}

/// Another live new-site application of any unit for the same English domain.
pub async fn domain_taken(pool: &Pool, domain_en: &str, except_id: Option<i64>) -> Result<bool, StoreError> {
    crate::on_pool!(pool, pool => {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM applications WHERE kind = 'new' AND domain_en = $1 AND domain_en <> '' AND id <> $2",
        )
        .bind(domain_en)
        .bind(except_id.unwrap_or(-1))
        .fetch_one(pool)
        .await?;
        Ok(n > 0)
    })
}

/// A workflow step to record.
pub struct Step<'a> {
    /// The application.
    pub id: i64,
    /// The version it was read at; the write fails as a conflict if it moved.
    pub version: i64,
    /// The state it was read in.
    pub from: State,
    /// The state it goes to.
    pub to: State,
    /// What happened.
    pub event: &'a Event,
    /// Who did it.
    pub actor: &'a Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// The checklist items the actor checked at this step.
    pub checklist: &'a [String],
    /// On submission: whether this round's paper must be filed with the provincial office.
    pub filing_required: bool,
    /// Set on submission: the new round's chain.
    pub new_chain: Option<&'a [Level]>,
}

/// Moves the application from `step.from` to `step.to` if nobody changed it since `version`,
/// and appends the step to the audit log. Run inside the transaction of the whole change.
pub async fn record_step(conn: &mut Tx, step: &Step<'_>) -> Result<i64, StoreError> {
    crate::on_tx!(conn, conn => {
        let chain = step.new_chain.map(|c| c.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(","));
        let round: Option<i64> = sqlx::query_scalar(
            "UPDATE applications
         SET state = $1, version = version + 1, state_since = $2, updated_at = $3,
             round = round + CASE WHEN $4 THEN 1 ELSE 0 END,
             chain = COALESCE($5, chain),
             filing = CASE WHEN $6 = 'file_paper' THEN 'done' WHEN $7 THEN $8 ELSE filing END
         WHERE id = $9 AND version = $10 AND state = $11
         RETURNING round",
        )
        .bind(step.to.as_str())
        .bind(step.at)
        .bind(step.at)
        .bind(step.new_chain.is_some())
        .bind(chain)
        .bind(step.event.name())
        .bind(step.new_chain.is_some())
        .bind(step.filing_required.then_some("pending"))
        .bind(step.id)
        .bind(step.version)
        .bind(step.from.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let round = round.ok_or(StoreError::Conflict)?;
        sqlx::query(
            "INSERT INTO application_events
           (application_id, round, actor_id, actor_role, actor_level, event, from_state, to_state, reason, at, checklist)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(step.id)
        .bind(round)
        .bind(step.actor.account_id)
        .bind(step.actor.role.as_str())
        .bind(step.actor.level.map(Level::as_str))
        .bind(step.event.name())
        .bind(step.from.as_str())
        .bind(step.to.as_str())
        .bind(step.event.reason().unwrap_or_default())
        .bind(step.at)
        .bind(step.checklist.join(","))
        .execute(&mut *conn)
        .await?;
        Ok(step.version + 1)
    })
}

/// Records a re-check's legacy code and the office's decision on it.
pub async fn set_legacy(conn: &mut Tx, id: i64, legacy_code: &str, decision: LegacyDecision) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query("UPDATE applications SET legacy_code = $1, legacy_decision = $2 WHERE id = $3")
            .bind(legacy_code)
            .bind(decision.as_str())
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// Records the badge code issued for an application.
pub async fn set_badge_code(conn: &mut Tx, id: i64, code: &str) -> Result<(), StoreError> {
    crate::on_tx!(conn, conn => {
        sqlx::query("UPDATE applications SET badge_code = $1 WHERE id = $2").bind(code).bind(id).execute(conn).await?;
        Ok(())
    })
}

/// An application's audit trail, oldest first.
pub async fn history(pool: &Pool, id: i64) -> Result<Vec<AuditEntry>, StoreError> {
    crate::on_pool!(pool, pool => {
        Ok(sqlx::query_as(
            "SELECT e.id, e.round, e.actor_id, a.display_name AS actor_name, e.actor_role, e.actor_level,
                e.event, e.from_state, e.to_state, e.reason, e.at, e.checklist
         FROM application_events e JOIN accounts a ON a.id = e.actor_id
         WHERE e.application_id = $1 ORDER BY e.id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?)
    })
}
