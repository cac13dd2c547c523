//! Applications: create and edit drafts, submit, review at each level, handle the paper
//! materials, issue the badge; who may see what.

use chrono::{DateTime, Utc};

use super::{field_error, Context, ServiceError};
use crate::badge::snippet::install_snippet;
use crate::domain::account::{Actor, Role};
use crate::domain::application::{ApplicationForm, ApplicationInput, ApplicationKind, LegacyDecision};
use crate::domain::badge::{BadgeStatus, SiteCode};
use crate::domain::calendar::{today_in_china, DueDate};
use crate::domain::region::Level;
use crate::domain::workflow::{apply, review_chain, Denied, Event, Filing, State, Subject};
use crate::notify::messages::{self, About, Notice};
use crate::notify::queue::{queue, Recipient};
use crate::store::applications::{self as store, Application, AuditEntry, Step};
use crate::store::{accounts, badges, Tx};

/// May `actor` read this application?
pub fn can_view(actor: &Actor, app: &Application) -> bool {
    match actor.role {
        Role::Unit => actor.account_id == app.unit_id,
        Role::Reviewer | Role::Supervisor => {
            app.state != State::Draft
                && actor.covers_region(app.unit_region.as_ref())
                && (actor.role == Role::Supervisor
                    || actor.level == Some(Level::Central)
                    || actor.level.is_some_and(|l| app.chain.contains(&l))
                    // The provincial office that files the paper (省编办备案).
                    || (actor.level == Some(Level::Province) && app.filing != Filing::NotRequired))
        }
        Role::Admin => false,
    }
}

/// Loads the application for a change made against `version`: a stale version is a conflict
/// whatever the current state, so the loser of a race is told the application changed.
async fn load_for_change(ctx: &Context, actor: &Actor, id: i64, version: i64) -> Result<Application, ServiceError> {
    let app = load_visible(ctx, actor, id).await?;
    if app.version != version {
        return Err(ServiceError::Conflict);
    }
    Ok(app)
}

async fn load_visible(ctx: &Context, actor: &Actor, id: i64) -> Result<Application, ServiceError> {
    let app = store::get(&ctx.pool, id).await?;
    if can_view(actor, &app) {
        Ok(app)
    } else {
        // Applications outside the actor's scope are not confirmed to exist.
        Err(ServiceError::NotFound)
    }
}

/// The unit's review chain under the current configuration: its province's chain, else the
/// default one.
fn chain_for(ctx: &Context, unit_level: Level, unit_region: Option<&crate::domain::region::RegionCode>) -> Vec<Level> {
    let workflow = &ctx.config.workflow;
    let kind = unit_region
        .and_then(|r| workflow.province_chains.get(r.at_level(Level::Province).as_str()))
        .copied()
        .unwrap_or(workflow.review_chain);
    review_chain(unit_level, unit_region, kind, &workflow.review_levels)
}

/// Validates the input for saving (draft) or submitting, including the checks that need the
/// database: the English domain is not already applied for, a re-check names this unit's badge.
async fn validate(
    ctx: &Context,
    actor: &Actor,
    input: &ApplicationInput,
    complete: bool,
    id: Option<i64>,
) -> Result<ApplicationForm, ServiceError> {
    let form = if complete { input.parse_complete() } else { input.parse() }.map_err(ServiceError::Invalid)?;
    if let Some(category) = form.category {
        let problems = ctx.config.domain_policy.check(category, form.domain_cn.as_ref(), form.domain_en.as_ref());
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems.into_iter().collect()));
        }
    }
    if let (ApplicationKind::New, Some(domain)) = (form.kind, &form.domain_en) {
        if store::domain_taken(&ctx.pool, domain.as_str(), id).await? {
            return Err(field_error("domain_en", "该域名已有开办审核申请，一个网站只能提交一份申请"));
        }
    }
    if let Some(code) = &form.recheck_code {
        // A govbadge code must be one of the unit's badges; a legacy code may be one the
        // register does not hold yet, but not another unit's.
        let owned = match badges::get(&ctx.pool, code.as_str()).await {
            Ok(b) => b.unit_id == actor.account_id && b.status != BadgeStatus::Revoked,
            Err(crate::store::StoreError::NotFound) => matches!(code, SiteCode::Legacy(_)),
            Err(e) => return Err(e.into()),
        };
        if !owned {
            return Err(field_error("recheck_code", "未找到本单位该网站标识代码"));
        }
    }
    Ok(form)
}

fn require_unit(actor: &Actor) -> Result<Level, ServiceError> {
    match (actor.role, actor.level) {
        (Role::Unit, Some(level)) => Ok(level),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Creates an application; with `submit` it is submitted in the same transaction, so a
/// refused submission stores nothing.
pub async fn create(ctx: &Context, actor: &Actor, input: &ApplicationInput, submit: bool) -> Result<i64, ServiceError> {
    let unit_level = require_unit(actor)?;
    let form = validate(ctx, actor, input, submit, None).await?;
    let now = Utc::now();
    let mut tx = ctx.pool.begin().await?;
    let id = store::create_draft(&mut tx, actor.account_id, &form, now).await?;
    if submit {
        let chain = chain_for(ctx, unit_level, actor.region.as_ref());
        submit_in(
            &mut tx,
            actor,
            id,
            1,
            State::Draft,
            &NewRound { chain: &chain, filing_required: ctx.config.workflow.provincial_filing },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(application.id = id, submitted = submit, "application created");
    Ok(id)
}

/// Saves an edited form (and submits it when asked), if the version is still current.
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    version: i64,
    input: &ApplicationInput,
    submit: bool,
) -> Result<(), ServiceError> {
    let unit_level = require_unit(actor)?;
    let app = load_for_change(ctx, actor, id, version).await?;
    if !app.state.editable() {
        return Err(Denied::WrongState(app.state.label()).into());
    }
    let form = validate(ctx, actor, input, submit, Some(id)).await?;
    let now = Utc::now();
    let mut tx = ctx.pool.begin().await?;
    store::update_form(&mut tx, id, version, &form, now).await?;
    if submit {
        let chain = chain_for(ctx, unit_level, actor.region.as_ref());
        submit_in(
            &mut tx,
            actor,
            id,
            version + 1,
            app.state,
            &NewRound { chain: &chain, filing_required: ctx.config.workflow.provincial_filing },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Submits the stored form as it is.
/// The unit deletes its own draft, never submitted.
pub async fn delete_draft(ctx: &Context, actor: &Actor, id: i64, version: i64) -> Result<(), ServiceError> {
    require_unit(actor)?;
    let app = load_for_change(ctx, actor, id, version).await?;
    if app.state != State::Draft {
        return Err(ServiceError::Conflict);
    }
    store::delete_draft(&ctx.pool, id, version).await?;
    tracing::info!(application.id = id, by = actor.account_id, "draft deleted");
    Ok(())
}

/// Submits a draft or a returned application to the first review level (the unit only).
pub async fn submit(ctx: &Context, actor: &Actor, id: i64, version: i64) -> Result<(), ServiceError> {
    let unit_level = require_unit(actor)?;
    let app = load_for_change(ctx, actor, id, version).await?;
    app.form.to_input().parse_complete().map_err(ServiceError::Invalid)?;
    let mut tx = ctx.pool.begin().await?;
    let chain = chain_for(ctx, unit_level, actor.region.as_ref());
    submit_in(
        &mut tx,
        actor,
        id,
        version,
        app.state,
        &NewRound { chain: &chain, filing_required: ctx.config.workflow.provincial_filing },
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a submission fixes for the round it starts.
struct NewRound<'a> {
    /// The review chain.
    chain: &'a [Level],
    /// Whether the paper is filed with the provincial office before confirmation.
    filing_required: bool,
}

async fn submit_in(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    version: i64,
    from: State,
    round: &NewRound<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let NewRound { chain, filing_required } = *round;
    let subject = Subject {
        state: from,
        owner_id: actor.account_id,
        unit_region: actor.region.as_ref(),
        chain,
        filing: Filing::NotRequired,
    };
    let to = apply(&subject, &Event::Submit, actor)?;
    let step = Step {
        id,
        version,
        from,
        to,
        event: &Event::Submit,
        actor,
        at: now,
        checklist: &[],
        filing_required,
        new_chain: Some(chain),
    };
    store::record_step(tx, &step).await?;
    Ok(())
}

/// A reviewer's decision on the online review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Pass the step.
    Approve,
    /// Send the application back to the unit, with a reason.
    Reject,
}

/// An online review step by a reviewer of the level the application waits at.
pub async fn review(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    version: i64,
    decision: Decision,
    reason: &str,
    checked: &[String],
) -> Result<State, ServiceError> {
    let app = load_for_change(ctx, actor, id, version).await?;
    let reason = clean_reason(reason)?;
    let event = match decision {
        Decision::Approve => Event::Approve,
        Decision::Reject => Event::Reject { reason: reason.clone() },
    };
    let to = apply(&subject_of(&app), &event, actor)?;
    let checked = &require_checklist(&event, checked)?;
    let now = Utc::now();
    let mut tx = ctx.pool.begin().await?;
    let step = reviewer_step(&app, version, to, &event, actor, now, checked);
    store::record_step(&mut tx, &step).await?;
    let about_url = portal_url(ctx);
    let about = about(&app, &about_url);
    match (to, app.state) {
        (State::Rejected, State::Review(level)) => {
            let step_name = if level == Level::Central {
                "中央编办复审".to_owned()
            } else {
                format!("{}编办", level.label())
            };
            enqueue(&mut tx, &app, &messages::rejected(&about, &step_name, &reason), now).await?;
        }
        (State::ApprovedOnline, _) => {
            enqueue(&mut tx, &app, &messages::approved_online(&about, ctx.config.workflow.paper_copies), now).await?;
        }
        _ => {}
    }
    tx.commit().await?;
    ctx.outbox_wake.notify_one();
    tracing::info!(application.id = id, from = %app.state, to = %to, "review recorded");
    Ok(to)
}

/// What the office does with the paper materials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperAction {
    /// The paper materials arrived.
    Receive,
    /// The paper is in order: the badge is issued. A re-check of a site with a national
    /// legacy code keeps that code as the site's code.
    Confirm,
    /// As `Confirm`, but a legacy code is replaced by a new govbadge code (the legacy badge
    /// record, if the register holds one, is revoked).
    ConfirmWithNewCode,
    /// The paper has a problem: the unit is told what to fix.
    Problem,
    /// The provincial office files the received paper (省编办备案).
    File,
}

/// Records the paper step; confirming also issues the badge in the same transaction.
pub async fn paper(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    version: i64,
    action: PaperAction,
    reason: &str,
    checked: &[String],
) -> Result<State, ServiceError> {
    let app = load_for_change(ctx, actor, id, version).await?;
    let reason = clean_reason(reason)?;
    let event = match action {
        PaperAction::Receive => Event::ReceivePaper,
        PaperAction::Confirm | PaperAction::ConfirmWithNewCode => Event::ConfirmPaper,
        PaperAction::File => Event::FilePaper,
        PaperAction::Problem => Event::PaperProblem { reason: reason.clone() },
    };
    let subject = subject_of(&app);
    let to = apply(&subject, &event, actor)?;
    let checked = &require_checklist(&event, checked)?;
    let now = Utc::now();
    let mut tx = ctx.pool.begin().await?;
    let step = reviewer_step(&app, version, to, &event, actor, now, checked);
    let version = store::record_step(&mut tx, &step).await?;
    let portal = portal_url(ctx);
    let about = about(&app, &portal);
    let mut final_state = to;
    match to {
        State::PaperProblem => enqueue(&mut tx, &app, &messages::paper_problem(&about, &reason), now).await?,
        State::Confirmed => {
            let confirmed = Subject { state: State::Confirmed, ..subject };
            final_state = apply(&confirmed, &Event::Issue, actor)?;
            let step = Step {
                id,
                version,
                from: State::Confirmed,
                to: final_state,
                event: &Event::Issue,
                actor,
                at: now,
                checklist: &[],
                filing_required: false,
                new_chain: None,
            };
            store::record_step(&mut tx, &step).await?;
            let replace_legacy = action == PaperAction::ConfirmWithNewCode;
            let (code, due) = issue_badge(ctx, &mut tx, &app, actor, replace_legacy, now).await?;
            let snippet = match &code {
                SiteCode::Badge(code) => install_snippet(&ctx.config.badge.base_url, code),
                SiteCode::Legacy(_) => LEGACY_KEPT_SNIPPET.to_owned(),
            };
            let notice = messages::issued(
                &about,
                code.as_str(),
                due.date,
                ctx.config.workflow.install_days,
                due.provisional,
                &snippet,
            );
            enqueue(&mut tx, &app, &notice, now).await?;
            tracing::info!(application.id = id, badge.code = %code, "badge issued");
        }
        _ => {}
    }
    tx.commit().await?;
    ctx.outbox_wake.notify_one();
    if final_state == State::Issued {
        ctx.refresh_badges().await;
    }
    Ok(final_state)
}

/// What the issue notice says in place of the snippet when a re-check keeps a legacy code.
const LEGACY_KEPT_SNIPPET: &str = "本网站继续使用原网站标识代码，请保持页面底部原网站标识加挂不变。";

/// A new site gets a new code; a re-check keeps the code it re-checks, except a legacy code
/// the office replaces (`replace_legacy`) by a new govbadge code.
async fn issue_badge(
    ctx: &Context,
    tx: &mut Tx,
    app: &Application,
    actor: &Actor,
    replace_legacy: bool,
    now: DateTime<Utc>,
) -> Result<(SiteCode, DueDate), ServiceError> {
    let due = install_due(ctx, now);
    let region = app.unit_region.unwrap_or(ctx.config.workflow.central_region_code);
    let code = match (app.form.kind, &app.form.recheck_code) {
        (ApplicationKind::Recheck, Some(SiteCode::Badge(code))) => SiteCode::Badge(code.clone()),
        (ApplicationKind::Recheck, Some(SiteCode::Legacy(legacy))) => {
            let decision = if replace_legacy { LegacyDecision::Replace } else { LegacyDecision::Keep };
            store::set_legacy(tx, app.id, legacy.as_str(), decision).await?;
            if replace_legacy {
                let reason = "资格复核换发新网站标识代码";
                badges::retire_legacy(tx, legacy.as_str(), app.unit_id, actor.account_id, reason, now).await?;
                SiteCode::Badge(badges::issue(tx, app.id, app.unit_id, &region, now, due.date).await?)
            } else {
                badges::keep_legacy(tx, legacy, app.id, app.unit_id, &region, now, due.date).await?;
                SiteCode::Legacy(legacy.clone())
            }
        }
        _ => SiteCode::Badge(badges::issue(tx, app.id, app.unit_id, &region, now, due.date).await?),
    };
    store::set_badge_code(tx, app.id, code.as_str()).await?;
    Ok((code, due))
}

/// The day the unit must have the badge installed by: N working days after the notice.
pub fn install_due(ctx: &Context, notice: DateTime<Utc>) -> DueDate {
    ctx.calendar.add_working_days(today_in_china(notice), ctx.config.workflow.install_days)
}

/// An office's step on an application read at `version`.
fn reviewer_step<'a>(
    app: &Application,
    version: i64,
    to: State,
    event: &'a Event,
    actor: &'a Actor,
    at: DateTime<Utc>,
    checklist: &'a [String],
) -> Step<'a> {
    Step {
        id: app.id,
        version,
        from: app.state,
        to,
        event,
        actor,
        at,
        checklist,
        filing_required: false,
        new_chain: None,
    }
}

/// Refuses a step whose checklist (the review's four items, the paper materials) is not all
/// checked, naming what is missing; the items of the step's own checklist, to record.
fn require_checklist(event: &Event, checked: &[String]) -> Result<Vec<String>, ServiceError> {
    let list = crate::domain::workflow::checklist_for(event);
    let missing = crate::domain::workflow::unchecked(list, checked);
    if missing.is_empty() {
        Ok(list.iter().map(|(key, _)| (*key).to_owned()).collect())
    } else {
        Err(field_error("checklist", &format!("请逐项核对后再办理，尚未核对：{}", missing.join("、"))))
    }
}

fn clean_reason(reason: &str) -> Result<String, ServiceError> {
    crate::domain::fields::plain_text(reason, 500, true).map_err(|m| field_error("reason", &m))
}

fn subject_of(app: &Application) -> Subject<'_> {
    Subject {
        state: app.state,
        owner_id: app.unit_id,
        unit_region: app.unit_region.as_ref(),
        chain: &app.chain,
        filing: app.filing,
    }
}

/// The service's base URL, for links in notices.
pub fn portal_url(ctx: &Context) -> String {
    format!("{}/portal", ctx.config.server.public_base_url.trim_end_matches('/'))
}

/// What notices say about an application: its unit, site and the portal's URL.
pub fn about<'a>(app: &'a Application, portal_url: &'a str) -> About<'a> {
    About {
        unit_name: &app.form.unit_name,
        site_name: &app.form.site_name,
        review_label: app.form.kind.review_label(),
        portal_url,
    }
}

/// Records the notice to the handler for each channel they have an address for, in the
/// caller's transaction.
async fn enqueue(tx: &mut Tx, app: &Application, notice: &Notice, now: DateTime<Utc>) -> Result<(), ServiceError> {
    queue(tx, &handler_of(app), notice, now).await?;
    Ok(())
}

/// The application's handler as the recipient of its notices.
pub fn handler_of(app: &Application) -> Recipient<'_> {
    let handler = &app.form.handler;
    Recipient {
        application_id: Some(app.id),
        email: handler.email.as_ref().map(super::super::domain::fields::Email::as_str),
        mobile: handler.mobile.as_ref().map(super::super::domain::fields::Mobile::as_str),
    }
}

/// An application with what its readers need beside it.
pub struct ApplicationView {
    /// The application.
    pub app: Application,
    /// Its audit trail, oldest first.
    pub history: Vec<AuditEntry>,
    /// The deadline of the step it waits at, if any.
    pub due: Option<DueDate>,
    /// Whether that deadline has passed.
    pub overdue: bool,
}

/// One application, as its unit or a reviewer or supervisor of its chain may see it.
pub async fn view(ctx: &Context, actor: &Actor, id: i64) -> Result<ApplicationView, ServiceError> {
    let app = load_visible(ctx, actor, id).await?;
    let history = store::history(&ctx.pool, id).await?;
    Ok(with_due(ctx, app, history))
}

/// The application with the deadline of the step it waits at.
pub(super) fn with_due(ctx: &Context, app: Application, history: Vec<AuditEntry>) -> ApplicationView {
    let due = due_date(ctx, &app);
    let overdue = due.is_some_and(|d| crate::domain::calendar::WorkingCalendar::is_overdue(d.date, Utc::now()));
    ApplicationView { app, history, due, overdue }
}

/// Service-level due date of the step the application waits at, if an office owes one.
pub fn due_date(ctx: &Context, app: &Application) -> Option<DueDate> {
    let days = match app.state {
        State::Review(_) => ctx.config.workflow.online_review_days,
        State::PaperReceived => ctx.config.workflow.paper_review_days,
        _ => return None,
    };
    Some(ctx.calendar.add_working_days(today_in_china(app.state_since), days))
}

/// A unit's own applications, newest first, drafts too (a unit has a handful; the lists of
/// offices and supervisors, which grow with every application made, are in
/// [`super::application_lists`]).
pub async fn unit_list(ctx: &Context, actor: &Actor) -> Result<super::application_lists::Views, ServiceError> {
    require_unit(actor)?;
    let listed = store::list_for_unit(&ctx.pool, actor.account_id).await?;
    let views = listed.items.into_iter().map(|a| with_due(ctx, a, Vec::new())).collect();
    Ok(super::application_lists::Views { views, unreadable: listed.unreadable })
}

/// Whether `actor` has a step to take on this application now.
pub fn awaits(actor: &Actor, app: &Application) -> bool {
    actor.role == Role::Reviewer && !review_steps(actor, app).is_empty()
}

/// The review and paper steps `actor` may take on `app` now, by event name.
pub fn review_steps(actor: &Actor, app: &Application) -> Vec<&'static str> {
    let subject = subject_of(app);
    let probes = [
        Event::Approve,
        Event::Reject { reason: "-".into() },
        Event::ReceivePaper,
        Event::ConfirmPaper,
        Event::PaperProblem { reason: "-".into() },
        Event::FilePaper,
    ];
    probes.iter().filter(|e| apply(&subject, e, actor).is_ok()).map(Event::name).collect()
}

/// The unit's badges with their install deadlines.
pub async fn unit_badges(ctx: &Context, actor: &Actor) -> Result<Vec<badges::Badge>, ServiceError> {
    require_unit(actor)?;
    Ok(badges::list_for_unit(&ctx.pool, actor.account_id).await?)
}

/// Applications of one unit chosen for the covering letter: all must belong to the unit and be
/// approved online (or later).
pub async fn letter_batch(ctx: &Context, actor: &Actor, ids: &[i64]) -> Result<Vec<Application>, ServiceError> {
    require_unit(actor)?;
    if ids.is_empty() || ids.len() > 50 {
        return Err(field_error("ids", "请选择要列入申请函的网站"));
    }
    let mut out = Vec::new();
    for id in ids {
        let app = load_visible(ctx, actor, *id).await?;
        if !printable(app.state) {
            return Err(Denied::WrongState(app.state.label()).into());
        }
        out.push(app);
    }
    Ok(out)
}

/// The letter and form are printed once both online reviews have passed.
pub fn printable(state: State) -> bool {
    matches!(state, State::ApprovedOnline | State::PaperReceived | State::Confirmed | State::Issued)
}

/// An application for printing: the unit only, once approved online.
pub async fn for_print(ctx: &Context, actor: &Actor, id: i64) -> Result<Application, ServiceError> {
    Ok(letter_batch(ctx, actor, &[id]).await?.remove(0))
}

/// The unit's display name, for the letter.
pub async fn unit_display_name(ctx: &Context, unit_id: i64) -> Result<String, ServiceError> {
    Ok(accounts::get(&ctx.pool, unit_id).await?.display_name)
}
