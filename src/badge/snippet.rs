//! The canonical install snippet for a badge code: a static link and image that works without
//! JavaScript, plus an async script that upgrades it. Pasted just before `</body>`.

use crate::domain::badge::BadgeCode;

/// Rendered size of the badge image, reserved in the markup so the page does not shift.
pub const BADGE_WIDTH: u32 = 110;
pub const BADGE_HEIGHT: u32 = 55;

/// The snippet for `code`, served from `base` (no trailing slash needed).
pub fn install_snippet(base: &str, code: &BadgeCode) -> String {
    let base = base.trim_end_matches('/');
    format!(
        "<div style=\"text-align:center\"><a href=\"{base}/verify/{code}\" target=\"_blank\" rel=\"noopener\">\
<img src=\"{base}/badge/{code}.svg\" alt=\"党政机关网站标识\" width=\"{BADGE_WIDTH}\" height=\"{BADGE_HEIGHT}\" style=\"border:0\"></a>\
<script async src=\"{base}/badge/{code}.js\"></script></div>"
    )
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
}
