//! The page check against real published pages of government sites (tests/fixtures/real-pages,
//! copied from the shared corpus): no crash, the right titles and footer items, and the badge
//! judged by where it is put.

use govbadge::check::{check, BadgeKind, LegacyBadge, PageInput, Verdict, Warning};
use url::Url;

const CODE: &str = "4109220000016";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/real-pages/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn all() -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/tests/fixtures/real-pages", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".html"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 11);
    names.into_iter().map(|n| (n.clone(), fixture(&n))).collect()
}

fn base() -> Url {
    Url::parse("https://bs.example.gov.cn").unwrap()
}

fn run(bytes: &[u8]) -> govbadge::check::PageReport {
    let page = Url::parse("https://www.example.gov.cn/index.html").unwrap();
    check(&PageInput {
        bytes,
        content_type: Some("text/html"),
        page_url: Some(&page),
        expected_code: CODE,
        legacy: None,
        badge_base: &base(),
    })
}

const SNIPPET: &str = "<a href=\"https://bs.example.gov.cn/verify/4109220000016\"><img src=\"https://bs.example.gov.cn/badge/4109220000016.svg\" alt=\"党政机关网站标识\"></a>";

fn insert_at(bytes: &[u8], at: usize, what: &str) -> Vec<u8> {
    [&bytes[..at], what.as_bytes(), &bytes[at..]].concat()
}

fn rfind(bytes: &[u8], needle: &str) -> Option<usize> {
    let lower = bytes.to_ascii_lowercase();
    memchr::memmem::rfind(&lower, needle.as_bytes())
}

/// File prefix, title, ICP number, public-security number, `SiteIDCode`.
type Expected = (&'static str, Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<&'static str>);

#[test]
fn real_pages_carry_no_badge_of_ours_and_keep_their_footers() {
    let expected: [Expected; 11] = [
        ("01", None, Some("京ICP备19054529号-1"), Some("京公网安备 11010602060068号"), Some("bm14000002")),
        ("02", Some("中国科学技术大学"), Some("皖ICP备05002528号"), None, None),
        ("03", Some("中华人民共和国科学技术部 - HTTP://WWW.MOST.GOV.CN"), Some("京ICP备05022684号"), None, None),
        ("04", None, Some("湘ICP备14002927号-5"), Some("湘公网安备 43010402000231号"), None),
        ("05", None, Some("京ICP备05070218号"), Some("京公网安备 11010202000001号"), Some("bm01000001")),
        ("06", None, None, None, None),
        ("07", Some("中国人事考试网--人民网"), Some("京ICP备13013060号-1"), None, None),
        (
            "08",
            Some("中标公告详细页面"),
            Some("冀ICP备13016076号-2"),
            Some("冀公网安备 13010402001602号"),
            Some("1300000065"),
        ),
        ("09", None, None, None, None),
        (
            "10",
            Some("中国政府网_中央人民政府门户网站"),
            Some("京ICP备05070218号"),
            Some("京公网安备 11010202000001号"),
            Some("bm01000001"),
        ),
        ("11", Some("中华人民共和国国家统计局"), Some("京ICP备05034670号"), None, None),
    ];
    for ((name, bytes), (prefix, title, icp, police, site_id)) in all().iter().zip(expected) {
        assert!(name.starts_with(prefix));
        let r = run(bytes);
        assert_eq!(r.verdict, Verdict::Missing, "{name}");
        if let Some(t) = title {
            assert_eq!(r.title.as_deref(), Some(t), "{name}");
        }
        assert_eq!(
            (r.footer.icp.as_deref(), r.footer.police.as_deref(), r.footer.site_id_code.as_deref()),
            (icp, police, site_id),
            "{name}"
        );
    }
    // The legacy national badge is reported where the page still carries it.
    let legacy: Vec<bool> = all().iter().map(|(_, b)| run(b).footer.legacy_badge.is_some()).collect();
    assert_eq!(legacy, [true, true, true, true, true, false, false, true, false, true, true]);
}

#[test]
fn the_snippet_before_the_last_body_end_is_compliant_everywhere() {
    for (name, bytes) in all() {
        let page = match rfind(&bytes, "</body>") {
            Some(at) => insert_at(&bytes, at, SNIPPET),
            None => [bytes.as_slice(), SNIPPET.as_bytes()].concat(),
        };
        let r = run(&page);
        assert_eq!((r.verdict, r.badge), (Verdict::Compliant, Some(BadgeKind::Link)), "{name}");
        // Legacy codes on the page are listed too, ours last (it was put at the end).
        assert_eq!(r.codes_found.last().map(String::as_str), Some(CODE), "{name}");
    }
}

#[test]
fn pages_with_content_after_body_or_html() {
    // 03 has scripts after </html>: a badge there is after the body.
    let most = fixture("03-most-gov-cn.html");
    let end = most.len();
    assert_eq!(run(&insert_at(&most, end, SNIPPET)).verdict, Verdict::AfterBody);
    // 11 closes a second <body> mid-document and goes on: the body ends at the last </body>.
    let stats = fixture("11-stats-gov-cn.html");
    let first = memchr::memmem::find(&stats.to_ascii_lowercase(), b"</body>").unwrap();
    let r = run(&insert_at(&stats, first + "</body>".len(), SNIPPET));
    assert_eq!(r.verdict, Verdict::Compliant);
    assert!(r.warnings.contains(&Warning::MultipleBodyEndTags));
    // 05 has a stray </html> after its header: a badge before the real end is in the body.
    let gov = fixture("05-www-gov-cn.html");
    let stray = memchr::memmem::find(&gov.to_ascii_lowercase(), b"</html>").unwrap();
    assert_eq!(run(&insert_at(&gov, stray + 7, SNIPPET)).verdict, Verdict::Compliant);
    // Commented out in 09's VSB editable comments.
    let sxmu = fixture("09-sxmu-edu-cn.html");
    let at = rfind(&sxmu, "</body>").unwrap();
    assert_eq!(run(&insert_at(&sxmu, at, &format!("<!--{SNIPPET}-->"))).verdict, Verdict::CommentedOut);
}

#[test]
fn real_gbk_bytes_decode_by_meta() {
    // 03 and 07 declare gb2312 but are stored as UTF-8; re-encoded as GB18030 they are what the
    // servers sent.
    for (name, title) in [
        ("03-most-gov-cn.html", "中华人民共和国科学技术部 - HTTP://WWW.MOST.GOV.CN"),
        ("07-cpta-com-cn.html", "中国人事考试网--人民网"),
    ] {
        let text = String::from_utf8(fixture(name)).unwrap();
        let gbk = encoding_rs::GB18030.encode(&text).0.into_owned();
        let page = Url::parse("https://www.example.gov.cn/").unwrap();
        let r = check(&PageInput {
            bytes: &gbk,
            content_type: None,
            page_url: Some(&page),
            expected_code: CODE,
            legacy: None,
            badge_base: &base(),
        });
        assert_eq!((r.encoding, r.title.as_deref()), ("GBK", Some(title)), "{name}");
        // As stored (UTF-8 bytes under a gb2312 meta) the bytes overrule the meta.
        let r = run(&fixture(name));
        assert_eq!((r.encoding, r.declared_encoding), ("UTF-8", Some("GBK")), "{name}");
    }
}

fn run_legacy(bytes: &[u8], code: &str, legacy: Option<LegacyBadge<'_>>) -> govbadge::check::PageReport {
    let page = Url::parse("https://www.example.gov.cn/index.html").unwrap();
    check(&PageInput {
        bytes,
        content_type: Some("text/html"),
        page_url: Some(&page),
        expected_code: code,
        legacy,
        badge_base: &base(),
    })
}

/// The legacy code of each real page that carries the national badge's script.
const LEGACY_SCRIPTS: [(&str, &str, BadgeKind); 6] = [
    ("01-ccgp-gov-cn.html", "CA330000000604258890010", BadgeKind::ConacWritten),
    ("02-ustc-edu-cn.html", "CA330000000604442030001", BadgeKind::ConacWritten),
    ("03-most-gov-cn.html", "CA330000000604774680002", BadgeKind::ConacWritten),
    // 04 and 08 carry the written script and a rendered copy (span + script tag) after it.
    ("04-zyyfy-hospital.html", "CA190000000607952170004", BadgeKind::ConacWritten),
    ("08-ccgp-hebei-award.html", "CA050000000608497830001", BadgeKind::ConacWritten),
    ("11-stats-gov-cn.html", "CA330000000604091310003", BadgeKind::ConacWritten),
];

/// The verification id of the static copies on www.gov.cn (05 and 10).
const GOV_CN_LINK_ID: &str = "081D1D6883441A53E053012819AC0DAA";

#[test]
fn real_legacy_badges_are_compliant_for_their_own_legacy_code() {
    for (name, code, kind) in LEGACY_SCRIPTS {
        let bytes = fixture(name);
        // A site registered with that legacy code only.
        let r = run_legacy(&bytes, code, None);
        assert_eq!((r.verdict, r.badge), (Verdict::Compliant, Some(kind)), "{name}");
        assert!(r.codes_found.contains(&code.to_owned()), "{name}: {:?}", r.codes_found);
        // A site with a govbadge code that keeps that legacy code: the legacy badge still counts.
        let r = run_legacy(&bytes, CODE, Some(LegacyBadge { code, link_id: None }));
        assert_eq!(r.verdict, Verdict::Compliant, "{name}");
        // Another site's legacy code.
        let r = run_legacy(&bytes, "CA110000000600000000001", None);
        assert_eq!((r.verdict, r.badge), (Verdict::WrongCode, None), "{name}");
        // A govbadge-only site: the old badge neither passes nor counts as a wrong code.
        assert_eq!(run(&bytes).verdict, Verdict::Missing, "{name}");
    }
    // 04 also has the rendered copy as a real script tag: with the inline script gone, the tag
    // decides.
    let hospital = String::from_utf8(fixture("04-zyyfy-hospital.html")).unwrap();
    let start = hospital.find("document.write(unescape(").unwrap();
    let end = start + hospital[start..].find(";").unwrap() + 1;
    let without_inline = format!("{}{}", &hospital[..start], &hospital[end..]);
    let r = run_legacy(without_inline.as_bytes(), "CA190000000607952170004", None);
    assert_eq!((r.verdict, r.badge), (Verdict::Compliant, Some(BadgeKind::ConacScript)));
}

#[test]
fn static_legacy_copies_are_matched_by_their_verification_id() {
    for name in ["05-www-gov-cn.html", "10-www-gov-cn-home.html"] {
        let bytes = fixture(name);
        let code = "CA010000000600000000001";
        let registered = Some(LegacyBadge { code, link_id: Some(GOV_CN_LINK_ID) });
        let r = run_legacy(&bytes, code, registered);
        assert_eq!((r.verdict, r.badge), (Verdict::Compliant, Some(BadgeKind::ConacLink)), "{name}");
        assert!(!r.warnings.contains(&Warning::LegacyIdUnverified), "{name}");
        // No id registered: accepted, with a warning that it could not be matched.
        let r = run_legacy(&bytes, code, None);
        assert_eq!(r.verdict, Verdict::Compliant, "{name}");
        assert!(r.warnings.contains(&Warning::LegacyIdUnverified), "{name}");
        // Another site's id.
        let other = Some(LegacyBadge { code, link_id: Some("57F5E9CA841A5ACDE053022819ACEAD1") });
        assert_eq!(run_legacy(&bytes, code, other).verdict, Verdict::WrongCode, "{name}");
    }
}

#[test]
fn legacy_badges_follow_the_placement_rules() {
    let code = "CA330000000604091310003";
    let stats = String::from_utf8(fixture("11-stats-gov-cn.html")).unwrap();
    let start = stats.find("<script type=\"text/javascript\">document.write(unescape(").unwrap();
    let end = start + stats[start..].find("</script>").unwrap() + "</script>".len();
    let snippet = &stats[start..end];
    let bare = format!("{}{}", &stats[..start], &stats[end..]);
    assert_eq!(run_legacy(bare.as_bytes(), code, None).verdict, Verdict::Missing);
    let commented = format!("{}<!--{snippet}-->{}", &stats[..start], &stats[end..]);
    assert_eq!(run_legacy(commented.as_bytes(), code, None).verdict, Verdict::CommentedOut);
    let hidden = format!("{}<div style=\"display:none\">{snippet}</div>{}", &stats[..start], &stats[end..]);
    assert_eq!(run_legacy(hidden.as_bytes(), code, None).verdict, Verdict::Hidden);
    let after = format!("{bare}{snippet}");
    assert_eq!(run_legacy(after.as_bytes(), code, None).verdict, Verdict::AfterBody);
    let head_at = bare.find("</head>").unwrap();
    let in_head = format!("{}{snippet}{}", &bare[..head_at], &bare[head_at..]);
    assert_eq!(run_legacy(in_head.as_bytes(), code, None).verdict, Verdict::InHead);
}
