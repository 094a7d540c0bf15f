//! Interned texts. A year holds millions of observations but few distinct codes, file
//! names, sheets and cell references: each text is stored once for the life of the
//! process, and an observation holds a 4-byte number for it. Texts are never freed;
//! a run's distinct texts are bounded by the size of its files.
//!
//! Equal texts are the same number, so equality compares numbers. Hashing and ordering
//! use the text itself, so maps and sorted lists come out the same on every run.

use rustc_hash::FxHashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock};

/// A text stored once (see the module's comment). Dereferences to `&str`.
///
/// Its number, not a reference: a year's 6.45 million observations hold seven texts each,
/// and 4 bytes instead of 8 is 150 MB less.
#[derive(Clone, Copy)]
pub struct Sym(NonZeroU32);

/// The stored text behind a slot (a `&str` would not fit one atomic word).
struct Stored(Box<str>);

/// Shards, so that parallel readers rarely wait for one another.
pub(crate) const SHARDS: usize = 16;

/// The shard of a text, for tables of texts kept in [`SHARDS`] locked parts (this one,
/// and the vocabulary's memory of labels).
pub(crate) fn shard_of(text: &str) -> usize {
    (rustc_hash::FxBuildHasher.hash_one(text) >> 60) as usize % SHARDS
}

static TABLE: LazyLock<[Mutex<FxHashMap<&'static str, Sym>>; SHARDS]> = LazyLock::new(|| std::array::from_fn(|_| Mutex::new(FxHashMap::default())));

/// Texts by number, in chunks that never move once made, so that a number is read
/// back without a lock. Number 0 is never given (an `Option<Sym>` is 4 bytes too).
const CHUNK_BITS: u32 = 16;
const CHUNK: usize = 1 << CHUNK_BITS;
type Chunk = Box<[OnceLock<&'static Stored>]>;
static TEXTS: [OnceLock<Chunk>; 1 << (32 - CHUNK_BITS)] = [const { OnceLock::new() }; 1 << (32 - CHUNK_BITS)];
static NEXT: AtomicU32 = AtomicU32::new(1);

/// The slot of text number `n`, its chunk made when first needed.
fn slot(n: u32) -> &'static OnceLock<&'static Stored> {
    let chunk = TEXTS[(n >> CHUNK_BITS) as usize].get_or_init(|| (0..CHUNK).map(|_| OnceLock::new()).collect());
    &chunk[n as usize & (CHUNK - 1)]
}

impl Sym {
    /// The stored text equal to `s`, stored now if it is new.
    pub fn new(s: &str) -> Sym {
        let shard = shard_of(s);
        // Nothing panics while the lock is held, so a poisoned lock is still consistent.
        let mut map = TABLE[shard].lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&sym) = map.get(s) {
            return sym;
        }
        let stored: &'static Stored = Box::leak(Box::new(Stored(s.into())));
        // Four thousand million distinct texts would be 4 × 10⁹ leaked strings: memory
        // runs out long before the numbers do.
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let n = NonZeroU32::new(n).expect("more distinct texts than 32-bit numbers");
        // Set before the number is handed out: whoever holds it finds its text.
        let _ = slot(n.get()).set(stored);
        let sym = Sym(n);
        map.insert(&stored.0, sym);
        sym
    }

    pub fn as_str(self) -> &'static str {
        let n = self.0.get();
        // Every number handed out has its chunk and its text set (in `new`, before).
        match TEXTS[(n >> CHUNK_BITS) as usize].get().and_then(|chunk| chunk[n as usize & (CHUNK - 1)].get()) {
            Some(stored) => &stored.0,
            None => unreachable!("text number {n} was never stored"),
        }
    }

    /// A number naming the text for the life of the process: equal for equal texts,
    /// cheap to hash, small (from 1, one per distinct text), so that a list can be
    /// indexed by it. Differs between runs, so never order output by it.
    pub fn id(self) -> usize {
        self.0.get() as usize
    }
}

/// Interns a run of texts in which the same text often comes again right away (a file's
/// name or a district code on every row of a table read back): those skip the table.
#[derive(Default)]
pub struct Recent(Option<Sym>);

impl Recent {
    pub fn get(&mut self, s: &str) -> Sym {
        match self.0 {
            Some(sym) if sym.as_str() == s => sym,
            _ => *self.0.insert(Sym::new(s)),
        }
    }
}

/// Interns texts of which a handful take turns (the target groups, each district's rows
/// going through them in order, where [`Recent`] would miss nearly every time): those
/// seen are compared before the table is asked.
#[derive(Default)]
pub struct Few(Vec<Sym>);

impl Few {
    /// Texts kept for comparing; more are interned as they come.
    const KEPT: usize = 32;

    pub fn get(&mut self, s: &str) -> Sym {
        if let Some(sym) = self.0.iter().find(|sym| sym.as_str() == s) {
            return *sym;
        }
        let sym = Sym::new(s);
        if self.0.len() < Self::KEPT {
            self.0.push(sym);
        }
        sym
    }
}

impl std::ops::Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Hashes as its text does, so a map keyed by `Sym` can be looked up with a `&str`.
impl std::borrow::Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Sym {
    fn eq(&self, other: &Sym) -> bool {
        self.0 == other.0
    }
}

impl Eq for Sym {}

impl Hash for Sym {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Ord for Sym {
    fn cmp(&self, other: &Sym) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Sym) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Sym {
        Sym::new(s)
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Sym {
        Sym::new(s)
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Sym {
        Sym::new(&s)
    }
}

impl std::fmt::Debug for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_one_reference_and_order_by_text() {
        let a = Sym::new(&String::from("15.01"));
        let b = Sym::new("15.01");
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, b);
        assert_eq!(a.id(), b.id());
        assert_ne!(a, Sym::new("15.02"));
        assert_eq!(std::mem::size_of::<Option<Sym>>(), 4);
        let mut v = [Sym::new("b"), Sym::new("a"), Sym::new("c"), Sym::new("a")];
        v.sort();
        assert_eq!(v.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["a", "a", "b", "c"]);
        // Looked up by text in a map keyed by Sym.
        let m: std::collections::HashMap<Sym, u32> = [(a, 1)].into_iter().collect();
        assert_eq!(m.get("15.01"), Some(&1));
        let mut recent = Recent::default();
        assert_eq!(recent.get("x"), recent.get("x"));
        assert_eq!(recent.get("y"), Sym::new("y"));
        // Texts taking turns, more of them than are kept: each is the table's.
        let mut few = Few::default();
        for round in 0..3 {
            for n in 0..40 {
                let text = format!("group {n}");
                assert_eq!(few.get(&text), Sym::new(&text), "round {round}");
            }
        }
    }
}
