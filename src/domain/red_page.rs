//! The hosted red page (网络红页) of a unit without a website of its own: its plain-text
//! content, validated by the service, rendered by `badge::red_page`.

use serde::Serialize;

/// A stored red page.
#[derive(Debug, Clone, Serialize)]
pub struct RedPage {
    pub code: String,
    pub unit_id: i64,
    pub title: String,
    pub introduction: String,
    pub functions: String,
    pub address: String,
    pub public_phone: String,
    /// One service link a line: a name, white space, an http(s) URL.
    pub service_links: String,
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
