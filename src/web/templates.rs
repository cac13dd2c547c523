//! Page templates, embedded in the binary and rendered with minijinja (auto-escaped HTML).

use chrono::{DateTime, Utc};
use minijinja::Environment;

use crate::domain::calendar::china_offset;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("home.html", include_str!("templates/home.html")),
    ("login.html", include_str!("templates/login.html")),
    ("portal.html", include_str!("templates/portal.html")),
    ("applications.html", include_str!("templates/applications.html")),
    ("application_form.html", include_str!("templates/application_form.html")),
    ("application.html", include_str!("templates/application.html")),
    ("print_base.html", include_str!("templates/print_base.html")),
    ("print_form.html", include_str!("templates/print_form.html")),
    ("print_letter.html", include_str!("templates/print_letter.html")),
    ("badge.html", include_str!("templates/badge.html")),
    ("accounts.html", include_str!("templates/accounts.html")),
    ("lists.html", include_str!("templates/lists.html")),
    ("self_check.html", include_str!("templates/self_check.html")),
    ("verify.html", include_str!("templates/verify.html")),
    ("lookup.html", include_str!("templates/lookup.html")),
    ("sightings.html", include_str!("templates/sightings.html")),
    ("dashboard.html", include_str!("templates/dashboard.html")),
    ("dashboard_site.html", include_str!("templates/dashboard_site.html")),
    ("red_page_form.html", include_str!("templates/red_page_form.html")),
    ("self_check_run.html", include_str!("templates/self_check_run.html")),
    ("outbox.html", include_str!("templates/outbox.html")),
    ("register.html", include_str!("templates/register.html")),
    ("sites.html", include_str!("templates/sites.html")),
    ("print_certificate.html", include_str!("templates/print_certificate.html")),
    ("tipoff.html", include_str!("templates/tipoff.html")),
    ("password_reset.html", include_str!("templates/password_reset.html")),
    ("office_units.html", include_str!("templates/office_units.html")),
    ("error.html", include_str!("templates/error.html")),
];

/// The web's templates on top of the report's (which brings the shared parts), with the
/// settings pages quote (`install_days`).
pub fn environment_for(config: &crate::config::Config) -> Environment<'static> {
    let mut env = environment();
    env.add_global("install_days", config.workflow.install_days);
    env
}

/// The web's templates on top of the report's (which brings the shared parts).
pub fn environment() -> Environment<'static> {
    let mut env = crate::report::html::environment();
    for (name, source) in TEMPLATES {
        env.add_template(name, source).expect("embedded templates compile");
    }
    env.add_filter("cst", cst);
    // The portal's own files, linked at their current versions (`web::assets`): addresses
    // of our own making, written as they are.
    let assets: std::collections::BTreeMap<&str, minijinja::Value> = [
        ("css", minijinja::Value::from_safe_string(super::assets::STYLESHEET.url())),
        ("js", minijinja::Value::from_safe_string(super::assets::SCRIPT.url())),
    ]
    .into();
    env.add_global("assets", assets);
    env
}

/// Formats an RFC 3339 UTC timestamp as China Standard Time, `YYYY-MM-DD HH:MM`.
fn cst(value: String) -> String {
    match value.parse::<DateTime<Utc>>() {
        Ok(t) => t.with_timezone(&china_offset()).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => value,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn all_templates_compile() {
        let env = super::environment();
        assert!(env.get_template("application.html").is_ok());
    }
}
