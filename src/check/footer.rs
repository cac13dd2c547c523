//! The footer items inspections look at beside the badge: the ICP filing number, the public
//! security filing number, the government website identifier (`SiteIDCode`) and the national
//! badge's legacy snippet.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The items a government site's footer carries besides the badge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footer {
    /// e.g. `京ICP备05070218号-1`.
    pub icp: Option<String>,
    /// e.g. `京公网安备 11010202000001号`.
    pub police: Option<String>,
    /// `<meta name="SiteIDCode">`, or a 网站标识码 printed on the page.
    pub site_id_code: Option<String>,
    /// The legacy national badge (`_ideConac`, conac.cn scripts or links), if still present.
    pub legacy_badge: Option<String>,
}

const PROVINCES: &str = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀贵黔云滇藏陕秦甘陇青宁新港澳台";

static ICP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"([{PROVINCES}])\s*ICP\s*备\s*(\d{{4,}})\s*号?(?:\s*-\s*(\d+))?")).expect("valid pattern")
});
static POLICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"([{PROVINCES}])\s*公\s*(?:网\s*)?安\s*(?:网\s*)?备\s*(?:案\s*)?(?:号\s*)?[:：]?\s*(\d{{14}})\s*号?"
    ))
    .expect("valid pattern")
});
static SITE_ID_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"网站标识码\s*[:：]?\s*((?:bm|BM)\d{8}|\d{10})").expect("valid pattern"));
static CONAC_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?:https?:)?//(?:[a-z]+\.)?conac\.cn/[^\s"'<>)\\]*"#).expect("valid pattern"));

/// Finds the footer items: the filing numbers in the page's visible text (`text`, tags
/// removed, so `京<span>ICP</span>备…` reads whole), the legacy badge in the decoded markup
/// around its names (`markup`, scripts included), the `SiteIDCode` meta value the tokenizer saw.
pub fn find(text: &str, markup: &str, site_id_meta: Option<String>) -> Footer {
    let icp = ICP.captures(text).map(|c| {
        let mut s = format!("{}ICP备{}号", &c[1], &c[2]);
        if let Some(n) = c.get(3) {
            s.push('-');
            s.push_str(n.as_str());
        }
        s
    });
    let police = POLICE.captures(text).map(|c| format!("{}公网安备 {}号", &c[1], &c[2]));
    let site_id_code = site_id_meta.or_else(|| SITE_ID_TEXT.captures(text).map(|c| c[1].to_owned()));
    let legacy_badge = CONAC_URL
        .find(markup)
        .map(|m| crate::check::decode_entities(m.as_str()).into_owned())
        .or_else(|| markup.contains("_ideConac").then(|| "_ideConac".to_owned()));
    Footer { icp, police, site_id_code, legacy_badge }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_in_typical_footers() {
        let f = find(
            "京ICP备05070218号-1　京公网安备 11010202000001号 网站标识码：bm01000001",
            "<span id=\"_ideConac\"><a href=\"https://bszs.conac.cn/sitename?method=show&amp;id=1\">",
            None,
        );
        assert_eq!(f.icp.as_deref(), Some("京ICP备05070218号-1"));
        assert_eq!(f.police.as_deref(), Some("京公网安备 11010202000001号"));
        assert_eq!(f.site_id_code.as_deref(), Some("bm01000001"));
        assert_eq!(f.legacy_badge.as_deref(), Some("https://bszs.conac.cn/sitename?method=show&id=1"));
        let f = find("湘公安网备号43010502000123号 湘ICP备 12345678号", "", Some("4300000001".into()));
        assert_eq!(f.police.as_deref(), Some("湘公网安备 43010502000123号"));
        assert_eq!(f.icp.as_deref(), Some("湘ICP备12345678号"));
        assert_eq!(f.site_id_code.as_deref(), Some("4300000001"));
        assert_eq!(find("no footer here", "<p>no footer here</p>", None), Footer::default());
    }
}
