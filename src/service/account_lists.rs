//! The account lists: the admin's list of every account and a staffing office's list of the
//! unit accounts of its area. Both are searched in the database (name, role, region, state) and
//! shown a page at a time: with the national register imported there are tens of thousands of
//! accounts, and a page of every one took seconds and megabytes (BENCHMARKS.md §7).

use serde::{Deserialize, Serialize};

use super::{paging, Context, ServiceError};
use crate::domain::account::{Actor, Role};
use crate::domain::region::RegionCode;
use crate::store::accounts::{self, Account, AccountFilter, AccountState};

/// Accounts on one page.
pub const PAGE_SIZE: i64 = 50;

/// The search as the form or the API's query sends it; anything malformed is ignored (the
/// whole list), never an error.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AccountSearch {
    /// Part of the login name or of the name shown.
    pub q: String,
    /// A role (`unit`, `reviewer`, `supervisor`, `admin`); the office's list has units only.
    pub role: String,
    /// A region code: the accounts of its whole area.
    pub region: String,
    /// `enabled`, `disabled` or `awaiting` (imported, waiting for its initial password).
    pub state: String,
    /// The page, from 1.
    pub page: String,
}

impl AccountSearch {
    /// The page asked for (1 when absent or malformed).
    pub fn page(&self) -> i64 {
        paging::page_number(&self.page)
    }

    /// The search as a query string without the page, for the page links and the way back
    /// after an action on one account: only the fields as parsed, so it is always a query of
    /// this list.
    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.text())
            .append_pair("role", self.role().map_or("", Role::as_str))
            .append_pair("region", self.region().as_ref().map_or("", RegionCode::as_str))
            .append_pair("state", self.state().as_str())
            .finish()
    }

    /// The query with the page `page`: the way back to a page of this search.
    pub fn query_at(&self, page: i64) -> String {
        format!("{}&page={page}", self.query())
    }

    fn text(&self) -> String {
        paging::search_text(&self.q)
    }

    fn role(&self) -> Option<Role> {
        Role::parse(self.role.trim())
    }

    fn region(&self) -> Option<RegionCode> {
        RegionCode::parse(self.region.trim()).ok()
    }

    fn state(&self) -> AccountState {
        AccountState::parse(self.state.trim())
    }
}

/// One page of a list.
pub struct AccountsPage {
    /// The accounts on it.
    pub accounts: Vec<Account>,
    /// Rows of this page left out because they could not be read ([`crate::store::Listed`]).
    pub unreadable: Vec<i64>,
    /// Accounts matching in all.
    pub total: i64,
    /// This page's number (the last one when a later page was asked for).
    pub page: i64,
    /// The last page's number.
    pub pages: i64,
}

/// A page of every account matching `search` (admins only).
pub async fn every_account(ctx: &Context, actor: &Actor, search: &AccountSearch) -> Result<AccountsPage, ServiceError> {
    if actor.role != Role::Admin {
        return Err(ServiceError::Forbidden);
    }
    let filter = AccountFilter {
        text: search.text(),
        role: search.role(),
        region_prefix: search.region().map(|r| r.jurisdiction_prefix().to_owned()),
        state: search.state(),
    };
    page_of(ctx, &filter, search.page()).await
}

/// A page of the unit accounts of an office's area (a reviewer's region; every unit for
/// 中央编办) matching `search`. A region outside the area is ignored.
pub async fn units_in_area(ctx: &Context, actor: &Actor, search: &AccountSearch) -> Result<AccountsPage, ServiceError> {
    let Some(area) = actor.oversight_prefix().filter(|_| actor.role == Role::Reviewer) else {
        return Err(ServiceError::Forbidden);
    };
    let chosen = search.region().map(|r| r.jurisdiction_prefix().to_owned()).filter(|p| p.starts_with(&area));
    // Central units have no region: 中央编办's whole list is every unit, with a region or not.
    let region_prefix = chosen.or((!area.is_empty()).then_some(area));
    let filter = AccountFilter { text: search.text(), role: Some(Role::Unit), region_prefix, state: search.state() };
    page_of(ctx, &filter, search.page()).await
}

/// The page `page` of `filter`'s accounts, or the last page when there are fewer pages (an
/// action on the last account of the last page leaves it empty).
async fn page_of(ctx: &Context, filter: &AccountFilter, page: i64) -> Result<AccountsPage, ServiceError> {
    let paging::ReadPage { rows, total, page, pages } =
        paging::read_page(page, PAGE_SIZE, |limit, offset| accounts::search(&ctx.pool, filter, limit, offset)).await?;
    Ok(AccountsPage { accounts: rows.items, unreadable: rows.unreadable, total, page, pages })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(q: &str, role: &str, region: &str, state: &str, page: &str) -> AccountSearch {
        AccountSearch { q: q.into(), role: role.into(), region: region.into(), state: state.into(), page: page.into() }
    }

    #[test]
    fn a_malformed_search_is_the_whole_list() {
        let s = search("\u{7}", "root", "41092", "deleted", "-3");
        assert_eq!(
            (s.text(), s.role(), s.region(), s.state(), s.page()),
            (String::new(), None, None, AccountState::Any, 1)
        );
        assert_eq!(s.query(), "q=&role=&region=&state=");
        assert_eq!(search("", "", "", "", "100001").page(), 1);
    }

    #[test]
    fn the_query_carries_only_the_search_as_parsed() {
        let s = search(" 清丰&县 ", "unit", "410922", "awaiting", "7");
        assert_eq!(s.page(), 7);
        assert_eq!(s.query(), "q=%E6%B8%85%E4%B8%B0%26%E5%8E%BF&role=unit&region=410922&state=awaiting");
        let long = "长".repeat(80);
        assert_eq!(search(&long, "", "", "", "").text().chars().count(), 50);
    }
}
