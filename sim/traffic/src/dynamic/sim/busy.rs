//! The junctions and links with something to do this second, as a bit per node or link: the
//! model touches them every second, so insertion and removal cost a bit flip (not a tree
//! node), and they come out in rising order as a tree would give them. Saved as the list of
//! members, as the ordered set it replaces was.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct BusySet {
    words: Vec<u64>,
}

impl BusySet {
    pub(super) fn insert(&mut self, i: u32) {
        let (word, bit) = (i as usize / 64, i % 64);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << bit;
    }

    pub(super) fn remove(&mut self, i: u32) {
        if let Some(word) = self.words.get_mut(i as usize / 64) {
            *word &= !(1 << (i % 64));
        }
    }

    /// The members in rising order, into `out` (cleared first): a copy the caller may walk
    /// while the set changes.
    pub(super) fn members_into(&self, out: &mut Vec<u32>) {
        out.clear();
        for (w, &word) in self.words.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                out.push(w as u32 * 64 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
    }

    fn members(&self) -> Vec<u32> {
        let mut out = Vec::new();
        self.members_into(&mut out);
        out
    }
}

impl Serialize for BusySet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.members().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BusySet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BusySet, D::Error> {
        let mut set = BusySet::default();
        for i in Vec::<u32>::deserialize(deserializer)? {
            set.insert(i);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// The same members in the same order as an ordered set after any inserts and
        /// removals, and saved as the same list.
        #[test]
        fn behaves_as_an_ordered_set(ops in prop::collection::vec((any::<bool>(), 0u32..300), 0..200)) {
            let (mut busy, mut tree) = (BusySet::default(), BTreeSet::new());
            for (add, i) in ops {
                if add {
                    busy.insert(i);
                    tree.insert(i);
                } else {
                    busy.remove(i);
                    tree.remove(&i);
                }
            }
            let members: Vec<u32> = tree.iter().copied().collect();
            prop_assert_eq!(busy.members(), members.clone());
            let saved = serde_json::to_string(&busy).unwrap_or_default();
            prop_assert_eq!(&saved, &serde_json::to_string(&tree).unwrap_or_default());
            let back: BusySet = serde_json::from_str(&saved).unwrap_or_default();
            prop_assert_eq!(back.members(), members);
        }
    }
}
