//! A bounded history: the last `capacity` samples, oldest first. Every indicator and feed
//! keeps one, so a day-long run (or a live wall that never stops) uses bounded memory.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ring<T> {
    samples: VecDeque<T>,
    capacity: usize,
}

impl<T> Ring<T> {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            samples: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
        }
    }

    /// Appends a sample, forgetting the oldest when full.
    pub fn push(&mut self, sample: T) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// Inserts a sample where `comes_before` says it belongs (the first position whose sample
    /// it comes before), for samples that arrive out of order; the samples are in order, so
    /// `comes_before` is false up to that position and true from it (found by bisection: a
    /// sensor's day of in-order readings would otherwise walk its whole history each time).
    /// Returns false, keeping nothing, when the ring is full and the sample would be its oldest.
    pub fn insert_by(&mut self, sample: T, mut comes_before: impl FnMut(&T) -> bool) -> bool {
        // in-order samples, nearly all of a day's, go at the end without a search
        let at = match self.samples.back() {
            Some(last) if comes_before(last) => self.samples.partition_point(|s| !comes_before(s)),
            _ => self.samples.len(),
        };
        if self.samples.len() == self.capacity {
            if at == 0 {
                return false;
            }
            self.samples.pop_front();
            self.samples.insert(at - 1, sample);
        } else {
            self.samples.insert(at, sample);
        }
        true
    }

    /// Binary search over samples kept in order (see [`VecDeque::binary_search_by`]); a
    /// key past the newest sample (a reading arriving in order, nearly all of a day's) is
    /// answered from the newest alone.
    pub fn binary_search_by(
        &self,
        mut f: impl FnMut(&T) -> std::cmp::Ordering,
    ) -> Result<usize, usize> {
        match self.samples.back().map(&mut f) {
            Some(std::cmp::Ordering::Less) => Err(self.samples.len()),
            _ => self.samples.binary_search_by(f),
        }
    }

    pub fn clear(&mut self) {
        self.samples.clear();
    }

    pub fn latest(&self) -> Option<&T> {
        self.samples.back()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.samples.iter()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_samples_in_order() {
        let mut ring = Ring::new(3);
        for t in 0..5 {
            ring.push(t);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(ring.latest(), Some(&4));
    }

    #[test]
    fn late_samples_go_where_they_belong_or_are_dropped_when_too_old() {
        let mut ring = Ring::new(3);
        for t in [10, 30] {
            ring.push(t);
        }
        assert!(ring.insert_by(20, |s| 20 < *s));
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![10, 20, 30]);
        assert!(ring.insert_by(25, |s| 25 < *s));
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![20, 25, 30]);
        assert!(!ring.insert_by(5, |s| 5 < *s));
        assert_eq!(ring.len(), 3);
        assert!(ring.insert_by(40, |s| 40 < *s));
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), vec![25, 30, 40]);
    }

    #[test]
    fn searches_past_the_newest_sample_and_within_agree_with_a_full_search() {
        let mut ring = Ring::new(8);
        for t in [10, 20, 30] {
            ring.push(t);
        }
        for key in [5, 10, 15, 30, 31, 99] {
            let full = ring.iter().copied().collect::<Vec<_>>().binary_search(&key);
            assert_eq!(ring.binary_search_by(|s| s.cmp(&key)), full, "key {key}");
        }
        assert_eq!(Ring::<u32>::new(2).binary_search_by(|s| s.cmp(&1)), Err(0));
    }
}
