//! The application workflow as a pure state machine: `apply(subject, event, actor)` returns the
//! next state or why the step is refused. Storage records each accepted step in the audit log.
//!
//! draft → review at each level of the chain (the unit's own level up to province, then
//! 中央编办's re-review) → approved online → paper received → confirmed → badge issued.
//! A rejection at any review step returns it to the unit; so does a problem with the paper.

use std::fmt;

use serde::Serialize;

use super::account::{Actor, Role};
use super::region::{Level, RegionCode};

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum State {
    /// Being written by the unit, not yet submitted.
    Draft,
    /// Online review by the staffing office of this level.
    Review(Level),
    /// Approved online by every level; the paper materials are awaited.
    ApprovedOnline,
    /// The paper materials arrived; to be confirmed.
    PaperReceived,
    /// The paper materials are confirmed.
    Confirmed,
    /// The badge is issued.
    Issued,
    /// Returned to the unit by a reviewer, with a reason.
    Rejected,
    /// The paper materials were wrong; returned to the unit, with a reason.
    PaperProblem,
}

impl State {
    /// Every state, for checks and the schema.
    pub const ALL: [State; 11] = [
        State::Draft,
        State::Review(Level::County),
        State::Review(Level::City),
        State::Review(Level::Province),
        State::Review(Level::Central),
        State::ApprovedOnline,
        State::PaperReceived,
        State::Confirmed,
        State::Issued,
        State::Rejected,
        State::PaperProblem,
    ];

    /// The states in which an office owes the next step (a review, the paper, the provincial
    /// filing, the issue): an office's queue is drawn from applications in these only, so it
    /// grows with the work under way, not with every application ever made.
    pub const AT_AN_OFFICE: [State; 7] = [
        State::Review(Level::County),
        State::Review(Level::City),
        State::Review(Level::Province),
        State::Review(Level::Central),
        State::ApprovedOnline,
        State::PaperReceived,
        State::Confirmed,
    ];

    /// The stored form (a CHECK constraint in the schema lists the same words).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Review(Level::County) => "county_review",
            State::Review(Level::City) => "city_review",
            State::Review(Level::Province) => "province_review",
            State::Review(Level::Central) => "central_review",
            State::ApprovedOnline => "approved_online",
            State::PaperReceived => "paper_received",
            State::Confirmed => "confirmed",
            State::Issued => "issued",
            State::Rejected => "rejected",
            State::PaperProblem => "paper_problem",
        }
    }

    /// The state of a stored word.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The state's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            State::Draft => "草稿",
            State::Review(Level::County) => "县级编办审核中",
            State::Review(Level::City) => "市级编办审核中",
            State::Review(Level::Province) => "省级编办审核中",
            State::Review(Level::Central) => "中央编办复审中",
            State::ApprovedOnline => "在线审核通过，待报送书面材料",
            State::PaperReceived => "书面材料已接收，待确认",
            State::Confirmed => "书面材料已确认",
            State::Issued => "已发放网站标识",
            State::Rejected => "审核未通过，待修改后重新提交",
            State::PaperProblem => "书面材料有误，须重新提交申请",
        }
    }

    /// States in which the unit may edit the form.
    pub fn editable(self) -> bool {
        matches!(self, State::Draft | State::Rejected | State::PaperProblem)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What somebody does to an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The unit submits (again).
    Submit,
    /// The reviewer at the current level approves.
    Approve,
    /// The reviewer at the current level returns it to the unit.
    Reject {
        /// Why, for the unit.
        reason: String,
    },
    /// The office received the paper materials.
    ReceivePaper,
    /// The office confirmed the paper materials: the badge is issued.
    ConfirmPaper,
    /// The paper materials are wrong.
    PaperProblem {
        /// What is wrong, for the unit.
        reason: String,
    },
    /// The system issues (or, for a re-check, re-confirms) the badge after confirmation.
    Issue,
    /// The provincial office files the received paper materials (省编办备案), where the
    /// configuration asks for it before confirmation.
    FilePaper,
}

impl Event {
    /// The event's stored word.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Submit => "submit",
            Event::Approve => "approve",
            Event::Reject { .. } => "reject",
            Event::ReceivePaper => "receive_paper",
            Event::ConfirmPaper => "confirm_paper",
            Event::PaperProblem { .. } => "paper_problem",
            Event::Issue => "issue",
            Event::FilePaper => "file_paper",
        }
    }

    /// The reason given with it, if any.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Event::Reject { reason } | Event::PaperProblem { reason } => Some(reason),
            _ => None,
        }
    }
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The actor may not take this step.
    #[error("无权进行此操作")]
    NotPermitted,
    /// The step is not possible in this state (its label).
    #[error("当前状态（{0}）不允许此操作")]
    WrongState(&'static str),
    /// A rejection needs a reason.
    #[error("请填写原因")]
    ReasonRequired,
    /// Confirmation waits for the provincial filing.
    #[error("书面材料须经省级机构编制部门备案后方可确认")]
    FilingRequired,
}

/// What an online reviewer checks before approving (the seed's four items): key and label.
pub const REVIEW_CHECKLIST: [(&str, &str); 4] =
    [("qualification", "开办主体资质"), ("contacts", "联系人信息"), ("site_name", "网站名称"), ("domain", "域名名称")];

/// The paper materials the office checks on receipt: key and label.
pub const PAPER_CHECKLIST: [(&str, &str); 4] = [
    ("letter", "申请函（加盖公章）"),
    ("form", "申请表（加盖公章）"),
    ("id_copy", "申请经办人身份证复印件"),
    ("credit_certificate", "统一社会信用代码证书原件及复印件"),
];

/// The checklist a step asks for: the review items to approve, the materials to receive the
/// paper; none for other steps.
pub fn checklist_for(event: &Event) -> &'static [(&'static str, &'static str)] {
    match event {
        Event::Approve => &REVIEW_CHECKLIST,
        Event::ReceivePaper => &PAPER_CHECKLIST,
        _ => &[],
    }
}

/// The items of `list` not among `checked`, by label (empty: all checked).
pub fn unchecked(list: &[(&'static str, &'static str)], checked: &[String]) -> Vec<&'static str> {
    list.iter().filter(|(key, _)| !checked.iter().any(|c| c == key)).map(|(_, label)| *label).collect()
}

/// How a province's applications are reviewed online before 中央编办's re-review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainKind {
    /// The seed's procedure: the staffing office of the unit's own level, then 中央编办.
    #[default]
    SameLevel,
    /// Every configured local level from the unit's own up (county → city → province), then
    /// 中央编办; municipalities directly under the central government (直辖市) have no city level.
    EveryLevel,
}

/// The provinces that are municipalities (北京, 天津, 上海, 重庆): their districts sit directly
/// under the province level.
pub fn is_municipality(region: &RegionCode) -> bool {
    matches!(&region.as_str()[..2], "11" | "12" | "31" | "50")
}

/// The review chain of a unit: its own level (or, for [`ChainKind::EveryLevel`], the
/// configured local levels from its own up, without a city level in a municipality), then the
/// central re-review. Central units go straight to the central step.
pub fn review_chain(
    unit_level: Level,
    unit_region: Option<&RegionCode>,
    kind: ChainKind,
    local_levels: &[Level],
) -> Vec<Level> {
    let mut chain: Vec<Level> = match kind {
        ChainKind::SameLevel => vec![unit_level],
        ChainKind::EveryLevel => {
            let municipality = unit_region.is_some_and(is_municipality);
            local_levels.iter().copied().filter(|l| *l >= unit_level && !(municipality && *l == Level::City)).collect()
        }
    };
    chain.retain(|l| *l != Level::Central);
    chain.sort();
    chain.dedup();
    chain.push(Level::Central);
    chain
}

/// The application as the rules need it.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    /// Where the application stands.
    pub state: State,
    /// The unit that owns it.
    pub owner_id: i64,
    /// The unit's region.
    pub unit_region: Option<&'a RegionCode>,
    /// From [`review_chain`]; its first level also handles the paper materials.
    pub chain: &'a [Level],
    /// Whether the paper must be filed with the provincial office before confirmation.
    pub filing: Filing,
}

/// The provincial filing (省编办备案) of the paper materials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filing {
    /// Not asked for (the configuration's default).
    #[default]
    NotRequired,
    /// Asked for, not yet done.
    Pending,
    /// Done in this round.
    Done,
}

impl Subject<'_> {
    fn paper_level(&self) -> Level {
        self.chain.first().copied().unwrap_or(Level::Central)
    }

    /// Whether `actor` is a reviewer of `level` whose region covers this unit.
    fn reviewer_in_charge(&self, actor: &Actor, level: Level) -> bool {
        actor.is_reviewer_at(level) && actor.covers_region(self.unit_region)
    }
}

/// The pure transition function.
pub fn apply(subject: &Subject<'_>, event: &Event, actor: &Actor) -> Result<State, Denied> {
    let wrong_state = || Denied::WrongState(subject.state.label());
    let need_reason = |reason: &str| {
        if reason.trim().is_empty() {
            Err(Denied::ReasonRequired)
        } else {
            Ok(())
        }
    };
    match event {
        Event::Submit => {
            if actor.role != Role::Unit || actor.account_id != subject.owner_id {
                return Err(Denied::NotPermitted);
            }
            if !subject.state.editable() {
                return Err(wrong_state());
            }
            Ok(State::Review(subject.chain.first().copied().unwrap_or(Level::Central)))
        }
        Event::Approve | Event::Reject { .. } => {
            let State::Review(level) = subject.state else {
                return Err(if actor.role == Role::Reviewer { wrong_state() } else { Denied::NotPermitted });
            };
            if !subject.reviewer_in_charge(actor, level) {
                return Err(Denied::NotPermitted);
            }
            if let Event::Reject { reason } = event {
                need_reason(reason)?;
                return Ok(State::Rejected);
            }
            let position = subject.chain.iter().position(|l| *l == level);
            Ok(match position.and_then(|i| subject.chain.get(i + 1)) {
                Some(next) => State::Review(*next),
                None => State::ApprovedOnline,
            })
        }
        Event::ReceivePaper | Event::ConfirmPaper | Event::PaperProblem { .. } => {
            if !subject.reviewer_in_charge(actor, subject.paper_level()) {
                return Err(Denied::NotPermitted);
            }
            match (event, subject.state) {
                (Event::ReceivePaper, State::ApprovedOnline) => Ok(State::PaperReceived),
                (Event::ConfirmPaper, State::PaperReceived) if subject.filing == Filing::Pending => {
                    Err(Denied::FilingRequired)
                }
                (Event::ConfirmPaper, State::PaperReceived) => Ok(State::Confirmed),
                (Event::PaperProblem { reason }, State::ApprovedOnline | State::PaperReceived) => {
                    need_reason(reason)?;
                    Ok(State::PaperProblem)
                }
                _ => Err(wrong_state()),
            }
        }
        Event::FilePaper => {
            if !subject.reviewer_in_charge(actor, Level::Province) {
                return Err(Denied::NotPermitted);
            }
            match (subject.state, subject.filing) {
                (State::PaperReceived, Filing::Pending) => Ok(State::PaperReceived),
                _ => Err(wrong_state()),
            }
        }
        Event::Issue => {
            // Issuance follows confirmation in the same transaction, by the confirming reviewer.
            if !subject.reviewer_in_charge(actor, subject.paper_level()) {
                return Err(Denied::NotPermitted);
            }
            match subject.state {
                State::Confirmed => Ok(State::Issued),
                _ => Err(wrong_state()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> RegionCode {
        RegionCode::parse(code).unwrap()
    }

    fn actor(id: i64, role: Role, level: Option<Level>, code: Option<&str>) -> Actor {
        Actor { account_id: id, role, level, region: code.map(region) }
    }

    const OWNER: i64 = 1;

    /// Everyone who could try to act on a county unit's application in 410922.
    fn cast() -> Vec<(&'static str, Actor)> {
        vec![
            ("owner", actor(OWNER, Role::Unit, Some(Level::County), Some("410922"))),
            ("other_unit", actor(2, Role::Unit, Some(Level::County), Some("410922"))),
            ("county", actor(3, Role::Reviewer, Some(Level::County), Some("410922"))),
            ("other_county", actor(4, Role::Reviewer, Some(Level::County), Some("410923"))),
            ("city", actor(5, Role::Reviewer, Some(Level::City), Some("410900"))),
            ("other_city", actor(6, Role::Reviewer, Some(Level::City), Some("411000"))),
            ("province", actor(7, Role::Reviewer, Some(Level::Province), Some("410000"))),
            ("central", actor(8, Role::Reviewer, Some(Level::Central), None)),
            ("supervisor", actor(9, Role::Supervisor, Some(Level::City), Some("410900"))),
            ("admin", actor(10, Role::Admin, None, None)),
        ]
    }

    fn events() -> Vec<Event> {
        vec![
            Event::Submit,
            Event::Approve,
            Event::Reject { reason: "域名不符".into() },
            Event::ReceivePaper,
            Event::ConfirmPaper,
            Event::PaperProblem { reason: "未加盖公章".into() },
            Event::Issue,
        ]
    }

    /// The whole table for a county unit under the default chain: every (state, event, actor)
    /// not listed here must be refused.
    fn expected(state: State, event: &str, who: &str) -> Option<State> {
        use Level::*;
        use State::*;
        let s = match (state, event, who) {
            (Draft | Rejected | PaperProblem, "submit", "owner") => Review(County),
            (Review(County), "approve", "county") => Review(City),
            (Review(City), "approve", "city") => Review(Province),
            (Review(Province), "approve", "province") => Review(Central),
            (Review(Central), "approve", "central") => ApprovedOnline,
            (Review(County), "reject", "county")
            | (Review(City), "reject", "city")
            | (Review(Province), "reject", "province")
            | (Review(Central), "reject", "central") => Rejected,
            (ApprovedOnline, "receive_paper", "county") => PaperReceived,
            (PaperReceived, "confirm_paper", "county") => Confirmed,
            (ApprovedOnline | PaperReceived, "paper_problem", "county") => PaperProblem,
            (Confirmed, "issue", "county") => Issued,
            _ => return None,
        };
        Some(s)
    }

    #[test]
    fn exhaustive_transition_table() {
        let chain =
            review_chain(Level::County, None, ChainKind::EveryLevel, &[Level::County, Level::City, Level::Province]);
        let unit_region = region("410922");
        let mut accepted = 0;
        for state in State::ALL {
            let subject = Subject {
                state,
                owner_id: OWNER,
                unit_region: Some(&unit_region),
                chain: &chain,
                filing: Filing::NotRequired,
            };
            for event in events() {
                for (who, actor) in cast() {
                    let got = apply(&subject, &event, &actor).ok();
                    assert_eq!(got, expected(state, event.name(), who), "{state} {} by {who}", event.name());
                    if got.is_some() && actor.role == Role::Reviewer {
                        assert!(State::AT_AN_OFFICE.contains(&state), "an office acts at {state}");
                    }
                    accepted += usize::from(got.is_some());
                }
            }
        }
        assert_eq!(accepted, 16);
    }

    #[test]
    fn chains_by_unit_level() {
        let configured = [Level::County, Level::City, Level::Province];
        assert_eq!(
            review_chain(Level::County, None, ChainKind::EveryLevel, &configured),
            [Level::County, Level::City, Level::Province, Level::Central]
        );
        assert_eq!(
            review_chain(Level::City, None, ChainKind::EveryLevel, &configured),
            [Level::City, Level::Province, Level::Central]
        );
        assert_eq!(
            review_chain(Level::Province, None, ChainKind::EveryLevel, &configured),
            [Level::Province, Level::Central]
        );
        assert_eq!(review_chain(Level::Central, None, ChainKind::EveryLevel, &configured), [Level::Central]);
        // A province that skips the city step.
        assert_eq!(
            review_chain(Level::County, None, ChainKind::EveryLevel, &[Level::County, Level::Province]),
            [Level::County, Level::Province, Level::Central]
        );
    }

    #[test]
    fn the_seed_chain_and_municipalities() {
        let configured = [Level::County, Level::City, Level::Province];
        let qingfeng = RegionCode::parse("410922").unwrap();
        // The seed: the unit's own level, then 中央编办.
        assert_eq!(
            review_chain(Level::County, Some(&qingfeng), ChainKind::SameLevel, &configured),
            [Level::County, Level::Central]
        );
        assert_eq!(
            review_chain(Level::Province, None, ChainKind::SameLevel, &configured),
            [Level::Province, Level::Central]
        );
        assert_eq!(review_chain(Level::Central, None, ChainKind::SameLevel, &configured), [Level::Central]);
        // A district of Beijing goes to the municipality without a city level.
        let dongcheng = RegionCode::parse("110101").unwrap();
        assert_eq!(
            review_chain(Level::County, Some(&dongcheng), ChainKind::EveryLevel, &configured),
            [Level::County, Level::Province, Level::Central]
        );
        assert!(is_municipality(&RegionCode::parse("500101").unwrap()) && !is_municipality(&qingfeng));
    }

    #[test]
    fn city_unit_skips_county_and_hands_paper_to_the_city() {
        let chain =
            review_chain(Level::City, None, ChainKind::EveryLevel, &[Level::County, Level::City, Level::Province]);
        let unit_region = region("410900");
        let owner = actor(OWNER, Role::Unit, Some(Level::City), Some("410900"));
        let city = actor(5, Role::Reviewer, Some(Level::City), Some("410900"));
        let county = actor(3, Role::Reviewer, Some(Level::County), Some("410922"));
        let draft = Subject {
            state: State::Draft,
            owner_id: OWNER,
            unit_region: Some(&unit_region),
            chain: &chain,
            filing: Filing::NotRequired,
        };
        assert_eq!(apply(&draft, &Event::Submit, &owner), Ok(State::Review(Level::City)));
        let approved = Subject { state: State::ApprovedOnline, ..draft.clone() };
        assert_eq!(apply(&approved, &Event::ReceivePaper, &city), Ok(State::PaperReceived));
        assert_eq!(apply(&approved, &Event::ReceivePaper, &county), Err(Denied::NotPermitted));
    }

    #[test]
    fn central_unit_goes_straight_to_central() {
        let chain =
            review_chain(Level::Central, None, ChainKind::EveryLevel, &[Level::County, Level::City, Level::Province]);
        let owner = actor(OWNER, Role::Unit, Some(Level::Central), None);
        let central = actor(8, Role::Reviewer, Some(Level::Central), None);
        let province = actor(7, Role::Reviewer, Some(Level::Province), Some("410000"));
        let s = Subject {
            state: State::Draft,
            owner_id: OWNER,
            unit_region: None,
            chain: &chain,
            filing: Filing::NotRequired,
        };
        assert_eq!(apply(&s, &Event::Submit, &owner), Ok(State::Review(Level::Central)));
        let s = Subject { state: State::Review(Level::Central), ..s };
        assert_eq!(apply(&s, &Event::Approve, &province), Err(Denied::NotPermitted));
        assert_eq!(apply(&s, &Event::Approve, &central), Ok(State::ApprovedOnline));
        let s = Subject { state: State::ApprovedOnline, ..s };
        assert_eq!(apply(&s, &Event::ReceivePaper, &central), Ok(State::PaperReceived));
    }

    #[test]
    fn reasons_are_required() {
        let chain =
            review_chain(Level::County, None, ChainKind::EveryLevel, &[Level::County, Level::City, Level::Province]);
        let unit_region = region("410922");
        let county = actor(3, Role::Reviewer, Some(Level::County), Some("410922"));
        let s = Subject {
            state: State::Review(Level::County),
            owner_id: OWNER,
            unit_region: Some(&unit_region),
            chain: &chain,
            filing: Filing::NotRequired,
        };
        assert_eq!(apply(&s, &Event::Reject { reason: "  ".into() }, &county), Err(Denied::ReasonRequired));
        let s = Subject { state: State::PaperReceived, ..s };
        assert_eq!(apply(&s, &Event::PaperProblem { reason: String::new() }, &county), Err(Denied::ReasonRequired));
    }

    #[test]
    fn the_provincial_filing_comes_before_confirmation_when_asked_for() {
        let chain = review_chain(Level::County, None, ChainKind::SameLevel, &[]);
        let unit_region = region("410922");
        let county = actor(3, Role::Reviewer, Some(Level::County), Some("410922"));
        let province = actor(4, Role::Reviewer, Some(Level::Province), Some("410000"));
        let other_province = actor(5, Role::Reviewer, Some(Level::Province), Some("420000"));
        let s = Subject {
            state: State::PaperReceived,
            owner_id: OWNER,
            unit_region: Some(&unit_region),
            chain: &chain,
            filing: Filing::Pending,
        };
        assert_eq!(apply(&s, &Event::ConfirmPaper, &county), Err(Denied::FilingRequired));
        assert_eq!(apply(&s, &Event::FilePaper, &county), Err(Denied::NotPermitted));
        assert_eq!(apply(&s, &Event::FilePaper, &other_province), Err(Denied::NotPermitted));
        assert_eq!(apply(&s, &Event::FilePaper, &province), Ok(State::PaperReceived));
        assert!(State::AT_AN_OFFICE.contains(&s.state), "the filing is an office's step");
        let filed = Subject { filing: Filing::Done, ..s.clone() };
        assert!(apply(&filed, &Event::FilePaper, &province).is_err(), "filed once");
        assert_eq!(apply(&filed, &Event::ConfirmPaper, &county), Ok(State::Confirmed));
        let not_asked = Subject { filing: Filing::NotRequired, ..s };
        assert_eq!(apply(&not_asked, &Event::ConfirmPaper, &county), Ok(State::Confirmed));
        assert!(apply(&not_asked, &Event::FilePaper, &province).is_err());
    }

    #[test]
    fn stored_names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }
}
