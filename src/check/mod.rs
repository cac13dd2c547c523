//! The page check: a page's bytes in, a verdict and the facts behind it out. Pure and
//! deterministic: no I/O, no clock.
//!
//! The badge for code C is present when, as real markup, the page has a `<script>` whose `src`
//! resolves to `<base>/badge/C.js` or an `<a>` whose `href` resolves to `<base>/verify/C`.
//! Where it stands is read from byte offsets: inside `<head>`, in the body, after the last real
//! `</body>` (or `</html>`), or only inside a comment.
//!
//! The national badge that came before (CONAC) is read too, for sites registered with a legacy
//! code: its script from `dcs.conac.cn/js/…/CA….js` (as a tag, or written by an inline
//! `document.write`) and its static copy linking to `bszs.conac.cn/sitename?method=show&id=…`.
//! The same placement rules apply to it.

pub mod charset;
pub mod footer;
mod key_hash;
pub mod links;
mod markers;
pub mod names;
mod open;
mod swar;
pub mod tokenizer;

use std::borrow::Cow;
use std::collections::HashSet;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use serde::Serialize;
use url::Url;

use self::footer::Footer;
use self::links::KnownLinks;
use self::names::{key, TagName};
use self::open::OpenElements;
use self::tokenizer::{Kept, Tag, TextKind, Token, Tokenizer};

/// The page check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Verdict {
    /// The site's badge stands, as real and visible markup, in the body.
    Compliant,
    /// No badge at all.
    Missing,
    /// A badge, but of another code.
    WrongCode,
    /// The site's badge after the last `</body>` (or `</html>`).
    AfterBody,
    /// The site's badge inside `<head>`.
    InHead,
    /// The site's badge only inside an HTML comment.
    CommentedOut,
    /// The site's badge hidden (`hidden`, `display:none`, `visibility:hidden`).
    Hidden,
}

crate::domain::words!(Verdict);

impl Verdict {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Compliant => "合规",
            Verdict::Missing => "未加挂网站标识",
            Verdict::WrongCode => "标识代码不符",
            Verdict::AfterBody => "标识位于</body>之后",
            Verdict::InHead => "标识位于<head>内",
            Verdict::CommentedOut => "标识被注释",
            Verdict::Hidden => "标识被隐藏",
        }
    }

    /// What to change, in Chinese, for the unit.
    pub fn advice(self) -> &'static str {
        match self {
            Verdict::Compliant => "网站标识加挂正确。",
            Verdict::Missing => "页面未加挂网站标识。请将标识代码复制并粘贴到页面代码的</body>前。",
            Verdict::WrongCode => "页面加挂的网站标识不是本网站的标识代码。请使用本网站的标识代码。",
            Verdict::AfterBody => "网站标识位于</body>（或</html>）之后。请将标识代码移到</body>前。",
            Verdict::InHead => "网站标识位于<head>内，不会显示在页面底部。请将标识代码移到</body>前。",
            Verdict::CommentedOut => "网站标识代码被HTML注释（<!-- -->）包围，不会显示。请去掉注释。",
            Verdict::Hidden => "网站标识被隐藏（hidden属性或display:none/visibility:hidden样式）。请取消隐藏。",
        }
    }
}

/// Findings that are not failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Warning {
    /// The page has no `</body>`: its end was taken as the body's.
    NoBodyEndTag,
    /// Much visible text follows the badge.
    NotAtBottom,
    /// More than one `</body>`: the last was taken.
    MultipleBodyEndTags,
    /// The site's legacy badge is a static copy whose link carries a verification id that
    /// could not be matched to the site's code (no id is registered for the site).
    LegacyIdUnverified,
    /// The page declares a government website identifier (`SiteIDCode`) other than the one
    /// registered for the site (the crawler compares; the page alone cannot know).
    SiteIdMismatch,
}

crate::domain::words!(Warning);

impl Warning {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Warning::NoBodyEndTag => "缺少</body>结束标签",
            Warning::NotAtBottom => "标识不在页面底部",
            Warning::MultipleBodyEndTags => "存在多个</body>标签",
            Warning::LegacyIdUnverified => "原标识静态链接未能核对",
            Warning::SiteIdMismatch => "网站标识码与登记不符",
        }
    }

    /// What the finding means, in Chinese, for the unit.
    pub fn advice(self) -> &'static str {
        match self {
            Warning::NoBodyEndTag => "页面没有</body>结束标签，已按文档末尾判断。",
            Warning::NotAtBottom => "网站标识之后还有大量可见内容，标识应位于页面底部中间。",
            Warning::MultipleBodyEndTags => "页面有多个</body>结束标签，已按最后一个判断。",
            Warning::LegacyIdUnverified => {
                "页面加挂的是原网站标识的静态复制链接，其验证编号未登记，无法与本网站的标识代码核对。建议改用标识脚本。"
            }
            Warning::SiteIdMismatch => {
                "页面声明的网站标识码（SiteIDCode）与登记的不一致，请核对页面的<meta name=\"SiteIDCode\">。"
            }
        }
    }
}

/// Which badge markup decided the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BadgeKind {
    /// The badge script of this service (`<base>/badge/C.js`).
    Script,
    /// A link to this service's verification page (`<base>/verify/C`).
    Link,
    /// The national badge's script tag (`dcs.conac.cn/js/…/CA….js`).
    ConacScript,
    /// The national badge's script written by an inline script (`document.write(unescape(…))`).
    ConacWritten,
    /// A static copy of the national badge, linking to `bszs.conac.cn/sitename?method=show&id=…`.
    ConacLink,
}

crate::domain::words!(BadgeKind);

impl BadgeKind {
    /// The badge's name in reports.
    pub fn label(self) -> &'static str {
        match self {
            BadgeKind::Script => "本系统标识脚本",
            BadgeKind::Link => "本系统标识链接",
            BadgeKind::ConacScript => "原网站标识脚本",
            BadgeKind::ConacWritten => "原网站标识脚本（document.write写入）",
            BadgeKind::ConacLink => "原网站标识静态链接",
        }
    }

    /// Whether this is the national badge that came before.
    pub fn is_legacy(self) -> bool {
        matches!(self, BadgeKind::ConacScript | BadgeKind::ConacWritten | BadgeKind::ConacLink)
    }
}

/// The legacy (CONAC) badge a site registered before govbadge may carry instead of ours.
#[derive(Debug, Clone, Copy)]
pub struct LegacyBadge<'a> {
    /// The site's legacy code (`CA` and 21 digits).
    pub code: &'a str,
    /// The id of its static verification link (`bszs.conac.cn/…&id=…`), when registered.
    pub link_id: Option<&'a str>,
}

/// Visible body text after the badge, in characters, beyond which it is not at the bottom.
pub const BOTTOM_TEXT_LIMIT: usize = 2000;

/// What the check needs besides the bytes.
#[derive(Debug, Clone)]
pub struct PageInput<'a> {
    /// The page as served, in whatever encoding.
    pub bytes: &'a [u8],
    /// The `Content-Type` header, for its charset.
    pub content_type: Option<&'a str>,
    /// Where the page was fetched from, for relative URLs; `None` for a local file.
    pub page_url: Option<&'a Url>,
    /// The badge code the page must carry: a govbadge code, or the legacy code of a site that
    /// has no govbadge code yet.
    pub expected_code: &'a str,
    /// The site's legacy badge, accepted beside `expected_code`, if it has one.
    pub legacy: Option<LegacyBadge<'a>>,
    /// Where the badge service is (badge links must point there).
    pub badge_base: &'a Url,
}

/// The verdict and the facts behind it.
#[derive(Debug, Clone, Serialize)]
pub struct PageReport {
    /// Whether, and how, the page carries its badge.
    pub verdict: Verdict,
    /// Badge codes found as real markup anywhere in the page, in order, without repeats.
    pub codes_found: Vec<String>,
    /// Findings that are not failures, sorted.
    pub warnings: Vec<Warning>,
    /// The page's `<title>`, white space folded.
    pub title: Option<String>,
    /// The encoding used to read the page, e.g. `UTF-8`, `GBK`.
    pub encoding: &'static str,
    /// Where the encoding came from.
    pub encoding_source: charset::Source,
    /// The encoding the page declared, when its bytes overruled it.
    pub declared_encoding: Option<&'static str>,
    /// The footer items found in the page's text.
    pub footer: Footer,
    /// Which badge markup decided the verdict, if any.
    pub badge: Option<BadgeKind>,
    /// Byte offset of the badge that decided the verdict, if any.
    pub badge_offset: Option<usize>,
    /// Byte offset of the end of the body (the last real `</body>`), if any.
    pub body_end: Option<usize>,
    /// The page has a `<script>` element (outside comments): what it shows may differ from
    /// its markup, which is when the rendered check is worth running.
    pub has_scripts: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Head,
    Body,
    AfterBody,
    Comment,
}

#[derive(Debug, Clone)]
struct Sighting {
    /// The code, upper case; empty for a static legacy link, which carries only `link_id`.
    code: String,
    link_id: Option<String>,
    kind: BadgeKind,
    offset: usize,
    end: usize,
    hidden: bool,
    in_comment: bool,
}

/// Runs the check.
pub fn check(input: &PageInput<'_>) -> PageReport {
    check_page(input, None).0
}

/// [`check`], and the page's links (canonical, absolute) read in the same pass, for a crawler.
/// A link whose value `known` already holds (the crawl of the site resolved it on another
/// page) is left out; the others are added to it.
pub fn check_with_links(input: &PageInput<'_>, known: Option<&KnownLinks>) -> (PageReport, Vec<Url>) {
    check_page(input, Some(known))
}

/// The check, with the page's links when `links` is given (and those of its values that
/// `known` holds left out).
fn check_page(input: &PageInput<'_>, links: Option<Option<&KnownLinks>>) -> (PageReport, Vec<Url>) {
    let tld = input.page_url.and_then(|u| u.host_str()).and_then(|h| h.rsplit('.').next()).map(str::to_owned);
    let detected = charset::detect(input.bytes, input.content_type, tld.as_deref());
    let encoding = detected.encoding;
    // Tag structure is read on the raw bytes of ASCII-compatible encodings; UTF-16 is decoded.
    let bytes: Cow<'_, [u8]> = if encoding == UTF_16LE || encoding == UTF_16BE {
        Cow::Owned(encoding.decode_with_bom_removal(input.bytes).0.into_owned().into_bytes())
    } else {
        Cow::Borrowed(input.bytes)
    };
    let text_encoding = if matches!(bytes, Cow::Owned(_)) { UTF_8 } else { encoding };
    let page_base = input.page_url.cloned().unwrap_or_else(|| default_page_url(input.badge_base));
    let mut scan = Scan::new(text_encoding, page_base, input.badge_base);
    // Room up front for a run of text every 64 bytes (the real pages have a tag about every 45),
    // rather than a copy each time the list doubles; bounded, for a page of millions of tags.
    scan.visible_text.reserve((bytes.len() / 64).min(1 << 14));
    if let Some(known) = links {
        scan.links = Some(Vec::new());
        scan.known_links = known;
    }
    scan.run(&bytes, 0, false);

    let body_end = scan.last_body_end.or(scan.last_html_end);
    let place = |s: &Sighting| {
        if s.in_comment {
            Place::Comment
        } else if body_end.is_some_and(|end| s.offset > end) {
            Place::AfterBody
        } else if scan
            .head_start
            .is_some_and(|start| s.offset > start && s.offset < scan.head_end.unwrap_or(usize::MAX))
        {
            Place::Head
        } else {
            Place::Body
        }
    };
    let expected = input.expected_code.trim().to_ascii_uppercase();
    let legacy_code = input.legacy.map(|l| l.code.trim().to_ascii_uppercase());
    let link_id = input.legacy.and_then(|l| l.link_id).map(|id| id.trim().to_ascii_uppercase());
    // Legacy badges count, for or against, only on sites registered with a legacy code.
    let legacy_registered = legacy_code.is_some() || expected.starts_with("CA");
    let code_is_ours = |code: &String| *code == expected || legacy_code.as_ref() == Some(code);
    // A static copy's opaque id is matched to a registered id; with none registered it is taken
    // as the site's own unless a badge of another code on the page says otherwise.
    let other_code_present =
        scan.sightings.iter().any(|s| !s.in_comment && !s.code.is_empty() && !code_is_ours(&s.code));
    let is_ours = |s: &Sighting| {
        if !s.code.is_empty() {
            code_is_ours(&s.code)
        } else {
            legacy_registered
                && match &link_id {
                    Some(id) => s.link_id.as_ref() == Some(id),
                    None => !other_code_present,
                }
        }
    };
    let counts_against = |s: &Sighting| !s.in_comment && !is_ours(s) && (legacy_registered || !s.kind.is_legacy());
    let ours: Vec<(&Sighting, Place)> = scan.sightings.iter().filter(|s| is_ours(s)).map(|s| (s, place(s))).collect();
    let pick =
        |wanted: Place, hidden: bool| ours.iter().find(|(s, p)| *p == wanted && s.hidden == hidden).map(|(s, _)| *s);
    let (verdict, decisive) = if let Some(s) = pick(Place::Body, false) {
        (Verdict::Compliant, Some(s))
    } else if let Some(s) = pick(Place::Body, true) {
        (Verdict::Hidden, Some(s))
    } else if let Some((s, _)) = ours.iter().find(|(_, p)| *p == Place::AfterBody) {
        (Verdict::AfterBody, Some(*s))
    } else if let Some((s, _)) = ours.iter().find(|(_, p)| *p == Place::Head) {
        (Verdict::InHead, Some(*s))
    } else if let Some((s, _)) = ours.iter().find(|(_, p)| *p == Place::Comment) {
        (Verdict::CommentedOut, Some(*s))
    } else if scan.sightings.iter().any(counts_against) {
        (Verdict::WrongCode, None)
    } else {
        (Verdict::Missing, None)
    };

    let mut warnings = Vec::new();
    if scan.last_body_end.is_none() {
        warnings.push(Warning::NoBodyEndTag);
    }
    if scan.body_end_count > 1 {
        warnings.push(Warning::MultipleBodyEndTags);
    }
    if decisive.is_some_and(|s| s.code.is_empty()) && link_id.is_none() {
        warnings.push(Warning::LegacyIdUnverified);
    }
    if let (Verdict::Compliant, Some(badge)) = (verdict, decisive) {
        let limit = body_end.unwrap_or(bytes.len());
        let after: usize = scan
            .visible_text
            .iter()
            .filter(|r| r.start >= badge.end && r.end <= limit)
            .map(|r| count_visible_chars(&text_encoding.decode_without_bom_handling(&bytes[r.clone()]).0))
            .sum();
        if after > BOTTOM_TEXT_LIMIT {
            warnings.push(Warning::NotAtBottom);
        }
    }
    warnings.sort();

    let mut codes_found: Vec<String> = Vec::new();
    let mut codes_seen: HashSet<&str> = HashSet::new();
    for s in scan.sightings.iter().filter(|s| !s.in_comment && !s.code.is_empty()) {
        if codes_seen.insert(&s.code) {
            codes_found.push(s.code.clone());
        }
    }
    let markers = markers::find(&bytes, text_encoding);
    let markup = legacy_markup(&bytes, text_encoding, &markers.legacy);
    let visible = footer_text(&bytes, &scan.visible_text, text_encoding, &markers.footer);
    let footer = footer::find(&visible, &markup, scan.site_id_meta.take());
    let report = PageReport {
        verdict,
        codes_found,
        warnings,
        title: scan.title,
        encoding: encoding.name(),
        encoding_source: detected.source,
        declared_encoding: detected.declared.map(Encoding::name),
        footer,
        badge: decisive.map(|s| s.kind),
        badge_offset: decisive.map(|s| s.offset),
        body_end,
        has_scripts: scan.has_scripts,
    };
    (report, scan.links.unwrap_or_default())
}

/// A stand-in page address for local files, so protocol-relative badge URLs take the badge
/// service's scheme.
fn default_page_url(badge_base: &Url) -> Url {
    Url::parse(&format!("{}://page.invalid/", badge_base.scheme())).expect("static URL")
}

/// Bytes either side of a footer keyword whose visible text is searched for the footer items.
const FOOTER_WINDOW: usize = 512;

/// Bytes before a name of the national badge, and after it, searched for its URL: room for
/// `https://` and a host name before `conac.cn`, and for any real path after it.
const LEGACY_WINDOW: (usize, usize) = (128, 2048);

/// The markup around the national badge's names found at `names` (its script host, its
/// loader's id), decoded; separate windows are joined by a line break, which ends a URL.
/// Empty when the page has none of them, which is most pages: the rest is never decoded.
fn legacy_markup(bytes: &[u8], encoding: &'static Encoding, names: &[usize]) -> String {
    let mut markup = String::new();
    for window in windows(names, LEGACY_WINDOW, bytes.len()) {
        markup.push_str(&encoding.decode_without_bom_handling(&bytes[window]).0);
        markup.push('\n');
    }
    markup
}

/// The windows `(before, after)` bytes around each of `positions` (in order), within `len`,
/// overlapping ones merged.
fn windows(positions: &[usize], (before, after): (usize, usize), len: usize) -> Vec<std::ops::Range<usize>> {
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for window in positions.iter().map(|&at| at.saturating_sub(before)..(at + after).min(len)) {
        match merged.last_mut() {
            Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
            _ => merged.push(window),
        }
    }
    merged
}

/// The visible text around the footer keywords (`ICP`, `安备`/`安网备` of the public-security
/// number, `标识码`) found at `keywords`, decoded: the filing numbers sit next to them, so the
/// rest of the page's text need not be decoded. Separate windows are joined by a line break.
fn footer_text(
    bytes: &[u8],
    visible: &[std::ops::Range<usize>],
    encoding: &'static Encoding,
    keywords: &[usize],
) -> String {
    let mut text = String::new();
    for window in &windows(keywords, (FOOTER_WINDOW, FOOTER_WINDOW), bytes.len()) {
        let first = visible.partition_point(|r| r.end <= window.start);
        for range in visible[first..].iter().take_while(|r| r.start < window.end) {
            let part = range.start.max(window.start)..range.end.min(window.end);
            text.push_str(&decode_entities(&encoding.decode_without_bom_handling(&bytes[part]).0));
        }
        text.push('\n');
    }
    text
}

fn count_visible_chars(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// The state of one pass over the tokens.
struct Scan<'b> {
    encoding: &'static Encoding,
    page_base: Url,
    badge_base: &'b Url,
    base_seen: bool,
    /// The open elements, as far as the check asks about them.
    open: OpenElements<'b>,
    sightings: Vec<Sighting>,
    last_body_end: Option<usize>,
    body_end_count: usize,
    last_html_end: Option<usize>,
    head_start: Option<usize>,
    head_end: Option<usize>,
    title: Option<String>,
    in_title: bool,
    site_id_meta: Option<String>,
    visible_text: Vec<std::ops::Range<usize>>,
    /// The page's links, when asked for.
    links: Option<Vec<Url>>,
    /// The raw values of the links read so far (up to [`MAX_LINK_VALUES_REMEMBERED`]): each is
    /// resolved once per page.
    link_values: HashSet<&'b [u8], foldhash::fast::RandomState>,
    /// The link values the crawl of the site already resolved on other pages.
    known_links: Option<&'b KnownLinks>,
    has_scripts: bool,
}

impl<'b> Scan<'b> {
    fn new(encoding: &'static Encoding, page_base: Url, badge_base: &'b Url) -> Self {
        Self {
            encoding,
            page_base,
            badge_base,
            base_seen: false,
            open: OpenElements::new(),
            sightings: Vec::new(),
            last_body_end: None,
            body_end_count: 0,
            last_html_end: None,
            head_start: None,
            head_end: None,
            title: None,
            in_title: false,
            site_id_meta: None,
            visible_text: Vec::new(),
            links: None,
            link_values: HashSet::default(),
            known_links: None,
            has_scripts: false,
        }
    }

    /// Walks the tokens of `bytes`, whose offsets start at `origin` in the page. Inside a
    /// comment only badge sightings are recorded (a `<!--` there opens nothing: a comment
    /// ends at its first `-->`).
    fn run(&mut self, bytes: &'b [u8], origin: usize, in_comment: bool) {
        let tokens = if in_comment { Tokenizer::comment_content(bytes) } else { Tokenizer::new(bytes) };
        // Inlined where the tokenizer hands each kind of token over, so that what is done with
        // a token is chosen there, not by a jump on its kind (mispredicted on most tokens).
        tokens.for_each(
            #[inline(always)]
            |token| {
                match token {
                    Token::StartTag(tag) => self.start_tag(&tag, origin, in_comment),
                    Token::EndTag { name, span } if !in_comment => self.end_tag(name, span.start + origin),
                    Token::Comment { content, .. } if !in_comment => {
                        let inner = &bytes[content.clone()];
                        if memchr::memmem::find(inner, b"/badge/").is_some()
                            || memchr::memmem::find(inner, b"/verify/").is_some()
                            || memchr::memmem::find(inner, b"conac.cn").is_some()
                        {
                            self.run(inner, origin + content.start, true);
                            // A commented-out inline script: its text is not script data here.
                            self.written_legacy_badge(inner, origin + content.start, true);
                        }
                    }
                    Token::Text { span, kind: TextKind::RawText } if self.in_script() => {
                        self.written_legacy_badge(&bytes[span.clone()], span.start + origin, in_comment);
                    }
                    Token::Text { span, kind } if !in_comment => {
                        if self.in_title && kind == TextKind::Rcdata && self.title.is_none() {
                            let raw = self.encoding.decode_without_bom_handling(&bytes[span.clone()]).0;
                            let title = decode_entities(&raw).split_whitespace().collect::<Vec<_>>().join(" ");
                            self.title = Some(title);
                        } else if kind != TextKind::RawText && !self.in_title {
                            self.visible_text.push(span.start + origin..span.end + origin);
                        }
                    }
                    _ => {}
                }
            },
        );
    }

    fn start_tag(&mut self, tag: &Tag<'b>, origin: usize, in_comment: bool) {
        let offset = tag.span.start + origin;
        let name = &tag.name;
        let script = name.key() == key::SCRIPT;
        let class = tag.class;
        if !in_comment {
            if class & names::class::LANDMARK != 0 {
                match name.key() {
                    key::HEAD if self.head_start.is_none() => self.head_start = Some(offset),
                    key::BODY if self.head_end.is_none() => self.head_end = Some(offset),
                    key::BASE if !self.base_seen => self.base(tag),
                    key::META if self.site_id_meta.is_none() => self.meta(tag),
                    key::TITLE => self.in_title = true,
                    key::SCRIPT => self.has_scripts = true,
                    _ => {}
                }
            }
            if self.head_start.is_some()
                && self.head_end.is_none()
                && class & names::class::HEAD_CONTENT == 0
                && name.key() != key::HEAD
            {
                self.head_end = Some(offset);
            }
        }
        // What any tag may need, kept by the tokenizer as it read the tag: whether it hides
        // its content, and the URL of a badge script, a badge link or a link to crawl.
        let link_attr = names::link_attribute(class);
        let url_attr = link_attr.or(script.then_some(Kept::Src)).and_then(|attr| tag.kept(attr));
        if !in_comment && self.links.is_some() && link_attr.is_some() {
            if let Some(raw) = url_attr {
                self.link(raw);
            }
        }
        let hidden_here =
            tag.kept(Kept::Hidden).is_some() || tag.kept(Kept::Style).is_some_and(|style| hides(style, self));
        if let Some(raw) = url_attr.filter(|raw| (script || name.key() == key::A) && may_name_a_badge(raw)) {
            let hidden = hidden_here || self.open.hide_content();
            self.badge_url(raw, script, offset..tag.span.end + origin, hidden, in_comment);
        }
        if class & names::class::VOID == 0 && !in_comment {
            self.open.open(name.clone(), hidden_here);
        }
    }

    // The rarer steps of a start tag are functions of their own (not inlined), which keeps the
    // step every tag takes short.

    /// The first `<base href>`: relative URLs resolve against it from here on.
    #[inline(never)]
    fn base(&mut self, tag: &Tag<'b>) {
        if let Some(href) = tag.kept(Kept::Href).and_then(|h| self.page_base.join(&self.attr_text(h)).ok()) {
            self.page_base = href;
            self.base_seen = true;
            // Values read before resolve differently from here on.
            self.link_values.clear();
        }
    }

    /// A `<meta name="SiteIDCode" content="…">`: the identifier the page declares.
    #[inline(never)]
    fn meta(&mut self, tag: &Tag<'b>) {
        if tag.attr(b"name").is_some_and(|n| n.eq_ignore_ascii_case(b"SiteIDCode")) {
            self.site_id_meta =
                tag.attr(b"content").map(|c| self.attr_text(c).trim().to_owned()).filter(|c| !c.is_empty());
        }
    }

    /// A link to crawl, when links are asked for.
    #[inline(never)]
    fn link(&mut self, raw: &'b [u8]) {
        // A value the page already linked to (against the same base) resolves to the same link.
        // Up to a bound, so a page of endless distinct links costs no more memory than its
        // list of links already does.
        if self.link_values.len() < MAX_LINK_VALUES_REMEMBERED && !self.link_values.insert(raw) {
            return;
        }
        if self.known_links.is_some_and(|known| !known.first_sighting(raw, &self.page_base, self.encoding)) {
            return;
        }
        if let Some(link) = links::resolve(raw, &self.page_base, self.encoding) {
            self.links.get_or_insert_with(Vec::new).push(link);
        }
    }

    /// A URL that may be a badge (of a `<script src>` or an `<a href>` spanning `span`): a
    /// sighting if it is one, of this service or the national one.
    #[inline(never)]
    fn badge_url(&mut self, raw: &[u8], script: bool, span: std::ops::Range<usize>, hidden: bool, in_comment: bool) {
        let kind = if script { BadgeKind::Script } else { BadgeKind::Link };
        let found = plain_badge_code(raw, &self.page_base, self.badge_base, script)
            .map(|code| (code, None, kind))
            .or_else(|| {
                let url = self.page_base.join(self.attr_text(raw).trim()).ok()?;
                let ours = badge_code_in(&url, self.badge_base, script);
                ours.map(|code| (code, None, kind)).or_else(|| legacy_badge_in(&url, script))
            });
        if let Some((code, link_id, kind)) = found {
            let (offset, end) = (span.start, span.end);
            self.sightings.push(Sighting { code, link_id, kind, offset, end, hidden, in_comment });
        }
    }

    fn end_tag(&mut self, name: TagName<'_>, offset: usize) {
        if name.class() & names::class::LANDMARK != 0 {
            match name.key() {
                key::BODY => {
                    self.last_body_end = Some(offset);
                    self.body_end_count += 1;
                }
                key::HTML => self.last_html_end = Some(offset),
                key::HEAD if self.head_end.is_none() => self.head_end = Some(offset),
                key::TITLE => self.in_title = false,
                _ => {}
            }
        }
        self.open.close(&name);
    }

    /// Whether the innermost open element is a `<script>` (its text is script data).
    fn in_script(&self) -> bool {
        self.open.innermost_key() == Some(key::SCRIPT)
    }

    /// A legacy badge script written by inline script text (`document.write(unescape(…))` of a
    /// `dcs.conac.cn/js/…/CA….js` tag): it stands where the inline script stands.
    fn written_legacy_badge(&mut self, text: &[u8], offset: usize, in_comment: bool) {
        let Some(code) = written_legacy_code(text) else { return };
        let hidden = self.open.hide_content();
        let end = offset + text.len();
        self.sightings.push(Sighting {
            code,
            link_id: None,
            kind: BadgeKind::ConacWritten,
            offset,
            end,
            hidden,
            in_comment,
        });
    }

    fn attr_text<'r>(&self, raw: &'r [u8]) -> Cow<'r, str> {
        attribute_text(raw, self.encoding)
    }
}

/// Whether a URL may name a badge, of this service (`/verify/`, `/badge/`) or the national one
/// (`conac`), so that it is worth resolving (every start tag with a URL comes here).
fn may_name_a_badge(raw: &[u8]) -> bool {
    may_hold_a_word(raw, &[b"verify", b"badge", b"conac"])
}

/// Whether an inline style hides the element (`display:none`, `visibility:hidden`): both
/// declarations end in `none` or `hidden`, and only a style with one of those words (or a `&`)
/// is read (every tag with a style comes here).
fn hides(style: &[u8], scan: &Scan<'_>) -> bool {
    may_hold_a_word(style, &[b"none", b"hidden"]) && declares_hidden(style, scan)
}

/// Whether `raw` holds one of `words` (lower-case ASCII letters, two at least), ignoring ASCII
/// case, or a `&` (a character reference may spell any of them). Eight bytes at a time, it
/// looks closer only where a word's first two letters stand, one byte beside the other.
#[inline(always)]
fn may_hold_a_word(raw: &[u8], words: &[&[u8]]) -> bool {
    let starts_one = |at: usize| {
        raw[at] == b'&'
            || words.iter().any(|word| {
                word[0] == raw[at] | 0x20 && raw.get(at..at + word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word))
            })
    };
    // A flag of either letter's search may be false, never missing, so both flags together
    // are a superset of the places a word starts.
    let mut at = 0;
    while let (Some(word), Some(next)) = (swar::word_at(raw, at), swar::word_at(raw, at + 1)) {
        let (folded, next) = (swar::folded(word), swar::folded(next));
        let flags = words.iter().fold(swar::equal(word, b'&'), |flags, wanted| {
            flags | (swar::equal(folded, wanted[0]) & swar::equal(next, wanted[1]))
        });
        if swar::offsets(flags).any(|offset| starts_one(at + offset)) {
            return true;
        }
        at += 8;
    }
    (at..raw.len()).any(starts_one)
}

/// Whether an inline style that may hide the element does: its declarations read.
#[inline(never)]
fn declares_hidden(style: &[u8], scan: &Scan<'_>) -> bool {
    let style: String = scan.attr_text(style).to_ascii_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    style.split(';').any(|decl| decl.starts_with("display:none") || decl.starts_with("visibility:hidden"))
}

/// The badge code in `url` if it points at `<base>/badge/C.js` (scripts) or `<base>/verify/C`
/// (links) on the badge service; http and https both count.
pub fn badge_code_in(url: &Url, base: &Url, script: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str()? != base.host_str()? {
        return None;
    }
    if base.port().is_some() && url.port_or_known_default() != base.port_or_known_default() {
        return None;
    }
    badge_code_in_path(url.path().as_bytes(), base, script)
}

/// The badge code in a URL's path (without query or fragment) on the badge service:
/// `<base path>/badge/C.js` (scripts) or `<base path>/verify/C` (links, a trailing `/` allowed).
fn badge_code_in_path(path: &[u8], base: &Url, script: bool) -> Option<String> {
    let rest = path.strip_prefix(base.path().trim_end_matches('/').as_bytes())?;
    let code = if script {
        rest.strip_prefix(b"/badge/")?.strip_suffix(b".js")?
    } else {
        let c = rest.strip_prefix(b"/verify/")?;
        c.strip_suffix(b"/").unwrap_or(c)
    };
    let valid = code.len() == 13 && code.iter().all(|&b| b.is_ascii_digit() || b == b'X' || b == b'x');
    valid.then(|| String::from_utf8_lossy(code).to_ascii_uppercase())
}

/// The badge code of a badge URL written plainly (`https://`, `http://` or `//`, the badge
/// service's host, its paths, then nothing, a query or a fragment), read from the raw attribute
/// without building a URL: what [`badge_code_in`] would find for it. `None` says only that the
/// URL is not that plain; the caller then parses it.
fn plain_badge_code(raw: &[u8], page_base: &Url, base: &Url, script: bool) -> Option<String> {
    if base.port().is_some() {
        return None;
    }
    let after_scheme = strip_prefix_ignore_case(raw, b"https://")
        .or_else(|| strip_prefix_ignore_case(raw, b"http://"))
        .or_else(|| raw.strip_prefix(b"//").filter(|_| matches!(page_base.scheme(), "http" | "https")))?;
    let after_host = strip_prefix_ignore_case(after_scheme, base.host_str()?.as_bytes())?;
    // The path runs to the query or the fragment; the code's strict shape leaves no room in it
    // for what the URL parser would rewrite (dot segments, escapes, white space).
    let path_end = after_host.iter().position(|&c| c == b'?' || c == b'#').unwrap_or(after_host.len());
    badge_code_in_path(&after_host[..path_end], base, script)
}

/// `bytes` after `prefix` (ASCII, compared ignoring case), if it starts with it.
fn strip_prefix_ignore_case<'a>(bytes: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = bytes.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &bytes[prefix.len()..])
}

/// A legacy badge in `url`: the script `…conac.cn/js/…/CA<21 digits>.js`, or a static link to
/// `…conac.cn/sitename?method=show&id=…` (its id: a legacy code, or an opaque verification id).
fn legacy_badge_in(url: &Url, script: bool) -> Option<(String, Option<String>, BadgeKind)> {
    let host = url.host_str()?;
    if !matches!(url.scheme(), "http" | "https") || !(host == "conac.cn" || host.ends_with(".conac.cn")) {
        return None;
    }
    if script {
        let file = url.path().strip_prefix("/js/")?.rsplit('/').next()?;
        let code = crate::domain::badge::LegacyCode::parse(file.strip_suffix(".js")?)?;
        return Some((code.as_str().to_owned(), None, BadgeKind::ConacScript));
    }
    if !url.path().eq_ignore_ascii_case("/sitename") {
        return None;
    }
    let id = url.query_pairs().find(|(k, _)| k == "id").map(|(_, v)| v.trim().to_ascii_uppercase())?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match crate::domain::badge::LegacyCode::parse(&id) {
        Some(code) => Some((code.as_str().to_owned(), None, BadgeKind::ConacLink)),
        None => Some((String::new(), Some(id), BadgeKind::ConacLink)),
    }
}

/// The legacy code an inline script writes a badge script for: `conac.cn/js/` followed, within
/// the same URL, by `CA<21 digits>.js`. Only the first is taken.
fn written_legacy_code(text: &[u8]) -> Option<String> {
    /// Bytes after `conac.cn/js/` searched for the file name (the real paths are ~40 bytes).
    const PATH_WINDOW: usize = 160;
    for at in memchr::memmem::find_iter(text, b"conac.cn/js/") {
        let rest = &text[at..(at + PATH_WINDOW).min(text.len())];
        let url_end =
            rest.iter().position(|&b| matches!(b, b'\'' | b'"' | b' ' | b'%' | b'<' | b'>')).unwrap_or(rest.len());
        let url = &rest[..url_end];
        if let Some(dot) = memchr::memmem::rfind(url, b".js") {
            let name = &url[..dot];
            let start = name.len().saturating_sub(23);
            if let Some(code) =
                std::str::from_utf8(&name[start..]).ok().and_then(crate::domain::badge::LegacyCode::parse)
            {
                return Some(code.as_str().to_owned());
            }
        }
    }
    None
}

/// How many distinct link values a page's check remembers to resolve each once (pages have a
/// few dozen to a few hundred links).
const MAX_LINK_VALUES_REMEMBERED: usize = 4096;

/// The longest character reference name decoded (`#x10FFFF`, `#1114111`), before its `;`.
const MAX_REFERENCE_LEN: usize = 10;

/// An attribute's raw value as text: decoded from the page's encoding, character references
/// resolved. Borrowed from the page when neither changes anything (a plain ASCII URL, the
/// common case: a crawl reads a few dozen links on every page).
pub fn attribute_text<'a>(raw: &'a [u8], encoding: &'static Encoding) -> Cow<'a, str> {
    match encoding.decode_without_bom_handling(raw).0 {
        Cow::Borrowed(text) => decode_entities(text),
        Cow::Owned(text) => match decode_entities(&text) {
            Cow::Borrowed(_) => Cow::Owned(text),
            Cow::Owned(decoded) => Cow::Owned(decoded),
        },
    }
}

/// Decodes the character references that matter in URLs and titles.
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let Some(first) = memchr::memchr(b'&', bytes) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    // `text[..copied]` is in `out`; the text between references is copied in one piece.
    let mut copied = 0;
    let mut amp = first;
    loop {
        let mut from = amp + 1;
        if let Some((c, len)) = reference_at(&text[amp + 1..]) {
            out.push_str(&text[copied..amp]);
            out.push(c);
            copied = amp + 1 + len;
            from = copied;
        }
        match memchr::memchr(b'&', &bytes[from..]) {
            Some(off) => amp = from + off,
            None => break,
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The character of the reference that `after` (the text after a `&`) starts with, and the
/// reference's length with its `;`.
fn reference_at(after: &str) -> Option<(char, usize)> {
    // A reference is short and holds no `&`: look for its `;` only within the longest one
    // decoded here (`#x10FFFF`), and stop at the next `&`, so a page of `&`s stays linear.
    let end = after.as_bytes().iter().take(MAX_REFERENCE_LEN + 1).position(|&b| b == b';' || b == b'&')?;
    if after.as_bytes()[end] != b';' {
        return None;
    }
    let c = match &after[..end] {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        n if n.starts_with("#x") || n.starts_with("#X") => {
            u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32)?
        }
        n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32)?,
        _ => return None,
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests;
