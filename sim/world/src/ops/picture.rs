//! The operations picture as the wall shows it: the city's vital signs now, the grid cells at
//! amber or red, and the open cases where they are. A plain view: copies, no references into
//! the models.

use super::OpsSim;
use citytwin_city::grid::CellRef;
use citytwin_city::{CaseId, ThingId};
use citytwin_ops::Level;
use citytwin_ops::cases::CaseState;
use citytwin_ops::vitals::Scope;
use geo::{Point, Rect};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct VitalReading {
    pub indicator: String,
    pub value: f64,
    pub level: Level,
}

/// A grid cell with at least one indicator at amber or red at the last update.
#[derive(Clone, Debug, PartialEq)]
pub struct CellAlert {
    /// In the city CRS.
    pub rect: Rect<f64>,
    /// The worst level among its indicators.
    pub level: Level,
    /// Indicators at that level.
    pub indicators: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseMarker {
    pub id: CaseId,
    pub point: Point<f64>,
    pub service: String,
    pub state: CaseState,
    /// Past its SLA's expected time.
    pub overdue: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpsPicture {
    /// When the vital signs were last updated (simulated seconds).
    pub at_s: u32,
    /// City-wide, in indicator order.
    pub city: Vec<VitalReading>,
    pub cells: Vec<CellAlert>,
    pub open_cases: Vec<CaseMarker>,
    pub sensors: Vec<SensorMarker>,
}

/// A sensor (a SensorThings Thing) on the map, with the worst level of its readings that
/// have thresholds (`None`: no thresholds, or no reading yet).
#[derive(Clone, Debug, PartialEq)]
pub struct SensorMarker {
    pub thing: ThingId,
    pub point: Point<f64>,
    pub level: Option<Level>,
}

impl OpsSim {
    pub fn picture(&self, now: u32) -> OpsPicture {
        let vitals = &self.vitals;
        let at_s = vitals.at_s;
        let current = |history: &citytwin_ops::ring::Ring<(u32, f64)>| {
            history.latest().is_some_and(|(t, _)| *t == at_s)
        };
        let mut picture = OpsPicture {
            at_s,
            ..OpsPicture::default()
        };
        let mut cells: BTreeMap<CellRef, CellAlert> = BTreeMap::new();
        for ((indicator, scope), v) in &vitals.vitals {
            if !current(&v.history) {
                continue;
            }
            match scope {
                Scope::City => picture.city.push(VitalReading {
                    indicator: indicator.key(),
                    value: v.value,
                    level: v.level,
                }),
                Scope::Cell(cell) if v.level != Level::Green => {
                    let alert = cells.entry(*cell).or_insert_with(|| CellAlert {
                        rect: self.grid.rect(*cell),
                        level: v.level,
                        indicators: Vec::new(),
                    });
                    if v.level > alert.level {
                        alert.level = v.level;
                        alert.indicators.clear();
                    }
                    if v.level == alert.level {
                        alert.indicators.push(indicator.key());
                    }
                }
                _ => {}
            }
        }
        picture.cells = cells.into_values().collect();
        picture.open_cases = self
            .desk
            .cases()
            .iter()
            .filter(|c| !c.state().is_closed())
            .map(|c| CaseMarker {
                id: c.id,
                point: c.filing.point,
                service: c.filing.service_code.clone(),
                state: c.state(),
                overdue: now > c.expected_s,
            })
            .collect();
        picture.sensors = self
            .things()
            .iter()
            .map(|t| SensorMarker {
                thing: t.id,
                point: t.location.point,
                level: t
                    .datastreams
                    .iter()
                    .filter_map(|d| {
                        let feed = self.feeds.get(*d)?;
                        let (_, value) = feed.current?;
                        Some(feed.stream.thresholds.as_ref()?.level(value))
                    })
                    .max(),
            })
            .collect();
        picture
    }
}
