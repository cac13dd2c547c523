//! The hosted red page's HTML: the unit's text (escaped) and the badge snippet in its footer.
//! The same rendering serves the public page and the check the crawler runs on it.

use minijinja::{context, Environment};

use super::snippet::install_snippet;
use crate::domain::badge::BadgeCode;
use crate::domain::red_page::RedPage;

const TEMPLATE: &str = include_str!("templates/red_page.html");

/// Renders a unit's red page (its public introduction) as a standalone HTML page.
pub fn render(page: &RedPage, badge_base: &str) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.add_template("red_page.html", TEMPLATE)?;
    let snippet = BadgeCode::parse(&page.code).map(|c| install_snippet(badge_base, &c)).unwrap_or_default();
    env.get_template("red_page.html")?.render(context! { page => page, links => page.links(), snippet => snippet })
}
