//! The canonical install snippet for a badge code: a static link and image that works without
//! JavaScript, plus an async script that upgrades it. Pasted just before `</body>`.

use crate::domain::badge::{BadgeCode, SiteCode};

/// The badge image's size, reserved in the markup so the page does not shift.
pub use crate::domain::badge::{BADGE_HEIGHT, BADGE_WIDTH};

/// The snippet for `code`, served from `base` (no trailing slash needed).
pub fn install_snippet(base: &str, code: &BadgeCode) -> String {
    let base = base.trim_end_matches('/');
    format!(
        "<div style=\"text-align:center\"><a href=\"{base}/verify/{code}\" target=\"_blank\" rel=\"noopener\">\
<img src=\"{base}/badge/{code}.svg\" alt=\"党政机关网站标识\" width=\"{BADGE_WIDTH}\" height=\"{BADGE_HEIGHT}\" style=\"border:0\"></a>\
<script async src=\"{base}/badge/{code}.js\"></script></div>"
    )
}

/// The snippet for a site's code; `None` for a national legacy code, whose badge the site keeps
/// as it was issued (govbadge serves no badge for it).
pub fn snippet_for(base: &str, code: &SiteCode) -> Option<String> {
    match code {
        SiteCode::Badge(code) => Some(install_snippet(base, code)),
        SiteCode::Legacy(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::region::RegionCode;

    #[test]
    fn snippet_points_at_the_code() {
        let code = BadgeCode::new(&RegionCode::parse("410922").unwrap(), 7).unwrap();
        let s = install_snippet("https://badge.example.cn/", &code);
        assert!(s.contains(&format!("href=\"https://badge.example.cn/verify/{code}\"")));
        assert!(s.contains(&format!("src=\"https://badge.example.cn/badge/{code}.js\"")));
        assert!(!s.contains("document.write"));
    }

    /// The page check counts the snippet, pasted before `</body>`, as compliant.
    #[test]
    fn the_check_counts_the_snippet_compliant() {
        use crate::check::{check, PageInput, Verdict};
        let base = url::Url::parse("https://bs.example.gov.cn").unwrap();
        let code = BadgeCode::parse("4109220000016").unwrap();
        let snippet = install_snippet(base.as_str(), &code);
        let page = format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>清丰县人民政府网</title></head><body><p>正文</p>{snippet}</body></html>"
        );
        let r = check(&PageInput {
            bytes: page.as_bytes(),
            content_type: None,
            page_url: None,
            expected_code: code.as_str(),
            legacy: None,
            badge_base: &base,
        });
        assert_eq!(r.verdict, Verdict::Compliant);
        assert_eq!(r.codes_found, [code.as_str()]);
        assert!(r.warnings.is_empty());
        assert_eq!(r.title.as_deref(), Some("清丰县人民政府网"));
        assert_eq!(r.encoding, "UTF-8");
    }
}
