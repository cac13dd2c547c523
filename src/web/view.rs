//! What pages and the API show of an application: one serialisable shape for both, with the
//! personal data masked unless the reader handles the application.

use serde_json::{json, Value};

use crate::domain::account::{Actor, Role};
use crate::domain::application::ApplicationForm;
use crate::domain::region::Level;
use crate::domain::workflow::State;
use crate::service::applications::{printable, review_steps, ApplicationView};

/// Steps `actor` may take now, by event name.
pub fn available_actions(actor: &Actor, view: &ApplicationView) -> Vec<&'static str> {
    let app = &view.app;
    let mut actions = review_steps(actor, app);
    if actor.role == Role::Unit && actor.account_id == app.unit_id {
        if app.state.editable() {
            actions.extend(["edit", "submit"]);
        }
        if printable(app.state) {
            actions.push("print");
        }
    }
    actions
}

/// Whether the reader sees personal data in full: the unit itself and the reviewers.
pub fn sees_personal_data(actor: &Actor, view: &ApplicationView) -> bool {
    match actor.role {
        Role::Unit => actor.account_id == view.app.unit_id,
        Role::Reviewer => true,
        Role::Supervisor | Role::Admin => false,
    }
}

fn form_json(form: &ApplicationForm, full: bool) -> Value {
    let input = form.to_input();
    let mut value = serde_json::to_value(&input).expect("strings serialise");
    value["kind_label"] = json!(form.kind.label());
    value["review_label"] = json!(form.kind.review_label());
    value["recheck_legacy"] = json!(matches!(form.recheck_code, Some(crate::domain::badge::SiteCode::Legacy(_))));
    value["domain_cn_ascii"] = json!(form.domain_cn.as_ref().map(super::super::domain::fields::ChineseDomain::ascii));
    if !full {
        let mask = |v: &mut Value, masked: Option<String>| *v = json!(masked.unwrap_or_default());
        mask(
            &mut value["handler_id_number"],
            form.handler_id_number.as_ref().map(super::super::domain::fields::IdNumber::masked),
        );
        mask(
            &mut value["principal_mobile"],
            form.principal.mobile.as_ref().map(super::super::domain::fields::Mobile::masked),
        );
        mask(
            &mut value["handler_mobile"],
            form.handler.mobile.as_ref().map(super::super::domain::fields::Mobile::masked),
        );
        for field in ["principal_phone", "handler_phone", "principal_email", "handler_email"] {
            if value[field].as_str().is_some_and(|s| !s.is_empty()) {
                value[field] = json!("（已隐去）");
            }
        }
    }
    value
}

fn level_labels(chain: &[Level]) -> Vec<&'static str> {
    chain.iter().map(|l| if *l == Level::Central { "中央编办复审" } else { l.label() }).collect()
}

/// The application as its detail page and the API show it to `actor`.
pub fn application_json(actor: &Actor, view: &ApplicationView) -> Value {
    render(actor, view, sees_personal_data(actor, view))
}

/// A row of a list: personal data always masked, no history.
pub fn application_row(actor: &Actor, view: &ApplicationView) -> Value {
    let mut row = render(actor, view, false);
    if let Some(fields) = row.as_object_mut() {
        fields.remove("history");
    }
    row
}

/// The labels of the checklist keys recorded with a step.
fn checked_labels(keys: &str) -> Vec<&'static str> {
    use crate::domain::workflow::{PAPER_CHECKLIST, REVIEW_CHECKLIST};
    keys.split(',')
        .filter_map(|k| REVIEW_CHECKLIST.iter().chain(PAPER_CHECKLIST.iter()).find(|(key, _)| *key == k))
        .map(|(_, label)| *label)
        .collect()
}

fn render(actor: &Actor, view: &ApplicationView, full: bool) -> Value {
    let app = &view.app;
    let history: Vec<Value> = view
        .history
        .iter()
        .map(|h| {
            json!({
                "round": h.round,
                "actor": h.actor_name,
                "actor_role": h.actor_role,
                "actor_level": h.actor_level,
                "event": h.event,
                "event_label": event_label(&h.event),
                "from_state": h.from_state,
                "to_state": h.to_state,
                "to_state_label": State::parse(&h.to_state).map(State::label),
                "reason": h.reason,
                "checked": checked_labels(&h.checklist),
                "at": h.at.to_rfc3339(),
            })
        })
        .collect();
    json!({
        "id": app.id,
        "kind": app.form.kind.as_str(),
        "state": app.state.as_str(),
        "state_label": app.state.label(),
        "version": app.version,
        "round": app.round,
        "unit_account": app.unit_account,
        "unit_region": app.unit_region.map(|r| r.to_string()),
        "unit_level": app.unit_level.as_str(),
        "chain": app.chain.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "chain_labels": level_labels(&app.chain),
        "state_since": app.state_since.to_rfc3339(),
        "due": view.due.map(|d| d.date.to_string()),
        "due_provisional": view.due.is_some_and(|d| d.provisional),
        "overdue": view.overdue,
        "badge_code": app.badge_code,
        "form": form_json(&app.form, full),
        "history": history,
        "actions": available_actions(actor, view),
        "filing": match app.filing {
            crate::domain::workflow::Filing::NotRequired => None,
            crate::domain::workflow::Filing::Pending => Some("pending"),
            crate::domain::workflow::Filing::Done => Some("done"),
        },
        "updated_at": app.updated_at.to_rfc3339(),
    })
}

/// An audit event in Chinese.
pub fn event_label(event: &str) -> &'static str {
    match event {
        "submit" => "提交申请",
        "approve" => "审核通过",
        "reject" => "审核不通过",
        "receive_paper" => "接收书面材料",
        "confirm_paper" => "确认书面材料",
        "paper_problem" => "书面材料有误",
        "issue" => "发放网站标识",
        "file_paper" => "省编办备案",
        _ => "其他",
    }
}
