//! What the index knows of each tool besides its words and vector: its name, fingerprint and
//! the facts a caller's tool set looks at (category, tags, server), with strings interned so
//! 100,000 tools cost a few megabytes. From these, [`Held::allowed`] works out which tools a
//! tool set permits.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::domain::{ToolFacts, ToolScope};

use super::IndexDoc;

/// One tool.
struct Entry {
    name: Box<str>,
    print: u64,
    category: u32,
    tags: Box<[u32]>,
    server: Option<u32>,
}

/// Every tool the index holds, by id.
#[derive(Default)]
pub(super) struct Held {
    by_id: HashMap<i64, Entry>,
    labels: Vec<Box<str>>,
    label_ids: HashMap<Box<str>, u32>,
}

impl Held {
    fn label(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.label_ids.get(s) {
            return id;
        }
        let id = self.labels.len() as u32;
        self.labels.push(s.into());
        self.label_ids.insert(s.into(), id);
        id
    }

    pub(super) fn reserve(&mut self, n: usize) {
        self.by_id.reserve(n);
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(super) fn contains(&self, id: i64) -> bool {
        self.by_id.contains_key(&id)
    }

    pub(super) fn name(&self, id: i64) -> Option<&str> {
        self.by_id.get(&id).map(|e| &*e.name)
    }

    /// Adds or replaces a tool; the fingerprint it replaced, if any.
    pub(super) fn insert(&mut self, doc: &IndexDoc, print: u64) -> Option<u64> {
        let category = self.label(&doc.category);
        let mut tags: Vec<u32> = doc.tags.iter().map(|t| self.label(t)).collect();
        tags.sort_unstable();
        tags.dedup();
        let server = doc.server.as_deref().map(|s| self.label(s));
        let entry = Entry {
            name: doc.name.as_str().into(),
            print,
            category,
            tags: tags.into(),
            server,
        };
        self.by_id.insert(doc.id, entry).map(|old| old.print)
    }

    /// Removes a tool; its fingerprint, if it was held.
    pub(super) fn remove(&mut self, id: i64) -> Option<u64> {
        self.by_id.remove(&id).map(|e| e.print)
    }

    /// The ids of the tools `scope` permits.
    pub(super) fn allowed(&self, scope: &ToolScope) -> AllowedIds {
        let mut ids = AllowedIds::default();
        for (&id, e) in &self.by_id {
            let has_tag = |tag: &str| {
                self.label_ids
                    .get(tag)
                    .is_some_and(|t| e.tags.binary_search(t).is_ok())
            };
            let facts = ToolFacts {
                name: &e.name,
                category: &self.labels[e.category as usize],
                has_tag: &has_tag,
                server: e.server.map(|s| &*self.labels[s as usize]),
            };
            if scope.permits(&facts) {
                ids.0.insert(id);
            }
        }
        ids
    }
}

/// Tool ids are small sequential integers: one multiply spreads them well enough.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The tools a search may return, for a caller whose tool set is not everything.
#[derive(Debug, Default, Clone)]
pub struct AllowedIds(HashSet<i64, BuildHasherDefault<IdHasher>>);

impl AllowedIds {
    pub fn contains(&self, id: i64) -> bool {
        self.0.contains(&id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
