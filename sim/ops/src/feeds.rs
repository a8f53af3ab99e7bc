//! Ingestion: every observation, whatever its source, goes through [`Feeds::ingest`], which
//! sorts it into accepted, duplicate, out-of-order, late or invalid, keeps the good ones in a
//! bounded history per datastream, and counts everything for data quality. Nothing a feed
//! sends can make it fail.
//!
//! Rules (per datastream):
//! - **invalid**: a result outside the quantity's physical range, not a number, or a
//!   phenomenon time after the arrival time; dropped.
//! - **duplicate**: a phenomenon time already held; the first wins, the copy is dropped.
//! - **late**: arrived more than `lateness_intervals` expected intervals after its phenomenon
//!   time; kept in the history, never becomes the current reading.
//! - **out of order**: older than the current reading but not late; kept in the history.
//! - otherwise **accepted** and the current reading.

use crate::model::{Datastream, Observation};
use crate::ring::Ring;
use citytwin_city::DatastreamId;
use serde::{Deserialize, Serialize};

/// Each datastream keeps the observations of this long a span (at least [`HISTORY_MIN`]):
/// enough for a data-quality period and for late and duplicate messages to be recognised.
pub const HISTORY_SPAN_S: u32 = 3 * 3600;
pub const HISTORY_MIN: usize = 24;

/// An observation arriving this many expected intervals after its phenomenon time is late.
pub const LATENESS_INTERVALS: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    OutOfOrder,
    Late,
    Duplicate,
    Invalid,
}

impl Verdict {
    /// Whether the observation was kept.
    pub fn kept(self) -> bool {
        matches!(
            self,
            Verdict::Accepted | Verdict::OutOfOrder | Verdict::Late
        )
    }
}

/// What a feed sent, by verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub accepted: u64,
    pub out_of_order: u64,
    pub late: u64,
    pub duplicate: u64,
    pub invalid: u64,
}

impl Counts {
    fn add(&mut self, v: Verdict) {
        *match v {
            Verdict::Accepted => &mut self.accepted,
            Verdict::OutOfOrder => &mut self.out_of_order,
            Verdict::Late => &mut self.late,
            Verdict::Duplicate => &mut self.duplicate,
            Verdict::Invalid => &mut self.invalid,
        } += 1;
    }

    pub fn received(&self) -> u64 {
        self.accepted + self.out_of_order + self.late + self.duplicate + self.invalid
    }

    pub fn kept(&self) -> u64 {
        self.accepted + self.out_of_order + self.late
    }

    pub fn merge(&mut self, other: &Counts) {
        self.accepted += other.accepted;
        self.out_of_order += other.out_of_order;
        self.late += other.late;
        self.duplicate += other.duplicate;
        self.invalid += other.invalid;
    }
}

/// One datastream's state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Feed {
    pub stream: Datastream,
    /// Kept observations as (phenomenon time, result), oldest first.
    pub history: Ring<(u32, f64)>,
    /// The current reading: the newest observation that was neither late nor out of order.
    pub current: Option<(u32, f64)>,
    pub total: Counts,
    /// Counts since the last data-quality period closed.
    pub period: Counts,
}

impl Feed {
    fn new(stream: Datastream) -> Feed {
        let kept = ((HISTORY_SPAN_S / stream.interval_s.max(1)) as usize).max(HISTORY_MIN);
        Feed {
            stream,
            history: Ring::new(kept),
            current: None,
            total: Counts::default(),
            period: Counts::default(),
        }
    }

    fn judge(&self, obs: &Observation, now_s: u32) -> Verdict {
        if !self.stream.quantity.is_valid(obs.result) || obs.phenomenon_s > now_s {
            return Verdict::Invalid;
        }
        if self
            .history
            .binary_search_by(|(t, _)| t.cmp(&obs.phenomenon_s))
            .is_ok()
        {
            return Verdict::Duplicate;
        }
        let lateness = self.stream.interval_s.max(1) * LATENESS_INTERVALS;
        if now_s - obs.phenomenon_s > lateness {
            return Verdict::Late;
        }
        match self.current {
            Some((t, _)) if obs.phenomenon_s < t => Verdict::OutOfOrder,
            _ => Verdict::Accepted,
        }
    }

    /// The kept observations with phenomenon times in `from..to`.
    pub fn between(&self, from: u32, to: u32) -> impl Iterator<Item = &(u32, f64)> {
        self.history
            .iter()
            .filter(move |(t, _)| (from..to).contains(t))
    }

    /// Seconds since the current reading's phenomenon time; `None` before the first.
    pub fn age_s(&self, now_s: u32) -> Option<u32> {
        self.current.map(|(t, _)| now_s.saturating_sub(t))
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("no datastream {0}")]
pub struct UnknownDatastream(pub DatastreamId);

/// All datastreams, indexed by id.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Feeds {
    feeds: Vec<Feed>,
    /// Observations naming no datastream.
    pub unknown: u64,
}

impl Feeds {
    /// Datastream ids must be 0, 1, 2... in order.
    pub fn new(streams: Vec<Datastream>) -> Feeds {
        for (i, s) in streams.iter().enumerate() {
            assert_eq!(s.id.index(), i, "datastream ids must be their positions");
        }
        Feeds {
            feeds: streams.into_iter().map(Feed::new).collect(),
            unknown: 0,
        }
    }

    pub fn ingest(&mut self, obs: Observation, now_s: u32) -> Result<Verdict, UnknownDatastream> {
        let Some(feed) = self.feeds.get_mut(obs.datastream.index()) else {
            self.unknown += 1;
            return Err(UnknownDatastream(obs.datastream));
        };
        let verdict = feed.judge(&obs, now_s);
        feed.total.add(verdict);
        feed.period.add(verdict);
        if verdict.kept() {
            let sample = (obs.phenomenon_s, obs.result);
            feed.history
                .insert_by(sample, |(t, _)| obs.phenomenon_s < *t);
            if verdict == Verdict::Accepted {
                feed.current = Some(sample);
            }
        }
        Ok(verdict)
    }

    pub fn get(&self, id: DatastreamId) -> Option<&Feed> {
        self.feeds.get(id.index())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Feed> {
        self.feeds.iter()
    }

    pub fn len(&self) -> usize {
        self.feeds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.feeds.is_empty()
    }

    /// Starts a new data-quality period on every feed.
    pub fn close_period(&mut self) {
        for f in &mut self.feeds {
            f.period = Counts::default();
        }
    }

    /// What every feed sent, added up.
    pub fn totals(&self) -> Counts {
        let mut all = Counts::default();
        for f in &self.feeds {
            all.merge(&f.total);
        }
        all
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::Quantity;
    use crate::model::{Sensor, Source};
    use citytwin_city::ThingId;

    pub(crate) fn stream(id: u32, quantity: Quantity, interval_s: u32) -> Datastream {
        Datastream {
            id: DatastreamId(id),
            name: format!("s{id}"),
            thing: ThingId(0),
            sensor: Sensor {
                name: "test".into(),
                description: "test".into(),
            },
            quantity,
            source: Source::Live,
            interval_s,
            thresholds: None,
        }
    }

    fn obs(t: u32, v: f64) -> Observation {
        Observation {
            datastream: DatastreamId(0),
            phenomenon_s: t,
            result: v,
        }
    }

    #[test]
    fn each_kind_of_bad_message_is_sorted_and_counted() {
        let mut feeds = Feeds::new(vec![stream(0, Quantity::Pm25, 60)]);
        assert_eq!(feeds.ingest(obs(60, 10.0), 60), Ok(Verdict::Accepted));
        assert_eq!(feeds.ingest(obs(180, 12.0), 180), Ok(Verdict::Accepted));
        assert_eq!(feeds.ingest(obs(60, 99.0), 190), Ok(Verdict::Duplicate));
        assert_eq!(feeds.ingest(obs(120, 11.0), 190), Ok(Verdict::OutOfOrder));
        assert_eq!(feeds.ingest(obs(0, 9.0), 400), Ok(Verdict::Late));
        assert_eq!(feeds.ingest(obs(240, -5.0), 240), Ok(Verdict::Invalid));
        assert_eq!(feeds.ingest(obs(900, 5.0), 240), Ok(Verdict::Invalid));
        assert_eq!(feeds.ingest(obs(240, f64::NAN), 240), Ok(Verdict::Invalid));
        let unknown = Observation {
            datastream: DatastreamId(7),
            ..obs(240, 1.0)
        };
        assert_eq!(
            feeds.ingest(unknown, 240),
            Err(UnknownDatastream(DatastreamId(7)))
        );

        let feed = feeds.get(DatastreamId(0)).expect("feed 0");
        assert_eq!(
            feed.current,
            Some((180, 12.0)),
            "late and out-of-order never current"
        );
        let times: Vec<u32> = feed.history.iter().map(|(t, _)| *t).collect();
        assert_eq!(times, vec![0, 60, 120, 180]);
        let c = feed.total;
        assert_eq!(
            (c.accepted, c.out_of_order, c.late, c.duplicate, c.invalid),
            (2, 1, 1, 1, 3)
        );
        assert_eq!(feeds.unknown, 1);
        assert_eq!(feed.age_s(300), Some(120));
    }
}
