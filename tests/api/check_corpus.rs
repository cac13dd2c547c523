//! The page check against real published pages of government sites (tests/fixtures/real-pages,
//! copied from the shared corpus): no crash, the right titles and footer items, and the badge
//! judged by where it is put.

use govbadge::check::{check, PageInput, Verdict, Warning};
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
        assert_eq!(r.verdict, Verdict::Compliant, "{name}");
        assert_eq!(r.codes_found, [CODE], "{name}");
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
            badge_base: &base(),
        });
        assert_eq!((r.encoding, r.title.as_deref()), ("GBK", Some(title)), "{name}");
        // As stored (UTF-8 bytes under a gb2312 meta) the bytes overrule the meta.
        let r = run(&fixture(name));
        assert_eq!((r.encoding, r.declared_encoding), ("UTF-8", Some("GBK")), "{name}");
    }
}
