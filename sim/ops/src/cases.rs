//! Cases: every alarm or citizen report becomes one, with Open311 GeoReport v2-like fields and
//! an append-only history of state changes.
//!
//! ```text
//! discovered ─► dispatched ─► in progress ─► disposed ─► evaluated (closed)
//!     │  ▲                                      │
//!     │  └──────────── reopened ◄───────────────┘
//!     ├─► duplicate (closed)
//!     └─► not responsible (closed)
//! ```

use citytwin_city::{CaseId, CrewId};
use geo::Point;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Discovered,
    Dispatched,
    InProgress,
    Disposed,
    Evaluated,
    Reopened,
    Duplicate,
    NotResponsible,
}

impl CaseState {
    pub const ALL: [CaseState; 8] = [
        CaseState::Discovered,
        CaseState::Dispatched,
        CaseState::InProgress,
        CaseState::Disposed,
        CaseState::Evaluated,
        CaseState::Reopened,
        CaseState::Duplicate,
        CaseState::NotResponsible,
    ];

    /// Whether the loop allows going from `self` to `to`.
    pub fn may_become(self, to: CaseState) -> bool {
        use CaseState::*;
        matches!(
            (self, to),
            (Discovered, Dispatched | Duplicate | NotResponsible)
                | (Dispatched, InProgress)
                | (InProgress, Disposed)
                | (Disposed, Evaluated | Reopened)
                | (Reopened, Dispatched)
        )
    }

    pub fn is_closed(self) -> bool {
        matches!(
            self,
            CaseState::Evaluated | CaseState::Duplicate | CaseState::NotResponsible
        )
    }

    /// Open311's two-valued status.
    pub fn open311_status(self) -> &'static str {
        if self.is_closed() { "closed" } else { "open" }
    }
}

/// One entry of a case's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateChange {
    pub at_s: u32,
    pub to: CaseState,
    pub note: String,
}

/// Where a case came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A vital sign, a bike monitoring point or a feed raised an alarm; `key` names it so a
    /// second alarm of the same thing is recognised as a duplicate while the first is open.
    Alarm { key: String },
    /// A citizen's report (hotline, app), as free text.
    Report { text: String },
}

/// What a case is about and where: the fields its reporter (a person or an alarm) fills in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Filing {
    pub service_code: String,
    pub description: String,
    pub origin: Origin,
    /// In the city CRS; `lon`/`lat` as Open311 publishes them.
    pub point: Point<f64>,
    pub lon: f64,
    pub lat: f64,
    /// GB/T 30428-style unit grid cell code, where the city's grid covers the point.
    pub cell_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Open311 `service_request_id`.
    pub id: CaseId,
    pub filing: Filing,
    /// Open311 `requested_datetime`, `expected_datetime` (the SLA), simulated seconds.
    pub requested_s: u32,
    pub expected_s: u32,
    /// Team and crew working on it, once dispatched.
    pub agency: Option<String>,
    pub crew: Option<CrewId>,
    history: Vec<StateChange>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CaseError {
    #[error("case {case}: cannot go from {from:?} to {to:?}")]
    IllegalTransition {
        case: CaseId,
        from: CaseState,
        to: CaseState,
    },
    #[error("case {case}: a change at {at_s} s comes before the last one at {last_s} s")]
    BackInTime {
        case: CaseId,
        at_s: u32,
        last_s: u32,
    },
}

impl Case {
    pub fn discovered(id: CaseId, filing: Filing, at_s: u32, sla_s: u32) -> Case {
        Case {
            id,
            filing,
            requested_s: at_s,
            expected_s: at_s.saturating_add(sla_s),
            agency: None,
            crew: None,
            history: vec![StateChange {
                at_s,
                to: CaseState::Discovered,
                note: String::new(),
            }],
        }
    }

    pub fn state(&self) -> CaseState {
        self.history.last().map_or(CaseState::Discovered, |c| c.to)
    }

    /// Open311 `updated_datetime`.
    pub fn updated_s(&self) -> u32 {
        self.history.last().map_or(self.requested_s, |c| c.at_s)
    }

    /// The history, oldest first; it only ever grows.
    pub fn history(&self) -> &[StateChange] {
        &self.history
    }

    /// Moves the case on; an illegal transition or one back in time changes nothing.
    pub fn advance(&mut self, to: CaseState, at_s: u32, note: &str) -> Result<(), CaseError> {
        let from = self.state();
        if !from.may_become(to) {
            return Err(CaseError::IllegalTransition {
                case: self.id,
                from,
                to,
            });
        }
        let last_s = self.updated_s();
        if at_s < last_s {
            return Err(CaseError::BackInTime {
                case: self.id,
                at_s,
                last_s,
            });
        }
        self.history.push(StateChange {
            at_s,
            to,
            note: note.to_string(),
        });
        Ok(())
    }

    /// The first time the case entered `state`.
    pub fn first(&self, state: CaseState) -> Option<u32> {
        self.history.iter().find(|c| c.to == state).map(|c| c.at_s)
    }

    /// The last time it entered `state`.
    pub fn last(&self, state: CaseState) -> Option<u32> {
        self.history
            .iter()
            .rev()
            .find(|c| c.to == state)
            .map(|c| c.at_s)
    }

    /// Whether it was (last) disposed of by its expected time; `None` until disposed.
    pub fn sla_met(&self) -> Option<bool> {
        self.last(CaseState::Disposed).map(|t| t <= self.expected_s)
    }

    pub fn reopened(&self) -> bool {
        self.first(CaseState::Reopened).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn case() -> Case {
        let filing = Filing {
            service_code: "bikes.overflow".into(),
            description: "too many bikes".into(),
            origin: Origin::Alarm {
                key: "fence3".into(),
            },
            point: Point::new(0.0, 0.0),
            lon: 104.0,
            lat: 30.6,
            cell_code: None,
        };
        Case::discovered(CaseId(1), filing, 100, 3600)
    }

    #[test]
    fn the_full_loop_and_a_reopen() {
        let mut c = case();
        for (to, t) in [
            (CaseState::Dispatched, 110),
            (CaseState::InProgress, 400),
            (CaseState::Disposed, 1000),
            (CaseState::Reopened, 1600),
            (CaseState::Dispatched, 1600),
            (CaseState::InProgress, 2000),
            (CaseState::Disposed, 4000),
            (CaseState::Evaluated, 4600),
        ] {
            c.advance(to, t, "").expect("legal");
        }
        assert!(c.state().is_closed());
        assert!(c.reopened());
        assert_eq!(c.sla_met(), Some(false), "last disposal at 4000 > 3700");
        assert_eq!(c.first(CaseState::Disposed), Some(1000));
        assert_eq!(c.state().open311_status(), "closed");
    }

    proptest! {
        /// Whatever is asked of a case, it never makes an illegal transition, its history
        /// only grows (what was there stays as it was) and its times never go backwards.
        #[test]
        fn no_illegal_transition_and_history_is_append_only(
            steps in prop::collection::vec((0usize..8, 0u32..500), 0..60)
        ) {
            let mut c = case();
            let mut t: u32 = 100;
            for (target, dt) in steps {
                let to = CaseState::ALL[target];
                let before = c.history().to_vec();
                let from = c.state();
                // sometimes ask for a time in the past
                let at = if dt % 7 == 0 { t.saturating_sub(dt) } else { t + dt };
                let result = c.advance(to, at, "x");
                prop_assert_eq!(&c.history()[..before.len()], &before[..]);
                if result.is_ok() {
                    prop_assert!(from.may_become(to));
                    prop_assert!(at >= t);
                    prop_assert_eq!(c.history().len(), before.len() + 1);
                    t = at;
                } else {
                    prop_assert_eq!(c.history().len(), before.len());
                }
            }
            for pair in c.history().windows(2) {
                prop_assert!(pair[0].to.may_become(pair[1].to));
                prop_assert!(pair[0].at_s <= pair[1].at_s);
            }
        }
    }
}
