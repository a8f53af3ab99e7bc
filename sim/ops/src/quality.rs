//! Data quality of each feed over a period (an hour by default), four scores in 0..=1:
//! - **completeness**: distinct observations with phenomenon times in the period, over the
//!   number its interval promises (capped at 1);
//! - **timeliness**: 1 while the current reading is at most one interval old at the period's
//!   end, falling linearly to 0 at [`STALE_INTERVALS`] intervals, and 0 beyond (stale);
//! - **validity**: received observations in physical range, over all received;
//! - **consistency**: received observations that were neither duplicates nor out of order
//!   (late ones included), over all received.
//!
//! A period with nothing received scores validity and consistency 1 (nothing wrong was
//! sent) — completeness and timeliness say that nothing came. The feed's score is the mean
//! of the four. A feed whose current reading is older than [`STALE_INTERVALS`] intervals is
//! stale and raises an alarm, as does one whose validity falls below [`BROKEN_VALIDITY`].

use crate::feeds::Feed;
use serde::{Deserialize, Serialize};

pub const STALE_INTERVALS: u32 = 3;
pub const BROKEN_VALIDITY: f64 = 0.5;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityScore {
    pub completeness: f64,
    pub timeliness: f64,
    pub validity: f64,
    pub consistency: f64,
}

impl QualityScore {
    pub fn overall(&self) -> f64 {
        (self.completeness + self.timeliness + self.validity + self.consistency) / 4.0
    }
}

/// Why a feed raises its own alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedFault {
    /// No current reading, or one older than [`STALE_INTERVALS`] intervals.
    Stale,
    /// Most of what it sent was out of range.
    Broken,
}

/// Scores `feed` for the period `from..to` (simulated seconds), from its history and the
/// counts it gathered since its period began.
pub fn score(feed: &Feed, from: u32, to: u32) -> QualityScore {
    let interval = feed.stream.interval_s.max(1);
    let expected = (to.saturating_sub(from) / interval).max(1);
    let present = feed.between(from, to).count() as f64;
    let completeness = (present / f64::from(expected)).min(1.0);
    let timeliness = match feed.age_s(to) {
        None => 0.0,
        Some(age) if age <= interval => 1.0,
        Some(age) => {
            let over = f64::from(age - interval);
            let span = f64::from(interval * (STALE_INTERVALS - 1));
            (1.0 - over / span).max(0.0)
        }
    };
    let c = feed.period;
    let received = c.received() as f64;
    let share = |bad: u64| {
        if received > 0.0 {
            1.0 - bad as f64 / received
        } else {
            1.0
        }
    };
    QualityScore {
        completeness,
        timeliness,
        validity: share(c.invalid),
        consistency: share(c.duplicate + c.out_of_order),
    }
}

/// The fault a feed shows at `now_s`, if any: stale first, then broken.
pub fn fault(feed: &Feed, now_s: u32, validity: f64) -> Option<FeedFault> {
    let limit = feed.stream.interval_s.max(1) * STALE_INTERVALS;
    match feed.age_s(now_s) {
        None if now_s >= limit => Some(FeedFault::Stale),
        Some(age) if age > limit => Some(FeedFault::Stale),
        _ if validity < BROKEN_VALIDITY => Some(FeedFault::Broken),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Quantity;
    use crate::feeds::Feeds;
    use crate::feeds::tests::stream;
    use crate::model::Observation;
    use citytwin_city::DatastreamId;

    fn send(feeds: &mut Feeds, t: u32, v: f64, now: u32) {
        let obs = Observation {
            datastream: DatastreamId(0),
            phenomenon_s: t,
            result: v,
        };
        feeds.ingest(obs, now).expect("known stream");
    }

    #[test]
    fn a_perfect_hour_scores_one_and_gaps_and_garbage_cost() {
        let mut feeds = Feeds::new(vec![stream(0, Quantity::No2, 600)]);
        for k in 0..6 {
            send(&mut feeds, k * 600, 40.0, k * 600);
        }
        let feed = feeds.get(DatastreamId(0)).expect("feed");
        let s = score(feed, 0, 3600);
        assert_eq!(s.overall(), 1.0);
        assert_eq!(fault(feed, 3600, s.validity), None);

        feeds.close_period();
        // the second hour: two readings, a duplicate and two out of range
        send(&mut feeds, 3600, 41.0, 3600);
        send(&mut feeds, 4200, 42.0, 4200);
        send(&mut feeds, 4200, 42.0, 4210);
        send(&mut feeds, 4800, -1.0, 4800);
        send(&mut feeds, 5400, 1e9, 5400);
        let feed = feeds.get(DatastreamId(0)).expect("feed");
        let s = score(feed, 3600, 7200);
        assert!((s.completeness - 2.0 / 6.0).abs() < 1e-12);
        // current reading at 4200 is 3000 s old at 7200: 5 intervals, past stale at 3
        assert_eq!(s.timeliness, 0.0);
        assert!((s.validity - 3.0 / 5.0).abs() < 1e-12);
        assert!((s.consistency - 4.0 / 5.0).abs() < 1e-12);
        assert_eq!(fault(feed, 7200, s.validity), Some(FeedFault::Stale));
    }

    #[test]
    fn a_feed_that_never_spoke_is_stale_once_it_should_have() {
        let feeds = Feeds::new(vec![stream(0, Quantity::Pm25, 3600)]);
        let feed = feeds.get(DatastreamId(0)).expect("feed");
        assert_eq!(fault(feed, 3600, 1.0), None);
        assert_eq!(fault(feed, 3 * 3600, 1.0), Some(FeedFault::Stale));
        assert_eq!(score(feed, 0, 3600).timeliness, 0.0);
    }
}
