//! Traffic that crosses the extract's edge, at its external stations
//! ([`citytwin_city::roads::edge`]).
//!
//! Each direction of a crossing road carries `external_share` × its capacity × 10 hours a day:
//! a road busy at 80% of capacity in its peak hour, which carries 10% of the day's traffic
//! (the HCM's K-factor), carries 8 × its hourly capacity a day, i.e. `external_share` 0.8. Of
//! what enters, `through_share` leaves again by another station (one at least 1 km away, drawn
//! by its outbound capacity × distance: through traffic crosses the extract); the rest goes to a
//! work place or home inside (drawn by jobs and residents, with a 5 km distance decay from the
//! station). As much leaves by each station as its outbound capacity says, from homes and work
//! places inside, nearer ones likelier. Departure times follow the typical weekday profile
//! ([`super::profile::TYPICAL_WEEKDAY`]).

use super::DemandError;
use super::activity::Activity;
use super::profile::DepartureProfile;
use super::synthetic::DemandParams;
use crate::dynamic::{Purpose, TripSpec};
use citytwin_city::rng::SimRng;
use citytwin_city::roads::EdgeStation;
use citytwin_city::{City, LinkId};
use serde::{Deserialize, Serialize};

/// Hours of capacity a crossing road's `external_share` applies to, per day.
const DAILY_CAPACITY_HOURS: f64 = 10.0;
/// Distance decay (m) of where external trips go or come from inside.
const DECAY_M: f64 = 5000.0;
/// Through trips do not leave by a station this close (m) to where they came in.
const MIN_THROUGH_M: f64 = 1000.0;

/// External trips of a day, by kind (the `demand.external_*` figures of summary.json).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalCounts {
    pub stations: u64,
    pub inbound: u64,
    pub outbound: u64,
    pub through: u64,
}

impl ExternalCounts {
    pub fn total(&self) -> u64 {
        self.inbound + self.outbound + self.through
    }
}

fn daily(capacity_vph: f64, params: &DemandParams) -> f64 {
    params.external_share * capacity_vph * DAILY_CAPACITY_HOURS * params.scale
}

/// The day's external trips before any rescaling (fractional).
pub fn daily_trips(stations: &[EdgeStation], params: &DemandParams) -> f64 {
    stations
        .iter()
        .map(|s| {
            daily(s.inbound_capacity_vph, params)
                + daily(s.outbound_capacity_vph, params) * (1.0 - params.through_share)
        })
        .sum()
}

/// Adds the external trips of every station to `out`, multiplied by `factor`.
pub fn trips(
    city: &City,
    stations: &[EdgeStation],
    activity: &Activity,
    params: &DemandParams,
    factor: f64,
    seed: u64,
    out: &mut Vec<TripSpec>,
) -> Result<ExternalCounts, DemandError> {
    let mut counts = ExternalCounts {
        stations: stations.len() as u64,
        ..ExternalCounts::default()
    };
    let profile = DepartureProfile::default();
    let mut inside = activity.work.clone();
    inside.extend(&activity.homes);
    for (k, s) in stations.iter().enumerate() {
        // one stream per station and direction: more trips at one station add trips there
        // and change no other (calibration compares days that differ only in their size)
        let rng = &mut SimRng::fork(seed, &format!("traffic.demand.external.{k}.in"));
        if let Some(entry) = s.inbound {
            let n = (daily(s.inbound_capacity_vph, params) * factor).round() as u64;
            let entry = entry.index() as u32;
            for _ in 0..n {
                let departure_s = profile.draw(rng);
                let through = rng.unit() < params.through_share;
                let exit = if through {
                    through_exit(stations, k, rng)
                } else {
                    None
                };
                let (dest_link, purpose) = match exit {
                    Some(link) => (link, Purpose::Through),
                    None if inside.is_empty() => continue,
                    None => (
                        inside
                            .draw_link_near(city, rng, entry, DECAY_M)
                            .ok_or(DemandError::NoRoads)?,
                        Purpose::Inbound,
                    ),
                };
                out.push(TripSpec {
                    origin_link: LinkId(entry),
                    dest_link: LinkId(dest_link),
                    departure_s,
                    purpose,
                });
                match purpose {
                    Purpose::Through => counts.through += 1,
                    _ => counts.inbound += 1,
                }
            }
        }
        if let Some(exit) = s.outbound
            && !inside.is_empty()
        {
            let exit = exit.index() as u32;
            let rng = &mut SimRng::fork(seed, &format!("traffic.demand.external.{k}.out"));
            let n = (daily(s.outbound_capacity_vph, params) * (1.0 - params.through_share) * factor)
                .round() as u64;
            for _ in 0..n {
                let departure_s = profile.draw(rng);
                let origin_link = inside
                    .draw_link_near(city, rng, exit, DECAY_M)
                    .ok_or(DemandError::NoRoads)?;
                out.push(TripSpec {
                    origin_link: LinkId(origin_link),
                    dest_link: LinkId(exit),
                    departure_s,
                    purpose: Purpose::Outbound,
                });
                counts.outbound += 1;
            }
        }
    }
    Ok(counts)
}

/// Another station to leave by, drawn by outbound capacity × distance from station `k`.
fn through_exit(stations: &[EdgeStation], k: usize, rng: &mut SimRng) -> Option<u32> {
    let from = stations[k].point;
    let mut cumulative = Vec::with_capacity(stations.len());
    let mut total = 0.0;
    for s in stations {
        let d = (s.point.x() - from.x()).hypot(s.point.y() - from.y());
        if s.outbound.is_some() && d >= MIN_THROUGH_M {
            total += s.outbound_capacity_vph * d;
        }
        cumulative.push(total);
    }
    if total <= 0.0 {
        return None;
    }
    let pick = rng.pick_cumulative(&cumulative)?;
    stations[pick].outbound.map(|l| l.index() as u32)
}
