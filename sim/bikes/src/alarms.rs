//! The monitoring points' alarms on fence counts, with hysteresis so a count that flickers
//! around a threshold raises one alarm, not one a minute:
//! - **overflow**: more than `capacity × overflow_ratio` bikes for `overflow_minutes` in a row;
//! - **empty**: no bike for `empty_minutes` in a row (the Bay Area contract's KPI uses 10);
//! - **illegal parking**: at a monitoring point, bikes parked outside every fence within its
//!   watch radius for `illegal_minutes` in a row (what its camera sees).
//!
//! An open alarm closes once its condition has been false for `clear_minutes` in a row.
//! A **blacklisted** bike parked in a monitored area raises a blacklist alarm at once (an
//! event, not a state: it opens and is handled, it does not stay open).

use crate::fence::Fences;
use citytwin_city::FenceId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AlarmKind {
    Overflow,
    Empty,
    IllegalParking,
    Blacklist,
    /// A lock reported a fault at the end of a ride (an event, like the blacklist alarm): the
    /// operator sends a crew to take the bike to the workshop.
    Broken,
}

impl AlarmKind {
    /// The alarms that hold while their condition does (the blacklist alarm is an event).
    pub const STATES: [AlarmKind; 3] = [
        AlarmKind::Overflow,
        AlarmKind::Empty,
        AlarmKind::IllegalParking,
    ];
}

/// Thresholds, set per scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlarmRules {
    pub overflow_ratio: f64,
    pub overflow_minutes: u32,
    pub empty_minutes: u32,
    #[serde(default = "default_illegal_minutes")]
    pub illegal_minutes: u32,
    pub clear_minutes: u32,
}

fn default_illegal_minutes() -> u32 {
    5
}

impl Default for AlarmRules {
    fn default() -> Self {
        AlarmRules {
            overflow_ratio: 1.0,
            overflow_minutes: 5,
            empty_minutes: 10,
            illegal_minutes: default_illegal_minutes(),
            clear_minutes: 5,
        }
    }
}

/// An alarm opening or closing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmEvent {
    pub minute: u32,
    pub fence: FenceId,
    pub kind: AlarmKind,
    pub opened: bool,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Watch {
    /// First minute of the current run with the condition true.
    true_since: Option<u32>,
    /// First minute of the current run with it false, while the alarm is open.
    false_since: Option<u32>,
    open: bool,
}

impl Watch {
    /// One minute's observation; `Some(opened)` when the alarm changes.
    fn observe(&mut self, minute: u32, condition: bool, hold: u32, clear: u32) -> Option<bool> {
        if condition {
            self.false_since = None;
            let since = *self.true_since.get_or_insert(minute);
            if !self.open && minute + 1 - since >= hold.max(1) {
                self.open = true;
                return Some(true);
            }
        } else {
            self.true_since = None;
            if self.open {
                let since = *self.false_since.get_or_insert(minute);
                if minute + 1 - since >= clear.max(1) {
                    self.open = false;
                    self.false_since = None;
                    return Some(false);
                }
            }
        }
        None
    }
}

/// The alarm state of every fence, fed one count per fence per minute.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FenceAlarms {
    pub rules: AlarmRules,
    watches: Vec<[Watch; 3]>,
    /// Fence-minutes over capacity × ratio, and with no bike (whether or not alarmed yet).
    pub overflow_minutes: u64,
    pub empty_minutes: u64,
    pub overflow_alarms: u64,
    pub empty_alarms: u64,
    pub illegal_parking_alarms: u64,
}

impl FenceAlarms {
    pub fn new(rules: AlarmRules, fences: usize) -> Self {
        FenceAlarms {
            rules,
            watches: vec![[Watch::default(); 3]; fences],
            overflow_minutes: 0,
            empty_minutes: 0,
            overflow_alarms: 0,
            empty_alarms: 0,
            illegal_parking_alarms: 0,
        }
    }

    /// Feeds a minute's counts (indexed by fence) and, at monitoring points, the bikes parked
    /// outside every fence within their watch radius (0 elsewhere); appends the alarms that
    /// open or close.
    pub fn observe(
        &mut self,
        minute: u32,
        counts: &[u32],
        outside_watched: &[u32],
        fences: &Fences,
        out: &mut Vec<AlarmEvent>,
    ) {
        let r = &self.rules;
        for (fence, (watch, &count)) in self.watches.iter_mut().zip(counts).enumerate() {
            let outside = outside_watched.get(fence).copied().unwrap_or(0);
            let id = FenceId::from_index(fence);
            let capacity = fences.get(id).map_or(0, |f| f.capacity);
            let over = f64::from(count) > f64::from(capacity) * r.overflow_ratio;
            let empty = count == 0;
            self.overflow_minutes += u64::from(over);
            self.empty_minutes += u64::from(empty);
            for (kind, condition, hold) in [
                (AlarmKind::Overflow, over, r.overflow_minutes),
                (AlarmKind::Empty, empty, r.empty_minutes),
                (AlarmKind::IllegalParking, outside > 0, r.illegal_minutes),
            ] {
                if let Some(opened) =
                    watch[kind as usize].observe(minute, condition, hold, r.clear_minutes)
                {
                    if opened {
                        *match kind {
                            AlarmKind::Overflow => &mut self.overflow_alarms,
                            AlarmKind::Empty => &mut self.empty_alarms,
                            _ => &mut self.illegal_parking_alarms,
                        } += 1;
                    }
                    out.push(AlarmEvent {
                        minute,
                        fence: id,
                        kind,
                        opened,
                    });
                }
            }
        }
    }

    /// Alarms open now, by fence then kind.
    pub fn open(&self) -> Vec<(FenceId, AlarmKind)> {
        let mut open = Vec::new();
        for (f, w) in self.watches.iter().enumerate() {
            for kind in AlarmKind::STATES {
                if w[kind as usize].open {
                    open.push((FenceId::from_index(f), kind));
                }
            }
        }
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fence::{Fence, circle};
    use geo::Coord;

    fn one_fence(capacity: u32) -> Fences {
        Fences::new(vec![Fence {
            id: FenceId(0),
            name: "Chunxi Rd exit B".into(),
            area: circle(Coord { x: 0.0, y: 0.0 }, 10.0),
            capacity,
            dock: false,
        }])
        .unwrap()
    }

    /// Feeds a count per minute; returns (minute, kind, opened) of each event.
    fn run(counts: &[u32], capacity: u32) -> (Vec<(u32, AlarmKind, bool)>, FenceAlarms) {
        run_watched(counts, &vec![0; counts.len()], capacity)
    }

    /// The same with bikes parked outside the fence in its monitoring point's view.
    fn run_watched(
        counts: &[u32],
        outside: &[u32],
        capacity: u32,
    ) -> (Vec<(u32, AlarmKind, bool)>, FenceAlarms) {
        let fences = one_fence(capacity);
        let mut alarms = FenceAlarms::new(AlarmRules::default(), 1);
        let mut events = Vec::new();
        for (m, (&c, &o)) in counts.iter().zip(outside).enumerate() {
            alarms.observe(m as u32, &[c], &[o], &fences, &mut events);
        }
        (
            events
                .into_iter()
                .map(|e| (e.minute, e.kind, e.opened))
                .collect(),
            alarms,
        )
    }

    #[test]
    fn overflow_opens_after_five_minutes_over_and_closes_after_five_under() {
        let mut counts = vec![10; 3];
        counts.extend([11; 6]); // minutes 3..=8 over capacity 10
        counts.extend([9; 6]); // minutes 9..=14 back under
        let (events, alarms) = run(&counts, 10);
        assert_eq!(
            events,
            vec![
                (7, AlarmKind::Overflow, true),
                (13, AlarmKind::Overflow, false)
            ]
        );
        assert_eq!((alarms.overflow_minutes, alarms.overflow_alarms), (6, 1));
    }

    #[test]
    fn a_flickering_count_raises_one_alarm_not_many() {
        let mut counts = vec![12; 5];
        // flickers across the threshold: never 5 minutes under in a row
        for _ in 0..10 {
            counts.extend([9, 9, 12]);
        }
        let (events, alarms) = run(&counts, 10);
        assert_eq!(events, vec![(4, AlarmKind::Overflow, true)]);
        assert_eq!(alarms.open(), vec![(FenceId(0), AlarmKind::Overflow)]);
    }

    #[test]
    fn empty_needs_ten_consecutive_minutes() {
        let mut counts = vec![0; 9];
        counts.push(1); // broken run: no alarm
        counts.extend([0; 10]);
        let (events, alarms) = run(&counts, 10);
        assert_eq!(events, vec![(19, AlarmKind::Empty, true)]);
        assert_eq!(alarms.empty_minutes, 19);
    }

    #[test]
    fn bikes_left_outside_in_view_for_five_minutes_raise_illegal_parking() {
        let counts = vec![5; 20];
        // one bike for 4 minutes (moved on), then two for 8, then none
        let mut outside = vec![1; 4];
        outside.extend([0, 2, 2, 2, 2, 2, 2, 2, 2]);
        outside.extend([0; 7]);
        let (events, alarms) = run_watched(&counts, &outside, 10);
        assert_eq!(
            events,
            vec![
                (9, AlarmKind::IllegalParking, true),
                (17, AlarmKind::IllegalParking, false)
            ]
        );
        assert_eq!(alarms.illegal_parking_alarms, 1);
        assert!(alarms.open().is_empty());
    }
}
