//! The hosted red page (网络红页) of a unit without a website of its own: its plain-text
//! content, validated by the service, rendered by `badge::red_page`.

use serde::Serialize;

/// A stored red page.
#[derive(Debug, Clone, Serialize)]
pub struct RedPage {
    /// The badge the page is for.
    pub code: String,
    /// The unit that wrote it.
    pub unit_id: i64,
    /// The page's heading.
    pub title: String,
    /// What the unit is.
    pub introduction: String,
    /// What the unit does.
    pub functions: String,
    /// Where it is.
    pub address: String,
    /// Its public telephone number.
    pub public_phone: String,
    /// One service link a line: a name, white space, an http(s) URL.
    pub service_links: String,
    /// Shown to the public.
    pub published: bool,
}

impl RedPage {
    /// The service links as (name, URL) pairs.
    pub fn links(&self) -> Vec<(String, String)> {
        self.service_links
            .lines()
            .filter_map(|l| {
                l.trim().rsplit_once(char::is_whitespace).map(|(n, u)| (n.trim().to_owned(), u.trim().to_owned()))
            })
            .collect()
    }
}
