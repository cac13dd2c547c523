//! The lists of applications that grow with every application made: an office's queue (the
//! applications where it owes the next step), drawn from the applications under way only, and
//! every application of a scope, searched in the database and read a page at a time. Read whole,
//! 20,000 applications made the reviewers' page take 2.7-2.9 s and 6 MB, and the server 626 MB
//! (BENCHMARKS.md §7).

use serde::{Deserialize, Serialize};

use super::applications::{awaits, can_view, with_due, ApplicationView};
use super::{paging, Context, ServiceError};
use crate::domain::account::{Actor, Role};
use crate::domain::region::Level;
use crate::domain::workflow::State;
use crate::store::applications::{self as store, ApplicationFilter, Scope};
use crate::store::Listed;

/// Applications on one page.
pub const PAGE_SIZE: i64 = 50;

/// The search as the form or the API's query sends it; anything malformed is ignored (the
/// whole list), never an error.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ApplicationSearch {
    /// Part of the unit's or site's name, a domain or a badge code.
    pub q: String,
    /// A state's stored word (`county_review`, `issued`…).
    pub state: String,
    /// The page, from 1.
    pub page: String,
    /// The page of the reviewer's queue shown above the list, from 1.
    pub queue_page: String,
    /// The page of the reviewer's pending change and cancellation requests, from 1.
    pub request_page: String,
}

impl ApplicationSearch {
    /// The page asked for (1 when absent or malformed).
    pub fn page(&self) -> i64 {
        paging::page_number(&self.page)
    }

    /// The page of the queue asked for (1 when absent or malformed).
    pub fn queue_page(&self) -> i64 {
        paging::page_number(&self.queue_page)
    }

    /// The page of the pending requests asked for (1 when absent or malformed).
    pub fn request_page(&self) -> i64 {
        paging::page_number(&self.request_page)
    }

    /// The search as a query string without the pages, for the page links: only the fields
    /// as parsed.
    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.text())
            .append_pair("state", self.state().map_or("", State::as_str))
            .finish()
    }

    fn text(&self) -> String {
        paging::search_text(&self.q)
    }

    fn state(&self) -> Option<State> {
        State::parse(self.state.trim())
    }
}

/// Applications listed with their deadlines, and the ids of those whose stored rows could not
/// be read ([`Listed`]), for the page to name.
#[derive(Default)]
pub struct Views {
    /// The applications, in the list's order.
    pub views: Vec<ApplicationView>,
    /// Rows left out.
    pub unreadable: Vec<i64>,
}

/// One page of a list.
pub struct ApplicationsPage {
    /// The applications on it, with their deadlines.
    pub views: Vec<ApplicationView>,
    /// Rows of this page left out because they could not be read.
    pub unreadable: Vec<i64>,
    /// Applications matching in all.
    pub total: i64,
    /// This page's number (the last one when a later page was asked for).
    pub page: i64,
    /// The last page's number.
    pub pages: i64,
}

/// Whose applications `actor` lists: a unit its own; a reviewer or supervisor its area (as
/// `can_view` has it).
fn scope_of(actor: &Actor) -> Result<Scope, ServiceError> {
    match actor.role {
        Role::Unit => Ok(Scope::Unit(actor.account_id)),
        Role::Reviewer | Role::Supervisor => {
            let prefix = actor.oversight_prefix().ok_or(ServiceError::Forbidden)?;
            let every_level = actor.role == Role::Supervisor || actor.level == Some(Level::Central);
            Ok(Scope::Area { prefix, level: actor.level, every_level })
        }
        Role::Admin => Err(ServiceError::Forbidden),
    }
}

/// A page of an office's queue, with what the whole queue counts.
pub struct QueuePage {
    /// The applications on this page, the longest waiting first, with their deadlines; how many
    /// wait in all; the page and the number of pages.
    pub slice: paging::Slice<ApplicationView>,
    /// Of all those waiting, the ones past their deadline.
    pub overdue: usize,
    /// Rows under way that could not be read (any of them may be waiting on the reviewer).
    pub unreadable: Vec<i64>,
}

/// Page `asked` of the applications where a reviewer owes the next step now, the longest
/// waiting first, [`PAGE_SIZE`] a page; nothing for others. Only applications under way are
/// read ([`State::AT_AN_OFFICE`]): their number is the work in hand, whatever the history. Who
/// owes the step is decided here by the workflow's own rule ([`awaits`]), so the queue is read
/// whole and paged after; a national re-check campaign can put thousands on 中央编办 at once,
/// and shown whole they made the workbench weigh 387 KB for 1,000 (BENCHMARKS.md §7).
/// An unreadable row under way is named, since it may be waiting on `actor`.
pub async fn queue(ctx: &Context, actor: &Actor, asked: i64) -> Result<QueuePage, ServiceError> {
    if actor.role != Role::Reviewer {
        return Ok(QueuePage { slice: paging::slice(Vec::new(), 1, PAGE_SIZE), overdue: 0, unreadable: Vec::new() });
    }
    let filter = ApplicationFilter { at_an_office: true, ..ApplicationFilter::default() };
    let (Listed { items: mut under_way, unreadable }, _) =
        store::search(&ctx.pool, &scope_of(actor)?, &filter, i64::MAX, 0).await?;
    under_way.retain(|a| can_view(actor, a) && awaits(actor, a));
    under_way.sort_by_key(|a| (a.state_since, a.id));
    let views: Vec<ApplicationView> = under_way.into_iter().map(|a| with_due(ctx, a, Vec::new())).collect();
    let overdue = views.iter().filter(|v| v.overdue).count();
    Ok(QueuePage { slice: paging::slice(views, asked, PAGE_SIZE), overdue, unreadable })
}

/// A page of the applications `actor` may read that match `search`, the latest changed first.
pub async fn page(ctx: &Context, actor: &Actor, search: &ApplicationSearch) -> Result<ApplicationsPage, ServiceError> {
    let scope = scope_of(actor)?;
    let filter = ApplicationFilter { text: search.text(), state: search.state(), at_an_office: false };
    let paging::ReadPage { rows, total, page, pages } = paging::read_page(search.page(), PAGE_SIZE, |limit, offset| {
        store::search(&ctx.pool, &scope, &filter, limit, offset)
    })
    .await?;
    let views = rows.items.into_iter().filter(|a| can_view(actor, a)).map(|a| with_due(ctx, a, Vec::new())).collect();
    Ok(ApplicationsPage { views, unreadable: rows.unreadable, total, page, pages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_search_is_the_whole_list() {
        let s = ApplicationSearch {
            q: " \u{7} ".into(),
            state: "deleted".into(),
            page: "0".into(),
            queue_page: "x".into(),
            request_page: String::new(),
        };
        assert_eq!((s.text(), s.state(), s.page(), s.queue_page(), s.request_page()), (String::new(), None, 1, 1, 1));
        assert_eq!(s.query(), "q=&state=");
        let s = ApplicationSearch {
            q: "清丰 县".into(),
            state: " issued ".into(),
            page: "3".into(),
            queue_page: "2".into(),
            request_page: "5".into(),
        };
        assert_eq!((s.state(), s.page(), s.queue_page(), s.request_page()), (Some(State::Issued), 3, 2, 5));
        assert_eq!(s.query(), "q=%E6%B8%85%E4%B8%B0+%E5%8E%BF&state=issued");
    }
}
