//! Demand corrected while the day runs: a forecast whose loop detectors saw more (or fewer)
//! cars than the model scales the departures still to come.

use super::TrafficSim;
use crate::dynamic::{Purpose, TripRecord};
use citytwin_city::rng::SimRng;

impl TrafficSim {
    /// Scales the car trips that have not departed and leave by `until_s` (crews' trucks
    /// excepted) by `factor`: below 1 each is dropped with probability 1 − factor; above 1
    /// each gets ⌊factor − 1⌋ copies (same origin, destination and second) and one more with
    /// the fraction's chance. Returns (trips dropped, trips added).
    pub fn scale_pending(&mut self, factor: f64, until_s: u32, rng: &mut SimRng) -> (u64, u64) {
        let factor = if factor.is_finite() {
            factor.max(0.0)
        } else {
            1.0
        };
        let pending = self.order.split_off(self.next_departure);
        let (mut dropped, mut copies) = (0u64, Vec::new());
        for t in pending {
            let spec = &self.trips[t as usize];
            if spec.departure_s > until_s || spec.purpose == Purpose::Service {
                self.order.push(t);
            } else if factor < 1.0 {
                if rng.unit() < factor {
                    self.order.push(t);
                } else {
                    dropped += 1;
                }
            } else {
                self.order.push(t);
                let extra = factor - 1.0;
                let n = extra.floor() as u32 + u32::from(rng.unit() < extra.fract());
                copies.extend(std::iter::repeat_n(t, n as usize));
            }
        }
        let added = copies.len() as u64;
        for original in copies {
            let t = self.trips.len() as u32;
            self.trips.push(self.trips[original as usize].clone());
            self.records.push(TripRecord::planned());
            self.adaptive.push(self.adaptive[original as usize]);
            if !self.taken.is_empty() {
                self.taken.push(Vec::new());
            }
            self.order.push(t);
        }
        // stable: the day's own order among trips leaving in the same second, copies after
        let trips = &self.trips;
        self.order[self.next_departure..].sort_by_key(|&t| trips[t as usize].departure_s);
        (dropped, added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamic::signals::Signals;
    use crate::dynamic::{QueueLink, QueueNetwork, TrafficConfig, TripSpec};

    /// 1,000 trips over an hour along a chain of three roomy links.
    fn chain() -> TrafficSim {
        let link = |from, to| {
            Some(QueueLink {
                from,
                to,
                length_m: 500.0,
                free_flow_s: 36,
                capacity_vps: 1.0,
                storage: 200,
                lanes: 2,
                inner: false,
            })
        };
        let net = QueueNetwork::from_links(4, vec![link(0, 1), link(1, 2), link(2, 3)]);
        let trips = (0..1000)
            .map(|i| TripSpec {
                origin_link: citytwin_city::LinkId(0),
                dest_link: citytwin_city::LinkId(2),
                departure_s: (f64::from(i) * 3.6) as u32,
                purpose: if i % 100 == 0 {
                    Purpose::Service
                } else {
                    Purpose::Work
                },
            })
            .collect();
        TrafficSim::new(
            net,
            Signals::default(),
            trips,
            vec![],
            TrafficConfig::default(),
            1,
        )
    }

    fn pending_in(sim: &TrafficSim, until_s: u32) -> usize {
        sim.order[sim.next_departure..]
            .iter()
            .filter(|&&t| {
                let spec = &sim.trips[t as usize];
                spec.departure_s <= until_s && spec.purpose != Purpose::Service
            })
            .count()
    }

    #[test]
    fn scaling_adds_or_drops_only_car_trips_still_to_leave_in_the_window() {
        let mut sim = chain();
        while sim.now() < 900 {
            sim.step();
        }
        let departed = sim.next_departure;
        let before = sim.order.clone();
        let window = pending_in(&sim, 2700);
        let after_window = before.len() - departed - pending_in(&sim, 3600);
        let mut rng = SimRng::seed(1);
        let (dropped, added) = sim.scale_pending(1.5, 2700, &mut rng);
        assert_eq!(dropped, 0);
        // about half of the trips leaving in the half hour got a copy, and only they
        assert!(
            (added as f64 - window as f64 * 0.5).abs() < 40.0,
            "{added} of {window}"
        );
        assert_eq!(pending_in(&sim, 2700), window + added as usize);
        assert_eq!(sim.order[..departed], before[..departed]);
        assert_eq!(sim.order.len(), before.len() + added as usize);
        let pending = &sim.order[departed..];
        assert!(pending.windows(2).all(|w| {
            sim.trips[w[0] as usize].departure_s <= sim.trips[w[1] as usize].departure_s
        }));
        // a quarter of the window's trips kept: the rest dropped, trucks and later trips kept
        let scaled = window + added as usize;
        let (dropped, added) = sim.scale_pending(0.25, 2700, &mut rng);
        assert_eq!(added, 0);
        let kept = pending_in(&sim, 2700);
        assert_eq!(kept + dropped as usize, scaled);
        assert!((kept as f64 / (kept as f64 + dropped as f64) - 0.25).abs() < 0.06);
        assert_eq!(
            sim.order.len() - departed - pending_in(&sim, 3600),
            after_window
        );
        // the day runs on to its end with what is left
        while !sim.is_done() && sim.now() < 6 * 3600 {
            sim.step();
        }
        assert!(sim.is_done());
    }
}
