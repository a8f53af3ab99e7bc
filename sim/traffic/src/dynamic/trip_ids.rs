//! Trips' own ids, as a trip list or a SUMO trips file names them, packed into one text: a
//! million ids as `String`s cost 56 bytes each (the string and its allocation), packed about
//! the id's length plus 8.

use super::TripSpec;
use std::ops::Range;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TripIds {
    text: String,
    /// Where each id ends in `text`.
    ends: Vec<usize>,
}

impl TripIds {
    pub fn with_capacity(ids: usize) -> Self {
        Self {
            text: String::new(),
            ends: Vec::with_capacity(ids),
        }
    }

    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn span(&self, i: usize) -> Option<Range<usize>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(start..end)
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        self.span(i).map(|r| &self.text[r])
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The ids at `picks`, in that order.
    pub fn picked(&self, picks: impl IntoIterator<Item = usize>) -> TripIds {
        let mut ids = TripIds::with_capacity(self.len());
        for i in picks {
            ids.push(self.get(i).unwrap_or_default());
        }
        ids.shrink_to_fit();
        ids
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// Trips sorted by departure (ties in the order given), their ids in the same order.
pub fn by_departure(trips: Vec<TripSpec>, ids: TripIds) -> (Vec<TripSpec>, TripIds) {
    let mut order: Vec<usize> = (0..trips.len()).collect();
    order.sort_by_key(|&i| trips[i].departure_s);
    let sorted = order.iter().map(|&i| trips[i].clone()).collect();
    (sorted, ids.picked(order))
}

impl<'a> FromIterator<&'a str> for TripIds {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut ids = TripIds::default();
        for id in iter {
            ids.push(id);
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_as_pushed_and_picked_in_any_order() {
        let ids: TripIds = ["a,1", "", "trip 7", "é"].into_iter().collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(ids.get(0), Some("a,1"));
        assert_eq!(ids.get(1), Some(""));
        assert_eq!(ids.get(3), Some("é"));
        assert_eq!(ids.get(4), None);
        let picked = ids.picked([3, 0, 0]);
        assert_eq!(picked.iter().collect::<Vec<_>>(), vec!["é", "a,1", "a,1"]);
    }
}
