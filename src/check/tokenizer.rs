//! A byte-level HTML tokenizer with byte offsets, for the page check.
//!
//! It follows the WHATWG tokenizer where it matters for "is this real markup, and where":
//! comments (including bogus `<!…>` and `<?…>` comments), the raw text of `script`, `style`,
//! `xmp`, `iframe`, `noembed` and `noframes`, the RCDATA of `textarea` and `title`,
//! `plaintext`, and the script-data escape states (`<!--` … `-->` inside a script, where a
//! nested `<script>` keeps the next `</script>` from ending it). Tag and attribute names are
//! ASCII-lowercased; attribute values are returned raw (entity decoding is left to the caller).
//! It works on the bytes of any ASCII-compatible encoding and never fails: broken markup
//! becomes text or a best-effort tag, as in a browser.

use std::ops::Range;

use super::names::{class, key, TagName};
use super::swar;

/// One token and where it stands in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// A start tag (closed by its `>`).
    StartTag(Tag<'a>),
    /// An end tag: its lower-case name and where it stands.
    EndTag {
        /// Lower case; borrowed from the input unless it had upper-case letters.
        name: TagName<'a>,
        /// From `<` to after `>`.
        span: Range<usize>,
    },
    /// The comment's content (without `<!--` and `-->`) and the whole comment's span.
    Comment {
        /// The text between the delimiters.
        content: Range<usize>,
        /// The whole comment.
        span: Range<usize>,
    },
    /// Character data: text, or the raw text of a script, style or RCDATA element.
    Text {
        /// Where the text stands.
        span: Range<usize>,
        /// What kind of character data it is.
        kind: TextKind,
    },
    /// A `<!DOCTYPE …>`.
    Doctype {
        /// From `<` to after `>`.
        span: Range<usize>,
    },
}

/// What kind of character data a text token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Ordinary text content (may contain character references).
    Data,
    /// The raw text of `script`, `style` and similar: not markup, not visible text.
    RawText,
    /// The text of `textarea` and `title`: not markup, but visible and with references.
    Rcdata,
}

/// A start tag. The four attributes asked of nearly every tag ([`Kept`]) are kept while the
/// tokenizer reads it; any other is read when asked for, from the bytes after its name.
/// Nothing is allocated per tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag<'a> {
    /// Lower case; borrowed from the input unless it had upper-case letters.
    pub name: TagName<'a>,
    /// What the element is to the check ([`TagName::class`]), looked up once as the tag is
    /// read: the tokenizer, the check and the link reader all ask it of every start tag.
    pub class: u8,
    /// Written `<…/>` (which makes no element empty in HTML).
    pub self_closing: bool,
    /// From `<` to after `>`.
    pub span: Range<usize>,
    /// The tokenizer's input, and where the attributes start in it (after the name).
    input: &'a [u8],
    attrs_start: usize,
    /// Where the values of the [`Kept`] attributes stand, by [`Kept`] (the first of each
    /// name; [`ABSENT`] when the tag has none, [`FAR`] beyond 4 GiB into the input).
    kept: [Slot; Kept::ALL.len()],
}

/// The attributes the page check asks of nearly every tag (whether it hides its content, and
/// the URL it links to or loads), kept by the tokenizer as it reads the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// `hidden`.
    Hidden,
    /// `style`.
    Style,
    /// `href`.
    Href,
    /// `src`.
    Src,
}

impl Kept {
    /// All of them, in slot order.
    const ALL: [Kept; 4] = [Kept::Hidden, Kept::Style, Kept::Href, Kept::Src];

    /// The attribute's name.
    pub const fn name(self) -> &'static [u8] {
        match self {
            Kept::Hidden => b"hidden",
            Kept::Style => b"style",
            Kept::Href => b"href",
            Kept::Src => b"src",
        }
    }

    /// The kept attribute named `name` (ignoring ASCII case), if it is one.
    fn named(name: &[u8]) -> Option<Kept> {
        let kept = Self::of_length(name.len())?;
        name.eq_ignore_ascii_case(kept.name()).then_some(kept)
    }

    /// The kept attribute whose name stands at `name` in `input` (ignoring ASCII case), if it
    /// is one: as [`Kept::named`], compared as one word where the input allows (the tokenizer
    /// asks this of every attribute it reads).
    #[inline(always)]
    fn named_at(input: &[u8], name: Range<usize>) -> Option<Kept> {
        const PACKED: [u64; Kept::ALL.len()] = {
            let mut packed = [0; Kept::ALL.len()];
            let mut slot = 0;
            while slot < packed.len() {
                packed[slot] = swar::pack(Kept::ALL[slot].name());
                slot += 1;
            }
            packed
        };
        let Some(word) = swar::word_at(input, name.start) else {
            return Self::named(&input[name]);
        };
        let kept = Self::of_length(name.len())?;
        (swar::prefix(swar::folded(word), name.len()) == PACKED[kept as usize]).then_some(kept)
    }

    /// The only kept attribute a name of `len` bytes may be (from a table, not a jump).
    fn of_length(len: usize) -> Option<Kept> {
        [Kept::Src, Kept::Href, Kept::Style, Kept::Hidden].get(len.wrapping_sub(3)).copied()
    }

    /// The slot that keeps a value standing at `value` in the input.
    fn slot(value: &Range<usize>) -> Slot {
        match (u32::try_from(value.start), u32::try_from(value.end)) {
            (Ok(start), Ok(end)) if end < u32::MAX => (start, end),
            _ => FAR,
        }
    }
}

/// Where a kept attribute's value stands in the input: its start and end, in 32 bits. It keeps
/// a tag small enough to be handed on in a few moves rather than a call to copy it (the check
/// does that for every tag of every page).
type Slot = (u32, u32);

/// A [`Tag::kept`] slot with no value: the tag has no such attribute.
const ABSENT: Slot = (u32::MAX, u32::MAX);

/// A [`Tag::kept`] slot whose value stands beyond what 32 bits hold (4 GiB into the input): it
/// is read from the tag's bytes when asked for.
const FAR: Slot = (u32::MAX, 0);

impl<'a> Tag<'a> {
    /// The raw value of a kept attribute, if the tag has it (the first, if repeated).
    #[inline]
    pub fn kept(&self, attr: Kept) -> Option<&'a [u8]> {
        match self.kept[attr as usize] {
            ABSENT => None,
            FAR => self.read_attr(attr.name()),
            (start, end) => Some(&self.input[start as usize..end as usize]),
        }
    }

    /// The raw value of the first attribute named `name` (lower case).
    pub fn attr(&self, name: &[u8]) -> Option<&'a [u8]> {
        match Kept::named(name) {
            Some(kept) => self.kept(kept),
            None => self.read_attr(name),
        }
    }

    /// The raw value of the first attribute named `name`, read from the tag's bytes.
    fn read_attr(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.attrs().find(|(attr, _)| attr.eq_ignore_ascii_case(name)).map(|(_, value)| value)
    }

    /// The attributes in order, names as written (compare them ignoring ASCII case) and raw
    /// values; a repeated name is the page's error, and the first one counts.
    pub fn attrs(&self) -> Attributes<'a> {
        Attributes { input: self.input, pos: self.attrs_start }
    }
}

/// The attributes of a [`Tag`], read from its bytes.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match read_attribute(self.input, self.pos) {
            AttributeStep::Attribute { name, value, next } => {
                self.pos = next;
                Some((&self.input[name], &self.input[value]))
            }
            AttributeStep::Close { .. } | AttributeStep::Cut => {
                self.pos = self.input.len();
                None
            }
        }
    }
}

/// What follows inside a tag.
enum AttributeStep {
    /// An attribute: its name and raw value (empty when it has none), and where to go on.
    Attribute { name: Range<usize>, value: Range<usize>, next: usize },
    /// The `>` at `gt` closes the tag; `self_closing` when a `/` stood just before it.
    Close { gt: usize, self_closing: bool },
    /// The input ends inside the tag.
    Cut,
}

/// Reads the next attribute, or the end of the tag, at `i` (after the tag's name or the
/// previous attribute), as the WHATWG tokenizer's attribute states do. Inlined: its result
/// stays in registers instead of a round trip through memory for every attribute.
#[inline(always)]
fn read_attribute(input: &[u8], mut i: usize) -> AttributeStep {
    let mut slash = false;
    while i < input.len() && (is_space(input[i]) || input[i] == b'/') {
        slash = input[i] == b'/';
        i += 1;
    }
    match input.get(i) {
        None => return AttributeStep::Cut,
        Some(b'>') => return AttributeStep::Close { gt: i, self_closing: slash },
        Some(_) => {}
    }
    // Attribute name (a leading '=' belongs to the name).
    let name_start = i;
    i = name_end(input, i + 1, true);
    let name = name_start..i;
    while i < input.len() && is_space(input[i]) {
        i += 1;
    }
    let mut value = i..i;
    if input.get(i) == Some(&b'=') {
        i += 1;
        while i < input.len() && is_space(input[i]) {
            i += 1;
        }
        match input.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let v_start = i + 1;
                if let Some(end) = swar::find(input, v_start, q) {
                    value = v_start..end;
                    i = end + 1;
                } else {
                    value = v_start.min(input.len())..input.len();
                    i = input.len();
                }
            }
            Some(_) => {
                let v_start = i;
                while i < input.len() && !is_space(input[i]) && input[i] != b'>' {
                    i += 1;
                }
                value = v_start..i;
            }
            None => value = i..i,
        }
    }
    AttributeStep::Attribute { name, value, next: i }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Data,
    RawText,
    Rcdata,
    ScriptData,
    Plaintext,
}

/// The tokens of a page's bytes, in order: one at a time (`next`), or each handed over as it
/// is read (`for_each`, the faster way through a whole page).
pub struct Tokenizer<'a> {
    input: &'a [u8],
    pos: usize,
    mode: Mode,
    /// The element whose end tag ends the current raw text or RCDATA.
    end_name: Vec<u8>,
    /// The second of two tokens read in one step, for `next` to return on its next call.
    pending: Option<Token<'a>>,
    /// Reading the content of a comment: `<!--` opens nothing there.
    in_comment_content: bool,
}

impl<'a> Tokenizer<'a> {
    /// Tokenizes a document from its start, in the data state.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0, mode: Mode::Data, end_name: Vec::new(), pending: None, in_comment_content: false }
    }

    /// Reads the content of a comment for the markup written in it (a commented-out badge).
    /// A browser reads none of it; here tags are read, but a `<!--` inside opens no comment
    /// of its own (the comment already ended at its first `-->`).
    pub fn comment_content(input: &'a [u8]) -> Self {
        Self { in_comment_content: true, ..Self::new(input) }
    }

    /// Switches after a start tag, as the tree builder would tell the tokenizer to.
    /// (A trailing `/` does not make these elements empty in HTML: `<script src=x />` still
    /// opens a script.)
    #[inline(always)]
    fn enter_content_of(&mut self, tag: &Tag<'_>) {
        // Most elements are neither raw content nor a name too long for a word (`plaintext`).
        if tag.class & class::RAW_CONTENT != 0 || tag.name.is_long() {
            self.enter_raw_content_of(tag);
        }
    }

    /// [`Tokenizer::enter_content_of`] an element that may have raw content.
    #[inline(never)]
    fn enter_raw_content_of(&mut self, tag: &Tag<'_>) {
        self.mode = match tag.name.key() {
            key::SCRIPT => Mode::ScriptData,
            key::STYLE | key::XMP | key::IFRAME | key::NOEMBED | key::NOFRAMES => Mode::RawText,
            key::TEXTAREA | key::TITLE => Mode::Rcdata,
            key::PLAINTEXT if tag.name.as_bytes() == b"plaintext" => Mode::Plaintext,
            _ => return,
        };
        self.end_name.clear();
        self.end_name.extend_from_slice(&tag.name);
    }

    /// Reads the next token, or the next two (text, then the markup that ended it), and hands
    /// them to `emit` in order; at least one while input is left. With `RUN`, reading goes on
    /// through the data that follows, up to the end of the input or a change of mode.
    fn step<const RUN: bool>(&mut self, emit: &mut impl FnMut(Token<'a>)) {
        match self.mode {
            Mode::Data => self.data_tokens::<RUN>(emit),
            Mode::RawText | Mode::Rcdata | Mode::ScriptData => self.raw_tokens(emit),
            Mode::Plaintext => {
                let span = self.pos..self.input.len();
                self.pos = self.input.len();
                emit(Token::Text { span, kind: TextKind::RawText });
            }
        }
    }

    /// The text up to the next markup, then that markup, handed to `emit` in order. With
    /// `RUN`, then the text and markup after it, as long as markup leaves the tokenizer in the
    /// data state: one call for most of a page, not one per token.
    fn data_tokens<const RUN: bool>(&mut self, emit: &mut impl FnMut(Token<'a>)) {
        let mut start = self.pos;
        let input = self.input;
        let mut i = start;
        while let Some(lt) = swar::find(input, i, b'<') {
            if self.markup_at(start, lt, emit) {
                if !RUN || self.mode != Mode::Data {
                    return;
                }
                start = self.pos;
                i = start;
                continue;
            }
            i = lt + 1;
        }
        self.pos = input.len();
        if start < input.len() {
            emit(Token::Text { span: start..input.len(), kind: TextKind::Data });
        }
    }

    /// Whether the `<` at `lt` starts markup; if it does, the text from `start` up to it and
    /// then the markup token are handed to `emit`, and reading goes on after the markup.
    ///
    /// Each kind of markup hands its token over where its kind is decided, so that what
    /// `emit` does with it is chosen there too, not by a second dispatch on the token's kind
    /// (a jump the processor mispredicts on most tags, tags and text alternating as they do).
    #[inline(always)]
    fn markup_at(&mut self, start: usize, lt: usize, emit: &mut impl FnMut(Token<'a>)) -> bool {
        let input = self.input;
        let Some(&next) = input.get(lt + 1) else { return false };
        let (token, end) = match next {
            b'!' => {
                if input[lt + 2..].starts_with(b"--") {
                    if self.in_comment_content {
                        return false;
                    }
                    let (token, end) = self.comment(lt);
                    return self.hand_over(start, lt, token, end, emit);
                } else if input.len() >= lt + 9 && input[lt + 2..lt + 9].eq_ignore_ascii_case(b"doctype") {
                    let end = swar::find(input, lt, b'>').map_or(input.len(), |p| p + 1);
                    return self.hand_over(start, lt, Token::Doctype { span: lt..end }, end, emit);
                } else {
                    self.bogus_comment(lt, lt + 2)
                }
            }
            b'?' => self.bogus_comment(lt, lt + 1),
            b'/' => match input.get(lt + 2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let (tag, end, closed) = self.tag(lt, lt + 2);
                    if !closed {
                        dropped(lt, end)
                    } else {
                        return self.hand_over(start, lt, Token::EndTag { name: tag.name, span: lt..end }, end, emit);
                    }
                }
                // `</>` is dropped: neither text nor markup.
                Some(b'>') => dropped(lt, lt + 3),
                Some(_) => self.bogus_comment(lt, lt + 2),
                None => return false,
            },
            c if c.is_ascii_alphabetic() => {
                let (tag, end, closed) = self.tag(lt, lt + 1);
                if !closed {
                    dropped(lt, end)
                } else {
                    self.enter_content_of(&tag);
                    return self.hand_over(start, lt, Token::StartTag(tag), end, emit);
                }
            }
            _ => return false,
        };
        self.hand_over(start, lt, token, end, emit)
    }

    /// Hands over the text from `start` to the markup at `lt`, then the markup's token, and
    /// goes on at `end`, after the markup.
    #[inline(always)]
    fn hand_over(
        &mut self,
        start: usize,
        lt: usize,
        token: Token<'a>,
        end: usize,
        emit: &mut impl FnMut(Token<'a>),
    ) -> bool {
        self.pos = end;
        if lt > start {
            emit(Token::Text { span: start..lt, kind: TextKind::Data });
        }
        emit(token);
        true
    }

    fn comment(&self, lt: usize) -> (Token<'a>, usize) {
        let input = self.input;
        let body = (lt + 4).min(input.len());
        // `<!-->` and `<!--->` are complete, empty comments.
        for (abrupt, len) in [(b">".as_slice(), 1), (b"->".as_slice(), 2)] {
            if input[body..].starts_with(abrupt) {
                return (Token::Comment { content: body..body, span: lt..body + len }, body + len);
            }
        }
        let mut i = body;
        while i < input.len() {
            match memchr::memchr(b'-', &input[i..]) {
                Some(off) => {
                    let dash = i + off;
                    if input[dash..].starts_with(b"-->") {
                        return (Token::Comment { content: body..dash, span: lt..dash + 3 }, dash + 3);
                    }
                    if input[dash..].starts_with(b"--!>") {
                        return (Token::Comment { content: body..dash, span: lt..dash + 4 }, dash + 4);
                    }
                    i = dash + 1;
                }
                None => break,
            }
        }
        // An unterminated comment runs to the end of the document; dashes (and `--!`) it ends
        // with were read as the start of its end, not as content.
        let end = input.len();
        let body = body.min(end);
        let tail = [&b"--!"[..], b"--", b"-"].into_iter().find(|t| input[body..].ends_with(t)).map_or(0, <[u8]>::len);
        (Token::Comment { content: body..end - tail, span: lt..end }, end)
    }

    fn bogus_comment(&self, lt: usize, content_start: usize) -> (Token<'a>, usize) {
        let input = self.input;
        match swar::find(input, content_start, b'>') {
            Some(gt) => (Token::Comment { content: content_start..gt, span: lt..gt + 1 }, gt + 1),
            None => (
                Token::Comment { content: content_start.min(input.len())..input.len(), span: lt..input.len() },
                input.len(),
            ),
        }
    }

    /// Reads a tag whose name starts at `name_start`; returns it, the offset after `>`, and
    /// whether a `>` closed it (the end of the input cut it off otherwise: a browser drops it).
    #[inline(always)]
    fn tag(&self, lt: usize, name_start: usize) -> (Tag<'a>, usize, bool) {
        let input = self.input;
        let attrs_start = name_end(input, name_start, false);
        let name = TagName::read(input, name_start..attrs_start);
        let class = name.class();
        let mut kept = [ABSENT; Kept::ALL.len()];
        let mut i = attrs_start;
        loop {
            match read_attribute(input, i) {
                AttributeStep::Attribute { name, value, next } => {
                    if let Some(slot) = Kept::named_at(input, name).map(|attr| attr as usize) {
                        if kept[slot] == ABSENT {
                            kept[slot] = Kept::slot(&value);
                        }
                    }
                    i = next;
                }
                AttributeStep::Close { gt, self_closing } => {
                    let tag = Tag { name, class, self_closing, span: lt..gt + 1, input, attrs_start, kept };
                    return (tag, gt + 1, true);
                }
                AttributeStep::Cut => {
                    let span = lt..input.len();
                    let tag = Tag { name, class, self_closing: false, span, input, attrs_start, kept };
                    return (tag, input.len(), false);
                }
            }
        }
    }

    /// Raw text or RCDATA up to the matching end tag (`</name` followed by space, `/` or `>`),
    /// then that end tag, handed to `emit` in order.
    fn raw_tokens(&mut self, emit: &mut impl FnMut(Token<'a>)) {
        let start = self.pos;
        let input = self.input;
        let kind = if self.mode == Mode::Rcdata { TextKind::Rcdata } else { TextKind::RawText };
        let end_tag = if self.mode == Mode::ScriptData { self.script_end(start) } else { self.find_end_tag(start) };
        let Some(lt) = end_tag else {
            self.pos = input.len();
            if start < input.len() {
                emit(Token::Text { span: start..input.len(), kind });
            }
            return;
        };
        self.mode = Mode::Data;
        let (tag, end, _) = self.tag(lt, lt + 2);
        self.pos = end;
        if lt > start {
            emit(Token::Text { span: start..lt, kind });
        }
        emit(Token::EndTag { name: tag.name, span: lt..end });
    }

    /// The next appropriate end tag at or after `from`.
    fn find_end_tag(&self, from: usize) -> Option<usize> {
        let input = self.input;
        let mut i = from;
        while let Some(off) = memchr::memchr(b'<', &input[i..]) {
            let lt = i + off;
            if self.is_end_tag_at(lt) {
                return Some(lt);
            }
            i = lt + 1;
        }
        None
    }

    fn is_end_tag_at(&self, lt: usize) -> bool {
        let input = self.input;
        let name = &self.end_name;
        let after = lt + 2 + name.len();
        input.get(lt + 1) == Some(&b'/')
            && input.len() >= after
            && input[lt + 2..after].eq_ignore_ascii_case(name)
            && input.get(after).is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
    }

    /// The `</script>` that ends script data, honouring the escaped and double-escaped states.
    fn script_end(&self, from: usize) -> Option<usize> {
        let input = self.input;
        let mut i = from;
        let mut escaped = false;
        let mut double = false;
        loop {
            // Dashes matter only inside an escape (where `-->` ends it); scripts are full of them.
            let next = if escaped || double {
                memchr::memchr2(b'<', b'-', &input[i..])
            } else {
                memchr::memchr(b'<', &input[i..])
            };
            let Some(off) = next else { break };
            let p = i + off;
            if input[p] == b'-' {
                if (escaped || double) && input[p..].starts_with(b"-->") {
                    escaped = false;
                    double = false;
                    i = p + 3;
                } else {
                    i = p + 1;
                }
                continue;
            }
            if !escaped && !double && input[p..].starts_with(b"<!--") {
                escaped = true;
                // The dashes of `<!--` already count toward its `-->` (`<!-->` opens and closes).
                i = p + 2;
                continue;
            }
            if double {
                if input[p..].len() >= 9
                    && input[p + 1] == b'/'
                    && input[p + 2..p + 8].eq_ignore_ascii_case(b"script")
                    && is_tag_end(input.get(p + 8))
                {
                    double = false;
                    i = p + 8;
                    continue;
                }
            } else if self.is_end_tag_at(p) {
                return Some(p);
            } else if escaped
                && input[p + 1..].len() >= 7
                && input[p + 1..p + 7].eq_ignore_ascii_case(b"script")
                && is_tag_end(input.get(p + 7))
            {
                double = true;
                i = p + 7;
                continue;
            }
            i = p + 1;
        }
        None
    }
}

/// Markup a browser drops without a trace: an invisible, empty-of-meaning span.
fn dropped<'a>(lt: usize, end: usize) -> (Token<'a>, usize) {
    (Token::Text { span: lt..end, kind: TextKind::RawText }, end)
}

/// Where a tag or attribute name from `i` ends: at white space, `/`, `>`, `=` (for an
/// attribute's name) or the end of the input. Names are short, and read eight bytes at a time.
fn name_end(input: &[u8], mut i: usize, attribute: bool) -> usize {
    let ends = |c: u8| is_tag_end(Some(&c)) || (attribute && c == b'=');
    while let Some(word) = swar::word_at(input, i) {
        // Bytes below `!` are white space or (rarely) control characters, which names hold.
        let mut flags = swar::below(word, b'!') | swar::equal(word, b'/') | swar::equal(word, b'>');
        if attribute {
            flags |= swar::equal(word, b'=');
        }
        match swar::first(flags) {
            None => i += 8,
            Some(offset) if ends(input[i + offset]) => return i + offset,
            Some(offset) => i += offset + 1,
        }
    }
    while i < input.len() && !ends(input[i]) {
        i += 1;
    }
    i
}

fn is_tag_end(c: Option<&u8>) -> bool {
    c.is_some_and(|&c| is_space(c) || c == b'/' || c == b'>')
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some(token) = self.pending.take() {
            return Some(token);
        }
        let (mut first, mut second) = (None, None);
        if self.pos < self.input.len() {
            self.step::<false>(&mut |token| if first.is_none() { first = Some(token) } else { second = Some(token) });
        }
        self.pending = second;
        first
    }

    /// Hands each token to `f` as it is read: no token waits in `pending` (which the page check,
    /// on every tag of every page, would pay a copy of a token for).
    fn for_each<F: FnMut(Token<'a>)>(mut self, mut f: F) {
        if let Some(token) = self.pending.take() {
            f(token);
        }
        while self.pos < self.input.len() {
            self.step::<true>(&mut f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(html: &str) -> Vec<String> {
        Tokenizer::new(html.as_bytes())
            .map(|t| match t {
                Token::StartTag(tag) => format!("<{}>", String::from_utf8_lossy(&tag.name)),
                Token::EndTag { name, .. } => format!("</{}>", String::from_utf8_lossy(&name)),
                Token::Comment { content, .. } => format!("#{}", &html[content]),
                Token::Text { span, kind } => format!("{:?}:{}", kind, &html[span]),
                Token::Doctype { .. } => "doctype".into(),
            })
            .collect()
    }

    /// Handing tokens over one at a time (`next`) and in runs (`for_each`) take different
    /// paths through the data state: they must read the same tokens.
    #[test]
    fn one_at_a_time_and_in_runs_read_the_same_tokens() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-pages");
        let mut pages: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|entry| Some(entry.ok()?.path()).filter(|path| path.extension().is_some_and(|e| e == "html")))
            .filter_map(|path| std::fs::read(path).ok())
            .collect();
        assert!(pages.len() >= 11, "the real pages");
        pages.extend(
            [
                "text<p>a<script>x</script>b<!--c-->d<title>t</title><p>e</p>tail",
                "<textarea><p></textarea><b>x</b><plaintext><p>",
                "<a href=x>y</a><",
                "",
                "no markup",
                "<!DOCTYPE html><style>p{}</style></body></html>\n",
            ]
            .map(|page| page.as_bytes().to_vec()),
        );
        for page in &pages {
            let one_at_a_time: Vec<Token<'_>> = Tokenizer::new(page).collect();
            let mut in_runs = Vec::new();
            Tokenizer::new(page).for_each(|token| in_runs.push(token));
            assert!(one_at_a_time.len() > 1 || !page.contains(&b'<'));
            assert_eq!(one_at_a_time, in_runs, "{}", String::from_utf8_lossy(&page[..page.len().min(80)]));
        }
    }

    #[test]
    fn tags_comments_and_text() {
        assert_eq!(kinds("<!DOCTYPE html><P Class=x>a<!-- b --></P>"), ["doctype", "<p>", "Data:a", "# b ", "</p>"]);
        assert_eq!(kinds("a < b"), ["Data:a < b"]);
        assert_eq!(kinds("<!-->x"), ["#", "Data:x"]);
        assert_eq!(kinds("<?php x ?>y"), ["#?php x ?", "Data:y"]);
        assert_eq!(kinds("<!-- never closed </body>"), ["# never closed </body>"]);
    }

    #[test]
    fn raw_text_and_rcdata_hide_markup() {
        assert_eq!(
            kinds("<script>document.write('</body>')</script></body>"),
            ["<script>", "RawText:document.write('</body>')", "</script>", "</body>"]
        );
        assert_eq!(kinds("<TEXTAREA><a href=x></textarea>"), ["<textarea>", "Rcdata:<a href=x>", "</textarea>"]);
        assert_eq!(kinds("<style>p{}</style >x"), ["<style>", "RawText:p{}", "</style>", "Data:x"]);
        assert_eq!(kinds("<title>a</titlex></title>"), ["<title>", "Rcdata:a</titlex>", "</title>"]);
    }

    #[test]
    fn script_escape_states() {
        // Inside `<!-- <script>`, the first `</script>` does not end the outer script.
        let html = "<script><!-- <script></script> --></script>x";
        assert_eq!(kinds(html), ["<script>", "RawText:<!-- <script></script> -->", "</script>", "Data:x"]);
        // An escaped section alone still ends at `</script>`.
        assert_eq!(kinds("<script><!-- a </script>b"), ["<script>", "RawText:<!-- a ", "</script>", "Data:b"]);
    }

    #[test]
    fn attributes_quoted_unquoted_duplicate() {
        let html = "<a HREF='x' title=\"y z\" data=w href=ignored hidden>";
        let Some(Token::StartTag(tag)) = Tokenizer::new(html.as_bytes()).next() else { panic!() };
        assert_eq!(tag.attr(b"href"), Some(&b"x"[..]));
        assert_eq!(tag.attr(b"title"), Some(&b"y z"[..]));
        assert_eq!(tag.attr(b"data"), Some(&b"w"[..]));
        assert!(tag.attr(b"hidden").is_some());
        assert_eq!(tag.span, 0..html.len());
    }

    #[test]
    fn kept_attributes_read_as_the_others_are() {
        let html = "<div HIDDEN Style='a' data-x=1 height=2 =odd>";
        let Some(Token::StartTag(tag)) = Tokenizer::new(html.as_bytes()).next() else { panic!() };
        assert_eq!(tag.kept(Kept::Hidden), Some(&b""[..]));
        assert_eq!(tag.kept(Kept::Style), Some(&b"a"[..]));
        assert_eq!(tag.kept(Kept::Href), None);
        assert_eq!(tag.attr(b"data-x"), Some(&b"1"[..]));
        assert_eq!(tag.attr(b"=odd"), Some(&b""[..]));
        for name in [&b"src"[..], b"href", b"content", b"charset"] {
            assert_eq!(tag.attr(name), None);
        }
        let attrs: Vec<_> = tag.attrs().map(|(n, _)| String::from_utf8_lossy(n).into_owned()).collect();
        assert_eq!(attrs, ["HIDDEN", "Style", "data-x", "height", "=odd"]);
        // The first of a name, in any case, as when the attributes are read.
        let html = "<a STYLE=x Href='y' style=z hidden=1 HIDDEN=2 src>";
        let Some(Token::StartTag(tag)) = Tokenizer::new(html.as_bytes()).next() else { panic!() };
        for kept in Kept::ALL {
            let read = tag.attrs().find(|(n, _)| n.eq_ignore_ascii_case(kept.name())).map(|(_, v)| v);
            assert_eq!(tag.kept(kept), read, "{kept:?}");
            assert_eq!(tag.attr(kept.name()), read, "{kept:?}");
        }
        assert_eq!(Kept::ALL.map(|kept| tag.kept(kept).map(<[u8]>::len)), [Some(1), Some(1), Some(1), Some(0)]);
    }

    #[test]
    fn a_value_beyond_32_bits_is_read_from_the_bytes() {
        assert_eq!(Kept::slot(&(3..9)), (3, 9));
        assert_eq!(Kept::slot(&(3..u32::MAX as usize)), FAR);
        assert_eq!(Kept::slot(&(usize::MAX - 1..usize::MAX)), FAR);
        // A tag whose slots all say "far" answers as one whose values are kept.
        let html = b"<a style=s HREF='h' x=1 hidden>";
        let Some(Token::StartTag(mut tag)) = Tokenizer::new(html).next() else { panic!() };
        let kept = Kept::ALL.map(|attr| tag.kept(attr));
        assert_eq!(kept, [Some(&b""[..]), Some(b"s"), Some(b"h"), None]);
        tag.kept = [FAR; Kept::ALL.len()];
        assert_eq!(Kept::ALL.map(|attr| tag.kept(attr)), kept);
        // Small enough to be handed on in a few moves (a copy call above 128 bytes).
        assert!(std::mem::size_of::<Token<'_>>() <= 128, "{}", std::mem::size_of::<Token<'_>>());
    }

    #[test]
    fn names_end_where_a_byte_loop_ends_them() {
        // Control bytes belong to names; `=` ends an attribute's name, not a tag's; long names
        // span several eight-byte steps; near the input's end there are no eight bytes left.
        let html = b"<a\x01b c\x02d=1 e=f data-a-rather-long-name='v' SrC=s x\x0bhref=2 Hidden\tsTyle = y>";
        let Some(Token::StartTag(tag)) = Tokenizer::new(html).next() else { panic!() };
        assert_eq!(tag.name.as_ref(), b"a\x01b");
        let attrs: Vec<_> = tag.attrs().map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
        let expected: [(&[u8], &[u8]); 7] = [
            (b"c\x02d", b"1"),
            (b"e", b"f"),
            (b"data-a-rather-long-name", b"v"),
            (b"SrC", b"s"),
            (b"x\x0bhref", b"2"),
            (b"Hidden", b""),
            (b"sTyle", b"y"),
        ];
        assert_eq!(attrs, expected.map(|(n, v)| (n.to_vec(), v.to_vec())));
        assert_eq!(Kept::ALL.map(|kept| tag.kept(kept)), [Some(&b""[..]), Some(b"y"), None, Some(b"s")]);
        assert_eq!(kinds("<a=b>"), ["<a=b>"]);
        for html in ["<a HREF>", "<a HrEf=1>", "<AbBr>", "<abbreviation-long-name x>"] {
            let Some(Token::StartTag(tag)) = Tokenizer::new(html.as_bytes()).next() else { panic!("{html}") };
            assert_eq!(tag.span, 0..html.len(), "{html}");
            assert_eq!(tag.kept(Kept::Href).is_some(), html.contains("HREF") || html.contains("HrEf"), "{html}");
            assert_eq!(tag.name.as_ref(), html[1..].split([' ', '>']).next().unwrap().to_ascii_lowercase().as_bytes());
        }
    }

    #[test]
    fn eof_in_tags_comments_and_script_escapes_as_in_a_browser() {
        // A tag cut off by the end of the input is dropped, and so is `</>`.
        assert_eq!(kinds("<p>x<a href=\"y>"), ["<p>", "Data:x", "RawText:<a href=\"y>"]);
        assert_eq!(kinds("a</>b"), ["Data:a", "RawText:</>", "Data:b"]);
        // Trailing dashes of an unterminated comment are the start of its end, not content.
        assert_eq!(kinds("<!-- x --"), ["# x "]);
        // `<![CDATA[` outside SVG and MathML is a bogus comment up to the first `>`.
        assert_eq!(kinds("<![CDATA[<b>]]>"), ["#[CDATA[<b", "Data:]]>"]);
        // In a script, `<!-->` opens and closes an escape at once.
        assert_eq!(
            kinds("<script><!--><script></script>x"),
            ["<script>", "RawText:<!--><script>", "</script>", "Data:x"]
        );
    }

    #[test]
    fn a_slash_does_not_close_a_script() {
        assert_eq!(kinds("<script src=a />x</script>y"), ["<script>", "RawText:x", "</script>", "Data:y"]);
    }

    #[test]
    fn offsets_are_byte_offsets() {
        let html = "中文<b>字</b>";
        let tokens: Vec<_> = Tokenizer::new(html.as_bytes()).collect();
        assert_eq!(
            tokens[1],
            Token::StartTag(Tag {
                name: TagName::read(html.as_bytes(), 7..8),
                class: 0,
                self_closing: false,
                span: 6..9,
                input: html.as_bytes(),
                attrs_start: 8,
                kept: [ABSENT; Kept::ALL.len()]
            })
        );
    }
}
