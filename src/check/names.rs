//! Tag names as the page check compares them. A name of up to eight bytes is also one number,
//! its key (the lower-case bytes in a word), so that asking what an element is (void, head
//! content, raw text, a link) or whether two names are the same compares numbers, not strings.
//! The keys of the names the check knows, and those questions, are here too.

use std::borrow::Cow;
use std::ops::Range;

use super::swar;
use super::tokenizer::Kept;

/// A tag's name, ASCII-lowercased, and its key.
///
/// The key of a name of at most eight bytes without a NUL is its bytes packed in a word
/// (`swar::pack`): two such names have the same key only if they are the same name, and its
/// low byte is the name's first byte (never zero). Any other name's key is a hash with a zero
/// low byte, which only tells names apart when it differs (equal keys mean comparing the names).
#[derive(Debug, Clone)]
pub struct TagName<'a> {
    text: Cow<'a, [u8]>,
    key: u64,
}

impl<'a> TagName<'a> {
    /// The name standing at `range` in `input`, lower-cased (borrowed when it already is, as
    /// most markup is). A short name in lower case, the common one, is read in one word; any
    /// other is read byte by byte.
    #[inline]
    pub(super) fn read(input: &'a [u8], range: Range<usize>) -> Self {
        let len = range.len();
        if let Some(word) = swar::word_at(input, range.start).filter(|_| len <= 8) {
            let capitals_or_nul = swar::capitals(word) | swar::equal(word, 0);
            if swar::prefix(capitals_or_nul, len) == 0 {
                return Self { text: Cow::Borrowed(&input[range]), key: swar::prefix(word, len) };
            }
        }
        Self::read_bytes(&input[range])
    }

    /// A name of any length and case, byte by byte.
    #[inline(never)]
    fn read_bytes(raw: &'a [u8]) -> Self {
        let text = if raw.iter().any(u8::is_ascii_uppercase) {
            Cow::Owned(raw.to_ascii_lowercase())
        } else {
            Cow::Borrowed(raw)
        };
        let key = key_of(&text);
        Self { text, key }
    }

    /// The name's key (see [`TagName`]).
    #[inline]
    pub fn key(&self) -> u64 {
        self.key
    }

    /// Whether the name is too long for a word (or has a NUL): its key is a hash.
    #[inline]
    pub fn is_long(&self) -> bool {
        self.key & 0xff == 0
    }

    /// The name, lower case.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }
}

impl PartialEq for TagName<'_> {
    /// Equal keys of short names are equal names; other keys may be shared.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && (!self.is_long() || self.text == other.text)
    }
}

impl Eq for TagName<'_> {}

impl std::ops::Deref for TagName<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.text
    }
}

impl AsRef<[u8]> for TagName<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.text
    }
}

/// The key of a lower-case name (see [`TagName`]).
pub const fn key_of(name: &[u8]) -> u64 {
    let mut short = name.len() <= 8;
    let mut i = 0;
    while short && i < name.len() {
        short = name[i] != 0;
        i += 1;
    }
    if short {
        swar::pack(name)
    } else {
        long_key(name)
    }
}

/// FNV-1a over a name too long for a word, with its low byte cleared: never a short name's key.
const fn long_key(name: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < name.len() {
        hash = (hash ^ name[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash & !0xff
}

/// The keys of the names the check asks about.
pub mod key {
    use super::key_of;

    macro_rules! keys {
        ($($name:ident = $text:literal),* $(,)?) => {
            $(
                #[doc = concat!("`", $text, "`")]
                pub const $name: u64 = key_of($text.as_bytes());
            )*
        };
    }

    keys! {
        A = "a", AREA = "area", BASE = "base", BODY = "body", BR = "br", COL = "col", EMBED = "embed",
        FRAME = "frame", HEAD = "head", HR = "hr", HTML = "html", IFRAME = "iframe", IMG = "img",
        INPUT = "input", KEYGEN = "keygen", LINK = "link", META = "meta", NOEMBED = "noembed",
        NOFRAMES = "noframes", NOSCRIPT = "noscript", OBJECT = "object", PARAM = "param",
        PLAINTEXT = "plaintext", SCRIPT = "script", SOURCE = "source", STYLE = "style",
        TEMPLATE = "template", TEXTAREA = "textarea", TITLE = "title", TRACK = "track", WBR = "wbr",
        XMP = "xmp",
    }
}

/// What the check asks of an element by its name, as the bits of [`TagName::class`].
pub mod class {
    /// No content and no end tag.
    pub const VOID: u8 = 1;
    /// May stand in `<head>` (any other start tag ends it).
    pub const HEAD_CONTENT: u8 = 2;
    /// Links with its `href` (`a`, `area`).
    pub const LINK_HREF: u8 = 4;
    /// Links with its `src` (`frame`, `iframe`).
    pub const LINK_SRC: u8 = 8;
    /// Its start or end tag changes what the check knows of the page (`html`, `head`, `body`,
    /// `base`, `meta`, `title`, `script`).
    pub const LANDMARK: u8 = 16;
    /// Its content is raw text or RCDATA to the tokenizer (`script`, `style`, `textarea`, …).
    pub const RAW_CONTENT: u8 = 32;
}

/// The names the check knows and what they are.
const CLASSES: [(u64, u8); 31] = {
    use class::*;
    use key::*;
    [
        (A, LINK_HREF),
        (AREA, VOID | LINK_HREF),
        (BASE, VOID | HEAD_CONTENT | LANDMARK),
        (BODY, LANDMARK),
        (BR, VOID),
        (COL, VOID),
        (EMBED, VOID),
        (FRAME, VOID | LINK_SRC),
        (HEAD, LANDMARK),
        (HR, VOID),
        (HTML, LANDMARK),
        (IFRAME, LINK_SRC | RAW_CONTENT),
        (IMG, VOID),
        (INPUT, VOID),
        (KEYGEN, VOID),
        (LINK, VOID | HEAD_CONTENT),
        (META, VOID | HEAD_CONTENT | LANDMARK),
        (NOEMBED, RAW_CONTENT),
        (NOFRAMES, RAW_CONTENT),
        (NOSCRIPT, HEAD_CONTENT),
        (OBJECT, HEAD_CONTENT),
        (PARAM, VOID),
        (SCRIPT, HEAD_CONTENT | LANDMARK | RAW_CONTENT),
        (SOURCE, VOID),
        (STYLE, HEAD_CONTENT | RAW_CONTENT),
        (TEMPLATE, HEAD_CONTENT),
        (TEXTAREA, RAW_CONTENT),
        (TITLE, HEAD_CONTENT | LANDMARK | RAW_CONTENT),
        (TRACK, VOID),
        (WBR, VOID),
        (XMP, RAW_CONTENT),
    ]
};

/// [`CLASSES`] by a perfect hash of the keys: a multiply and a shift pick the one slot a key
/// can be in, so a name's class is a load and a comparison, with no branch to mispredict (a
/// search of the names would take several, on every tag). The multiplier was searched for
/// with no two names in one slot; building the table checks that, at compile time.
static CLASS_TABLE: [(u64, u8); 1 << SLOT_BITS] = {
    let mut table = [(0, 0); 1 << SLOT_BITS];
    let mut i = 0;
    while i < CLASSES.len() {
        let (key, class) = CLASSES[i];
        assert!(table[slot(key)].0 == 0, "two names share a slot: search for another multiplier");
        table[slot(key)] = (key, class);
        i += 1;
    }
    table
};

const SLOT_BITS: u32 = 6;

const fn slot(key: u64) -> usize {
    (key.wrapping_mul(0xa20b_49b8_ddd2_b6cd) >> (64 - SLOT_BITS)) as usize
}

impl TagName<'_> {
    /// What the element is to the check: bits of [`class`], none for a name it does not know.
    #[inline]
    pub fn class(&self) -> u8 {
        let (key, class) = CLASS_TABLE[slot(self.key)];
        // A mask, not a branch: known and unknown names alternate on every page.
        class & u8::from(key == self.key).wrapping_neg()
    }
}

/// The attribute that holds the link of an element of `class` ([`TagName::class`]), if it
/// makes one (`<a href>`, `<area href>`, `<frame src>`, `<iframe src>`).
pub fn link_attribute(class: u8) -> Option<Kept> {
    // By the two link bits, from a table: a branch on each bit would be mispredicted as links
    // and other elements alternate.
    const BY_LINK_BITS: [Option<Kept>; 4] = [None, Some(Kept::Href), Some(Kept::Src), Some(Kept::Href)];
    const _: () = assert!(class::LINK_HREF == 4 && class::LINK_SRC == 8, "the table is indexed by bits 2 and 3");
    BY_LINK_BITS[usize::from(class >> 2 & 3)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(html: &[u8]) -> TagName<'_> {
        let end = html.iter().position(|&b| b == b' ').unwrap_or(html.len());
        TagName::read(html, 0..end)
    }

    #[test]
    fn keys_of_short_names_are_the_names() {
        // In a word or near the end of the input, any case, the same key as the constant's.
        for html in [&b"script x=1"[..], b"SCRIPT x=1", b"sCrIpT", b"script"] {
            let name = read(html);
            assert_eq!((name.as_bytes(), name.key()), (&b"script"[..], key::SCRIPT), "{html:?}");
        }
        assert!(matches!(read(b"div class=x").text, Cow::Borrowed(_)));
        assert!(matches!(read(b"DIV class=x").text, Cow::Owned(_)));
        // Eight bytes fit; nine do not, and neither does a name with a NUL (a browser reads
        // it as another name than the one without it).
        assert_eq!(read(b"NOSCRIPT  ").key(), key::NOSCRIPT);
        assert_eq!(key::NOSCRIPT & 0xff, u64::from(b'n'));
        assert_eq!(key::PLAINTEXT & 0xff, 0);
        assert_eq!(read(b"PlainText  ").key(), key::PLAINTEXT);
        assert_ne!(read(b"a\0 x=1 y=2").key(), key::A);
        assert_ne!(read(b"a\0 x=1 y=2"), read(b"a x=1 y=2 z"));
        assert_eq!(read(b"a\0 x=1 y=2"), read(b"a\0"));
    }

    #[test]
    fn names_are_equal_exactly_when_their_text_is() {
        let names: Vec<&[u8]> = vec![b"a", b"b", b"ab", b"abbr", b"abbreviation", b"abbreviations", b"x\0", b"x"];
        for left in &names {
            for right in &names {
                assert_eq!(read(left) == read(right), left == right, "{left:?} {right:?}");
            }
        }
    }

    #[test]
    fn every_known_name_has_its_class_and_no_other_name_has_one() {
        for (key, class) in CLASSES {
            let text = key.to_le_bytes();
            let len = text.iter().position(|&b| b == 0).unwrap_or(8);
            let name = TagName::read(&text, 0..len);
            assert_eq!((name.key(), name.class()), (key, class), "{:?}", String::from_utf8_lossy(&text[..len]));
        }
        for other in [&b"div"[..], b"p", b"abbr", b"plaintext", b"scripts", b"bases", b"i", b"b", b"x-a"] {
            assert_eq!(TagName::read(other, 0..other.len()).class(), 0, "{:?}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn what_elements_are() {
        let is = |html: &[u8], bits: u8| read(html).class() & bits != 0;
        assert!(is(b"IMG src=x", class::VOID) && is(b"br", class::VOID) && !is(b"div", class::VOID));
        assert!(!is(b"imgs", class::VOID) && !is(b"i", class::VOID));
        assert!(is(b"meta", class::HEAD_CONTENT) && !is(b"div", class::HEAD_CONTENT));
        assert_eq!(link_attribute(read(b"A href=x").class()), Some(Kept::Href));
        assert_eq!(link_attribute(read(b"iframe").class()), Some(Kept::Src));
        assert_eq!(link_attribute(read(b"abbr").class()), None);
    }
}
