//! The open elements of a page as the check walks its tags: the stack a browser's tree builder
//! keeps, reduced to what the check asks of it (whether an element that hides its content is
//! open, whether the innermost is a script) and bounded for a hostile page: at most
//! [`MAX_DEPTH`] deep, and an end tag with no element of its name open (a stray `</div>`, which
//! a page may repeat millions of times) answered by a count, not a walk of the stack.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::key_hash::KeyHasher;
use super::names::TagName;

/// Open elements tracked at most (Blink's HTML parser nests no deeper): a page of endless
/// nesting costs no more memory than that.
pub const MAX_DEPTH: usize = 512;

/// The open elements, innermost last.
pub struct OpenElements<'a> {
    /// Each element's name, and whether it (by its own attributes) hides its content.
    stack: Vec<(TagName<'a>, bool)>,
    /// How many of them have each name.
    counts: CountsByName,
    /// How many of them hide their content.
    hiding: usize,
}

impl<'a> OpenElements<'a> {
    /// None open.
    pub fn new() -> Self {
        Self { stack: Vec::new(), counts: CountsByName::new(), hiding: 0 }
    }

    /// Opens an element named `name`; `hides` when its own attributes hide its content. Past
    /// [`MAX_DEPTH`] it is not tracked.
    #[inline]
    pub fn open(&mut self, name: TagName<'a>, hides: bool) {
        if self.stack.len() < MAX_DEPTH {
            self.counts.add(name.key());
            self.stack.push((name, hides));
            self.hiding += usize::from(hides);
        }
    }

    /// Closes the innermost open element named `name`, and those open inside it; nothing when
    /// none of that name is open.
    #[inline]
    pub fn close(&mut self, name: &TagName<'_>) {
        if !self.counts.any(name.key()) {
            return;
        }
        let Some(at) = self.stack.iter().rposition(|(open, _)| open == name) else { return };
        while self.stack.len() > at {
            let Some((closed, hides)) = self.stack.pop() else { break };
            self.hiding -= usize::from(hides);
            self.counts.remove(closed.key());
        }
    }

    /// Whether an open element hides its content (and so whatever is inside it).
    pub fn hide_content(&self) -> bool {
        self.hiding > 0
    }

    /// The key ([`TagName::key`]) of the innermost open element's name.
    pub fn innermost_key(&self) -> Option<u64> {
        self.stack.last().map(|(name, _)| name.key())
    }
}

/// Slots of [`CountsByName`]'s table: more than the names open at once on real pages.
const SLOT_BITS: u32 = 6;

/// How many open elements have each name key. A name is counted in the table's slot for its
/// key (a multiply, a load and a compare), unless another name open at the time holds that
/// slot; then in a map (a page can make its names share slots, but not make the count wrong).
/// A key's count is its slot's count plus its count in the map. Long names whose keys (hashes)
/// are equal share a count; the walk of the stack tells them apart.
struct CountsByName {
    slots: [(u64, u32); 1 << SLOT_BITS],
    overflow: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
}

impl CountsByName {
    fn new() -> Self {
        Self { slots: [(0, 0); 1 << SLOT_BITS], overflow: HashMap::default() }
    }

    /// The slot of `key`: the top bits of a multiply, which depend on every byte of the name.
    #[inline]
    fn slot(key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SLOT_BITS)) as usize
    }

    #[inline]
    fn add(&mut self, key: u64) {
        let slot = &mut self.slots[Self::slot(key)];
        if slot.0 == key || slot.1 == 0 {
            *slot = (key, slot.1 + 1);
        } else {
            *self.overflow.entry(key).or_default() += 1;
        }
    }

    /// Takes one away from the count of `key`, which is above zero.
    #[inline]
    fn remove(&mut self, key: u64) {
        let slot = &mut self.slots[Self::slot(key)];
        if slot.0 == key && slot.1 > 0 {
            slot.1 -= 1;
        } else if let Some(count) = self.overflow.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                self.overflow.remove(&key);
            }
        }
    }

    /// Whether the count of `key` is above zero.
    #[inline]
    fn any(&self, key: u64) -> bool {
        let slot = self.slots[Self::slot(key)];
        (slot.0 == key && slot.1 > 0) || (!self.overflow.is_empty() && self.overflow.contains_key(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> TagName<'_> {
        TagName::read(text.as_bytes(), 0..text.len())
    }

    /// Asserts that every count, and the number of hiding elements, agree with the stack.
    fn assert_counts_agree(open: &OpenElements<'_>, names: &[String]) {
        for text in names {
            let on_stack = open.stack.iter().filter(|(open, _)| open.as_bytes() == text.as_bytes()).count();
            assert_eq!(open.counts.any(name(text).key()), on_stack > 0, "{text}");
        }
        assert_eq!(open.hiding, open.stack.iter().filter(|(_, hides)| *hides).count());
    }

    #[test]
    fn counts_agree_with_the_stack_when_names_share_slots() {
        // More names open at once than the table has slots, so that many are counted in the
        // map; then closed from the inside out in steps, some names open twice.
        let names: Vec<String> = (0..300).map(|i| format!("x{i}")).collect();
        let mut open = OpenElements::new();
        for (i, text) in names.iter().chain(&names[..50]).enumerate() {
            open.open(name(text), i % 7 == 0);
        }
        assert!(!open.counts.overflow.is_empty(), "no name was counted in the map");
        assert_counts_agree(&open, &names);
        for i in (0..300).step_by(37).rev() {
            open.close(&name(&names[i]));
            assert_counts_agree(&open, &names);
        }
        open.close(&name("x299"));
        assert!(open.stack.is_empty() && open.counts.overflow.is_empty());
        assert!(open.counts.slots.iter().all(|&(_, count)| count == 0));
        assert!(!open.hide_content());
    }

    #[test]
    fn closing_closes_the_innermost_of_the_name_and_what_it_holds() {
        let mut open = OpenElements::new();
        for (text, hides) in [("div", false), ("ul", true), ("li", false), ("div", false), ("span", false)] {
            open.open(name(text), hides);
        }
        open.close(&name("p"));
        assert_eq!(open.stack.len(), 5, "a stray end tag closes nothing");
        open.close(&name("DIV"));
        assert_eq!(open.stack.len(), 3);
        assert!(open.hide_content());
        open.close(&name("ul"));
        assert_eq!(open.stack.len(), 1);
        assert!(!open.hide_content());
        assert_eq!(open.innermost_key(), Some(name("div").key()));
    }

    /// `acp` and `div` share a slot (the benchmark's page of `</acp>` under 512 `<div>`s
    /// relies on it): the slot's key tells them apart, so an `</acp>` finds nothing open.
    #[test]
    fn a_name_sharing_an_open_names_slot_is_not_open() {
        assert_eq!(CountsByName::slot(name("acp").key()), CountsByName::slot(name("div").key()));
        let mut open = OpenElements::new();
        for _ in 0..MAX_DEPTH {
            open.open(name("div"), false);
        }
        assert!(!open.counts.any(name("acp").key()) && open.counts.overflow.is_empty());
        open.close(&name("acp"));
        assert_eq!(open.stack.len(), MAX_DEPTH);
    }

    #[test]
    fn nesting_is_tracked_to_the_depth_a_browser_builds() {
        let mut open = OpenElements::new();
        for _ in 0..MAX_DEPTH + 100 {
            open.open(name("div"), false);
        }
        assert_eq!(open.stack.len(), MAX_DEPTH);
        open.close(&name("div"));
        assert_eq!(open.stack.len(), MAX_DEPTH - 1);
    }
}
