//! The rendered verdict: what the probe measured in the browser (`probe.js`) in, whether a
//! visitor sees the site's badge at the bottom centre of the page out. Pure: no browser here.

use serde::{Deserialize, Serialize};

use crate::check::Verdict;
use crate::domain::badge::{BADGE_HEIGHT, BADGE_WIDTH};

/// The rendered check's verdict, beside the static one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RenderVerdict {
    /// The site's badge is visible, at least its nominal size, at the bottom centre.
    RenderedCompliant,
    /// No badge of the site in the rendered page either.
    RenderedMissing,
    /// Only badges of other codes in the rendered page.
    RenderedWrongCode,
    /// In the DOM but not seen: display:none, zero size, transparent, off the page, or
    /// clipped away by a collapsed block.
    RenderedHidden,
    /// Another element lies over the badge's centre (a fixed banner, a pop-up).
    Covered,
    /// Smaller than its nominal size.
    TooSmall,
    /// Not in the bottom part of the page.
    NotAtBottom,
    /// At the bottom, but off to one side.
    NotCentred,
    /// The page could not be rendered (time or memory budget, crash, no browser).
    RenderFailed,
}

crate::domain::words!(RenderVerdict);

impl RenderVerdict {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            RenderVerdict::RenderedCompliant => "渲染后合规",
            RenderVerdict::RenderedMissing => "渲染后仍无标识",
            RenderVerdict::RenderedWrongCode => "渲染后标识代码不符",
            RenderVerdict::RenderedHidden => "渲染后标识不可见",
            RenderVerdict::Covered => "标识被遮挡",
            RenderVerdict::TooSmall => "标识尺寸过小",
            RenderVerdict::NotAtBottom => "标识不在页面底部",
            RenderVerdict::NotCentred => "标识未居中",
            RenderVerdict::RenderFailed => "页面渲染失败",
        }
    }

    /// What to change, in Chinese, for the unit.
    pub fn advice(self) -> &'static str {
        match self {
            RenderVerdict::RenderedCompliant => "浏览器中网站标识显示正常，位于页面底部中间。",
            RenderVerdict::RenderedMissing => "浏览器执行页面脚本后仍未显示网站标识。请将标识代码粘贴到页面代码的</body>前。",
            RenderVerdict::RenderedWrongCode => "浏览器中显示的网站标识不是本网站的标识代码。请使用本网站的标识代码。",
            RenderVerdict::RenderedHidden => {
                "网站标识在页面中存在，但浏览器中不可见（被隐藏、尺寸为零、透明、位于页面之外或被折叠的区块裁去）。请使其正常显示。"
            }
            RenderVerdict::Covered => "网站标识被其他页面元素（如悬浮栏、弹窗）遮挡。请调整页面布局，使标识完整可见。",
            RenderVerdict::TooSmall => "网站标识显示尺寸小于标准尺寸（110×55像素）。请按原尺寸显示，不要缩小。",
            RenderVerdict::NotAtBottom => "网站标识未显示在页面底部。请将标识放在页面底部（页脚）区域。",
            RenderVerdict::NotCentred => "网站标识未显示在页面底部中间。请将标识居中放置。",
            RenderVerdict::RenderFailed => "页面未能完成渲染（浏览器无法启动，或超出时间、内存限制），本页以静态检查结论为准。",
        }
    }

    /// Whether a visitor sees the badge as the rules ask.
    pub fn is_compliant(self) -> bool {
        self == RenderVerdict::RenderedCompliant
    }
}

/// One badge as the probe measured it, in CSS pixels of the whole page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct MeasuredBadge {
    /// `govbadge` (this service's link or image) or `conac` (the national badge's link).
    pub kind: String,
    /// The link or image address.
    pub href: String,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// No `display:none` on it or an ancestor.
    pub displayed: bool,
    /// Not `visibility:hidden`.
    pub visible: bool,
    /// Its opacity and its ancestors', multiplied.
    pub opacity: f64,
    /// The part of its box left by ancestors that clip their overflow (1 = all).
    pub shown_fraction: f64,
    /// The element found at its centre instead of it (`tag#id.class`), when covered.
    pub covered_by: Option<String>,
    /// The badge image did not load (the badge service was unreachable): its size is not
    /// judged.
    #[serde(default)]
    pub image_failed: bool,
}

/// What the probe returns.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Measurement {
    /// The page's width.
    pub page_width: f64,
    /// The page's height.
    pub page_height: f64,
    /// The bottom of the lowest visible box.
    pub content_bottom: f64,
    /// The window's width.
    pub viewport_width: f64,
    /// The window's height.
    pub viewport_height: f64,
    /// Every badge found, in document order.
    pub badges: Vec<MeasuredBadge>,
}

/// Below this opacity a badge counts as transparent.
const MIN_OPACITY: f64 = 0.2;
/// Below this share of its box left unclipped a badge counts as hidden.
const MIN_SHOWN: f64 = 0.5;
/// Rounding slack on the nominal size, in pixels.
const SIZE_SLACK: f64 = 1.0;
/// The badge's centre may be this share of the page width off the page's centre line.
const CENTRE_TOLERANCE: f64 = 0.15;
/// The bottom part of a page: its last quarter, and at least this many pixels.
const BOTTOM_BAND_MIN: f64 = 400.0;

/// The site's codes as the rendered check matches them.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The badge code (upper case).
    pub code: &'a str,
    /// The site's legacy code, if any (CONAC links carry only an id, matched as below).
    pub legacy_code: Option<&'a str>,
    /// The id of the site's static CONAC link, when registered.
    pub legacy_link_id: Option<&'a str>,
}

/// The verdict of the best-placed badge of the site, and that badge.
pub fn decide(m: &Measurement, expected: &Expected<'_>) -> (RenderVerdict, Option<MeasuredBadge>) {
    let ours: Vec<&MeasuredBadge> = m.badges.iter().filter(|b| is_ours(b, expected)).collect();
    if ours.is_empty() {
        let verdict = if m.badges.iter().any(|b| b.kind == "govbadge") {
            RenderVerdict::RenderedWrongCode
        } else {
            RenderVerdict::RenderedMissing
        };
        return (verdict, None);
    }
    // The badge with the least serious problem decides (one good badge is enough).
    let best = ours.into_iter().map(|b| (problem(m, b), b)).min_by_key(|(v, _)| severity(*v)).expect("not empty");
    (best.0, Some(best.1.clone()))
}

fn severity(v: RenderVerdict) -> u8 {
    match v {
        RenderVerdict::RenderedCompliant => 0,
        RenderVerdict::NotCentred => 1,
        RenderVerdict::NotAtBottom => 2,
        RenderVerdict::TooSmall => 3,
        RenderVerdict::Covered => 4,
        RenderVerdict::RenderedHidden => 5,
        _ => 6,
    }
}

fn problem(m: &Measurement, b: &MeasuredBadge) -> RenderVerdict {
    let off_page = b.x + b.width <= 0.0 || b.y + b.height <= 0.0 || b.x >= m.page_width || b.y >= m.page_height;
    if !b.displayed
        || !b.visible
        || b.width < 1.0
        || b.height < 1.0
        || b.opacity < MIN_OPACITY
        || b.shown_fraction < MIN_SHOWN
        || off_page
    {
        return RenderVerdict::RenderedHidden;
    }
    if b.covered_by.is_some() {
        return RenderVerdict::Covered;
    }
    if b.kind == "govbadge"
        && !b.image_failed
        && (b.width + SIZE_SLACK < f64::from(BADGE_WIDTH) || b.height + SIZE_SLACK < f64::from(BADGE_HEIGHT))
    {
        return RenderVerdict::TooSmall;
    }
    let bottom = m.content_bottom.max(b.y + b.height);
    let band = (bottom * 0.25).max(BOTTOM_BAND_MIN);
    if b.y + b.height / 2.0 < bottom - band {
        return RenderVerdict::NotAtBottom;
    }
    let width = if m.viewport_width > 0.0 { m.viewport_width.min(m.page_width) } else { m.page_width };
    if (b.x + b.width / 2.0 - width / 2.0).abs() > width * CENTRE_TOLERANCE {
        return RenderVerdict::NotCentred;
    }
    RenderVerdict::RenderedCompliant
}

fn is_ours(b: &MeasuredBadge, expected: &Expected<'_>) -> bool {
    match b.kind.as_str() {
        "govbadge" => code_in(&b.href).is_some_and(|c| {
            c.eq_ignore_ascii_case(expected.code) || expected.legacy_code.is_some_and(|l| c.eq_ignore_ascii_case(l))
        }),
        "conac" => {
            let registered = expected.legacy_code.is_some() || expected.code.to_ascii_uppercase().starts_with("CA");
            let id = url::Url::parse(&b.href)
                .ok()
                .and_then(|u| u.query_pairs().find(|(k, _)| k == "id").map(|(_, v)| v.into_owned()));
            registered
                && match expected.legacy_link_id {
                    Some(want) => id.is_some_and(|id| id.eq_ignore_ascii_case(want)),
                    None => true,
                }
        }
        _ => false,
    }
}

/// The code in `…/verify/CODE…` or `…/badge/CODE.svg…`.
fn code_in(href: &str) -> Option<&str> {
    let tail = href.rsplit_once("/verify/").or_else(|| href.rsplit_once("/badge/"))?.1;
    let end = tail.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(tail.len());
    (end > 0).then(|| &tail[..end])
}

/// Whether a page is rendered under `crawl.render = "when_needed"`: its static verdict is
/// `missing` or `hidden` and it loads scripts (which may write the footer).
pub fn needed(static_verdict: Verdict, has_scripts: bool) -> bool {
    has_scripts && matches!(static_verdict, Verdict::Missing | Verdict::Hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(badge: MeasuredBadge) -> Measurement {
        Measurement {
            page_width: 1280.0,
            page_height: 1500.0,
            content_bottom: 1500.0,
            viewport_width: 1280.0,
            viewport_height: 800.0,
            badges: vec![badge],
        }
    }

    fn badge(x: f64, y: f64, width: f64, height: f64) -> MeasuredBadge {
        MeasuredBadge {
            kind: "govbadge".into(),
            href: "https://bszs.example/verify/1101000001?x".into(),
            x,
            y,
            width,
            height,
            displayed: true,
            visible: true,
            opacity: 1.0,
            shown_fraction: 1.0,
            covered_by: None,
            image_failed: false,
        }
    }

    const OURS: Expected<'static> = Expected { code: "1101000001", legacy_code: None, legacy_link_id: None };

    #[test]
    fn a_full_size_badge_at_the_bottom_centre_is_compliant() {
        assert_eq!(decide(&page(badge(585.0, 1420.0, 110.0, 55.0)), &OURS).0, RenderVerdict::RenderedCompliant);
    }

    #[test]
    fn each_problem_has_its_verdict() {
        let v = |b: MeasuredBadge| decide(&page(b), &OURS).0;
        assert_eq!(v(badge(10.0, 1420.0, 110.0, 55.0)), RenderVerdict::NotCentred);
        assert_eq!(v(badge(585.0, 100.0, 110.0, 55.0)), RenderVerdict::NotAtBottom);
        assert_eq!(v(badge(585.0, 1420.0, 10.0, 5.0)), RenderVerdict::TooSmall);
        let unloaded = MeasuredBadge { image_failed: true, ..badge(585.0, 1420.0, 80.0, 24.0) };
        assert_eq!(v(unloaded), RenderVerdict::RenderedCompliant, "an image the badge service did not serve");
        assert_eq!(
            v(MeasuredBadge { covered_by: Some("div#banner".into()), ..badge(585.0, 1420.0, 110.0, 55.0) }),
            RenderVerdict::Covered
        );
        assert_eq!(
            v(MeasuredBadge { shown_fraction: 0.0, ..badge(585.0, 1420.0, 110.0, 55.0) }),
            RenderVerdict::RenderedHidden
        );
        assert_eq!(
            v(MeasuredBadge { opacity: 0.0, ..badge(585.0, 1420.0, 110.0, 55.0) }),
            RenderVerdict::RenderedHidden
        );
        assert_eq!(v(badge(-500.0, 1420.0, 110.0, 55.0)), RenderVerdict::RenderedHidden);
        let other = MeasuredBadge {
            href: "https://bszs.example/verify/1101000002".into(),
            ..badge(585.0, 1420.0, 110.0, 55.0)
        };
        assert_eq!(v(other), RenderVerdict::RenderedWrongCode);
    }

    #[test]
    fn the_best_of_several_badges_decides() {
        let mut m = page(badge(585.0, 1420.0, 10.0, 5.0));
        m.badges.push(badge(585.0, 1420.0, 110.0, 55.0));
        assert_eq!(decide(&m, &OURS).0, RenderVerdict::RenderedCompliant);
    }

    #[test]
    fn a_national_badge_counts_only_for_a_site_registered_with_one() {
        let conac = MeasuredBadge {
            kind: "conac".into(),
            href: "https://bszs.conac.cn/sitename?method=show&id=ABC".into(),
            ..badge(600.0, 1420.0, 60.0, 70.0)
        };
        assert_eq!(decide(&page(conac.clone()), &OURS).0, RenderVerdict::RenderedMissing);
        let legacy =
            Expected { code: "1101000001", legacy_code: Some("CA000000000000000000001"), legacy_link_id: Some("abc") };
        assert_eq!(decide(&page(conac.clone()), &legacy).0, RenderVerdict::RenderedCompliant);
        let other_id = Expected { legacy_link_id: Some("XYZ"), ..legacy };
        assert_eq!(decide(&page(conac), &other_id).0, RenderVerdict::RenderedMissing);
    }

    #[test]
    fn codes_are_read_from_links_and_images() {
        assert_eq!(code_in("https://b.example/verify/1101000001"), Some("1101000001"));
        assert_eq!(code_in("https://b.example/badge/1101000001.svg?v=ok"), Some("1101000001"));
        assert_eq!(code_in("https://b.example/verify/"), None);
    }
}
