//! Rebalancing, two strategies to compare. Reactive: every overflow or empty alarm opens a
//! task. Proactive: every [`PLAN_EVERY_S`] the operator compares each fence's bikes with a
//! target range from the demand forecast for the next [`HORIZON_S`] ([`crate::forecast`]):
//! low = expected net departures + [`SAFETY_BIKES`], high = capacity − expected net arrivals;
//! fences more than [`SLACK_BIKES`] outside their range get a task (surpluses first, so that
//! trucks carry bikes to the deficits), the largest imbalances first, at most two per crew
//! waiting. Either way, the free crew whose truck
//! is nearest by current road travel time (the traffic model's link times, supplied by the
//! World) drives there. At an overflowing fence it loads bikes down to 70% of capacity (as
//! many as the truck holds); at an empty fence it unloads up to half the capacity. A crew with
//! an empty truck sent to an empty fence first collects the bikes left outside fences within
//! [`COLLECT_RADIUS_M`] of it (the daily work of the source platform's staff). Handling takes
//! [`HANDLING_S`] per stop; broken bikes at the stop go on the truck's rack to the workshop.
//! In the World, trucks are vehicles of the traffic model ([`Dispatcher::drive_in_traffic`]):
//! the crew is chosen on estimated travel times, then its truck joins the traffic, queues
//! with the cars, and the task starts when it actually arrives. Alone (tests, the Oslo
//! replay) trucks arrive when the estimate says.

use crate::alarms::{AlarmEvent, AlarmKind};
use crate::forecast::FenceForecast;
use citytwin_city::{CrewId, FenceId, LinkId, OperatorId, TaskId};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchConfig {
    /// Crews on duty all day, unless a shift says otherwise.
    pub crews: u32,
    pub truck_capacity: u32,
    pub rebalancing: Rebalancing,
    /// Crews on duty in a window instead of `crews` (the last shift covering a time wins).
    #[serde(default)]
    pub shifts: Vec<CrewShift>,
}

/// `crews` on duty in `[from_s, to_s)`: "double the crews at the evening peak".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrewShift {
    pub crews: u32,
    pub from_s: u32,
    pub to_s: u32,
}

impl DispatchConfig {
    /// Crews on duty at `t`.
    pub fn on_duty(&self, t: u32) -> u32 {
        self.shifts
            .iter()
            .rev()
            .find(|s| (s.from_s..s.to_s).contains(&t))
            .map_or(self.crews, |s| s.crews)
    }

    /// Crews the operator employs: the most on duty at any time.
    pub fn employed(&self) -> u32 {
        self.shifts
            .iter()
            .map(|s| s.crews)
            .fold(self.crews, u32::max)
    }
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            crews: 4,
            truck_capacity: 30,
            rebalancing: Rebalancing::Reactive,
            shifts: Vec::new(),
        }
    }
}

/// How the operator decides where its trucks go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rebalancing {
    /// Every overflow or empty alarm becomes a task for the nearest free crew.
    Reactive,
    /// Fences are kept within a target range from the demand forecast, alarms or not.
    Proactive,
    /// No rebalancing: alarms are raised and counted, nobody is sent (the do-nothing baseline).
    Off,
}

/// The most crews a day may employ: a crew per 10 bikes of the largest fleet is already absurd,
/// and each crew costs memory and time.
pub const MAX_CREWS: u32 = 100_000;

/// Time at a fence: parking the truck, loading or unloading, tidying the rows.
pub const HANDLING_S: u32 = 300;
/// An empty truck collects bikes left outside fences this close to its target.
pub const COLLECT_RADIUS_M: f64 = 600.0;
/// Share of capacity an overflowing fence is brought down to, and an empty one up to.
pub const OVERFLOW_TARGET: f64 = 0.7;
pub const EMPTY_TARGET: f64 = 0.5;
/// Proactive planning: how often, how far ahead, and the margins of the target range.
pub const PLAN_EVERY_S: u32 = 1800;
pub const HORIZON_S: u32 = 7200;
pub const SAFETY_BIKES: f64 = 2.0;
pub const SLACK_BIKES: u32 = 3;

/// `total` split in proportion to `shares` by largest remainders (ties to the earlier).
pub fn split_by_shares(total: u32, shares: &[f64]) -> Vec<u32> {
    let sum: f64 = shares.iter().filter(|s| **s > 0.0).sum();
    if sum <= 0.0 {
        return vec![0; shares.len()];
    }
    let exact: Vec<f64> = shares
        .iter()
        .map(|s| f64::from(total) * s.max(0.0) / sum)
        .collect();
    let mut out: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let left = total - out.iter().sum::<u32>();
    for &i in order.iter().cycle().take(left as usize) {
        out[i] += 1;
    }
    out
}

/// A crew and its truck.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crew {
    /// The car link the truck stands on.
    pub at_link: LinkId,
    pub free_at: u32,
    /// Bikes on the truck.
    pub load: Vec<u32>,
    pub km: f64,
    /// The operator the crew works for, and its number among that operator's crews (a shift
    /// of fewer crews sends the lower numbers home last).
    pub operator: OperatorId,
    pub rank: u32,
}

/// A rebalancing task from an alarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub fence: FenceId,
    /// Overflow: take bikes away; Empty: bring bikes.
    pub kind: AlarmKind,
    /// Bikes to leave at the fence (`None`: the alarm defaults, 70% or 50% of capacity).
    pub target: Option<u32>,
    pub opened_s: u32,
    pub crew: Option<CrewId>,
    pub arrive_s: Option<u32>,
    pub bikes_moved: u32,
    pub done: bool,
    /// The estimated arrival and metres when the truck was sent.
    pub eta_s: Option<u32>,
    pub estimated_m: f64,
    /// The operator whose crew must do it (the World's bike model decides).
    pub operator: OperatorId,
}

/// A truck leaving for a task, for the World to drive in the traffic model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruckTrip {
    pub task: TaskId,
    pub from_link: LinkId,
    pub to_link: LinkId,
    pub depart_s: u32,
}

/// The dispatch figures of `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DispatchSummary {
    pub tasks: u64,
    pub tasks_done: u64,
    pub mean_response_s: f64,
    pub truck_km: f64,
    pub bikes_moved: u64,
}

/// Tasks and crews.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Dispatcher {
    pub crews: Vec<Crew>,
    pub tasks: Vec<Task>,
    /// Trucks' capacity, and who is on duty when (an operator's crew works while its rank is
    /// below the operator's part of `on_duty(t)`).
    pub config: DispatchConfig,
    in_traffic: bool,
    outbox: Vec<TruckTrip>,
}

impl Dispatcher {
    /// One operator employing every crew.
    pub fn new(config: &DispatchConfig, depot_link: LinkId) -> Self {
        Dispatcher::for_operators(config, depot_link, &[1.0])
    }

    /// The crews split among operators by their fleet shares (largest remainders; each
    /// operator keeps at least one crew while there are enough).
    pub fn for_operators(config: &DispatchConfig, depot_link: LinkId, shares: &[f64]) -> Self {
        let employed = config.employed();
        let mut crews_of = split_by_shares(employed, shares);
        if employed as usize >= shares.len() {
            while let Some(empty) = crews_of.iter().position(|&n| n == 0) {
                let Some(richest) = (0..crews_of.len()).max_by_key(|&i| (crews_of[i], Reverse(i)))
                else {
                    break;
                };
                crews_of[richest] -= 1;
                crews_of[empty] += 1;
            }
        }
        Dispatcher {
            crews: crews_of
                .iter()
                .enumerate()
                .flat_map(|(operator, &n)| {
                    let operator = OperatorId::from_index(operator);
                    (0..n).map(move |rank| Crew {
                        at_link: depot_link,
                        free_at: 0,
                        load: Vec::new(),
                        km: 0.0,
                        operator,
                        rank,
                    })
                })
                .collect(),
            tasks: Vec::new(),
            config: config.clone(),
            in_traffic: false,
            outbox: Vec::new(),
        }
    }

    /// From now on trucks are driven by the traffic model: `assign` hands out [`TruckTrip`]s
    /// (see [`Dispatcher::take_truck_trips`]) and tasks start at [`Dispatcher::arrived`].
    pub fn drive_in_traffic(&mut self) {
        self.in_traffic = true;
    }

    /// Trucks sent since the last call.
    pub fn take_truck_trips(&mut self) -> Vec<TruckTrip> {
        std::mem::take(&mut self.outbox)
    }

    /// A truck driven in traffic has arrived, after `metres`; its crew starts handling.
    pub fn arrived(&mut self, task: TaskId, at_s: u32, metres: f64) {
        let Some(t) = self.tasks.get_mut(task.index()) else {
            return;
        };
        t.arrive_s = Some(at_s);
        if let Some(c) = t.crew.and_then(|c| self.crews.get_mut(c.index())) {
            c.free_at = at_s + HANDLING_S;
            c.km += (metres - t.estimated_m) / 1000.0;
        }
    }

    /// Opens a task for each alarm that opened, unless its fence already has one open.
    pub fn open_tasks(&mut self, now: u32, events: &[AlarmEvent]) {
        for e in events.iter().filter(|e| e.opened) {
            // a repair does not wait for a rebalancing at the same fence, nor the reverse
            let repair = e.kind == AlarmKind::Broken;
            let busy = self
                .tasks
                .iter()
                .any(|t| !t.done && t.fence == e.fence && (t.kind == AlarmKind::Broken) == repair);
            if !busy {
                self.open(now, e.fence.0, e.kind, None);
            }
        }
    }

    fn open(&mut self, now: u32, fence: u32, kind: AlarmKind, target: Option<u32>) {
        self.tasks.push(Task {
            fence: FenceId(fence),
            kind,
            target,
            opened_s: now,
            crew: None,
            arrive_s: None,
            bikes_moved: 0,
            done: false,
            eta_s: None,
            estimated_m: 0.0,
            operator: OperatorId(0),
        });
    }

    /// Proactive planning: tasks for the fences furthest outside their target range.
    pub fn plan_proactive(
        &mut self,
        now: u32,
        counts: &[u32],
        capacities: &[u32],
        forecast: &FenceForecast,
    ) {
        let waiting = self.tasks.iter().filter(|t| t.crew.is_none() && !t.done);
        let room = (2 * self.crews.len()).saturating_sub(waiting.count());
        let busy: std::collections::BTreeSet<u32> = self
            .tasks
            .iter()
            .filter(|t| !t.done)
            .map(|t| t.fence.0)
            .collect();
        // (imbalance, fence, kind, target), surpluses before deficits
        let mut wanted: Vec<(u32, u32, AlarmKind, u32)> = Vec::new();
        for (f, (&count, &capacity)) in counts.iter().zip(capacities).enumerate() {
            if busy.contains(&(f as u32)) {
                continue;
            }
            let (dep, arr) = forecast.within(f, now, HORIZON_S);
            let cap = f64::from(capacity);
            let low = ((dep - arr).max(0.0) + SAFETY_BIKES).min(cap).ceil() as u32;
            let high = (cap - (arr - dep).max(0.0)).max(f64::from(low)).floor() as u32;
            if count > high + SLACK_BIKES {
                wanted.push((count - high, f as u32, AlarmKind::Overflow, high));
            } else if count + SLACK_BIKES < low {
                wanted.push((low - count, f as u32, AlarmKind::Empty, low));
            }
        }
        wanted.sort_by(|a, b| {
            let surplus = |k: AlarmKind| u8::from(k != AlarmKind::Overflow);
            (surplus(a.2), Reverse(a.0), a.1).cmp(&(surplus(b.2), Reverse(b.0), b.1))
        });
        for (_, fence, kind, target) in wanted.into_iter().take(room) {
            self.open(now, fence, kind, Some(target));
        }
    }

    /// Sends free crews to waiting tasks, oldest task first, each to the crew that gets there
    /// soonest; `travel(from_link, to_link)` gives (seconds, metres) on the roads now.
    /// Returns the (task, arrival time) of each assignment whose arrival is the estimate (none
    /// when trucks are driven in traffic: those arrive through [`Dispatcher::arrived`]).
    pub fn assign(
        &mut self,
        now: u32,
        fence_link: &[LinkId],
        travel: &mut dyn FnMut(LinkId, LinkId) -> Option<(f64, f64)>,
    ) -> Vec<(usize, u32)> {
        let mut sent = Vec::new();
        for t in 0..self.tasks.len() {
            if self.tasks[t].crew.is_some() || self.tasks[t].done {
                continue;
            }
            let target = fence_link[self.tasks[t].fence.index()];
            let operator = self.tasks[t].operator;
            let on_duty = self.on_duty(operator, now);
            let best = self
                .crews
                .iter()
                .enumerate()
                .filter(|(_, c)| c.operator == operator && c.rank < on_duty && c.free_at <= now)
                .filter_map(|(i, c)| travel(c.at_link, target).map(|(s, m)| (i, s, m)))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let Some((crew, seconds, metres)) = best else {
                continue;
            };
            let arrive = now + seconds.round() as u32;
            let c = &mut self.crews[crew];
            let from_link = c.at_link;
            c.at_link = target;
            c.km += metres / 1000.0;
            let task = &mut self.tasks[t];
            task.crew = Some(CrewId::from_index(crew));
            task.eta_s = Some(arrive);
            task.estimated_m = metres;
            if self.in_traffic {
                // busy until the truck is there, whenever the traffic lets it arrive
                c.free_at = u32::MAX;
                self.outbox.push(TruckTrip {
                    task: TaskId::from_index(t),
                    from_link,
                    to_link: target,
                    depart_s: now,
                });
            } else {
                c.free_at = arrive + HANDLING_S;
                task.arrive_s = Some(arrive);
                sent.push((t, arrive));
            }
        }
        sent
    }

    /// The crews an operator employs.
    pub fn crews_of(&self, operator: OperatorId) -> u32 {
        self.crews.iter().filter(|c| c.operator == operator).count() as u32
    }

    /// An operator's crews on duty at `t`: its part of the shift, rounded up.
    fn on_duty(&self, operator: OperatorId, t: u32) -> u32 {
        let employed = self.config.employed().max(1);
        let own = self.crews_of(operator);
        (u64::from(self.config.on_duty(t)) * u64::from(own)).div_ceil(u64::from(employed)) as u32
    }

    pub fn summary(&self) -> DispatchSummary {
        let done: Vec<&Task> = self.tasks.iter().filter(|t| t.done).collect();
        let response: f64 = done
            .iter()
            .filter_map(|t| t.arrive_s.map(|a| f64::from(a - t.opened_s)))
            .sum();
        DispatchSummary {
            tasks: self.tasks.len() as u64,
            tasks_done: done.len() as u64,
            mean_response_s: if done.is_empty() {
                0.0
            } else {
                response / done.len() as f64
            },
            truck_km: self.crews.iter().map(|c| c.km).sum(),
            bikes_moved: self.tasks.iter().map(|t| u64::from(t.bikes_moved)).sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use citytwin_city::FenceId;

    #[test]
    fn the_nearest_free_crew_is_sent_and_one_task_per_fence() {
        let mut d = Dispatcher::new(
            &DispatchConfig {
                crews: 2,
                ..DispatchConfig::default()
            },
            LinkId(0),
        );
        d.crews[1].at_link = LinkId(5);
        let alarm = |f: u32| AlarmEvent {
            minute: 0,
            fence: FenceId(f),
            kind: AlarmKind::Empty,
            opened: true,
        };
        d.open_tasks(100, &[alarm(0), alarm(0), alarm(1)]);
        assert_eq!(d.tasks.len(), 2);
        // fence 0 is on link 6, next to crew 1 (link 5); fence 1 on link 1, next to crew 0
        let fence_link = [LinkId(6), LinkId(1)];
        let mut travel = |a: LinkId, b: LinkId| {
            Some((
                f64::from(a.0.abs_diff(b.0)) * 60.0,
                f64::from(a.0.abs_diff(b.0)) * 500.0,
            ))
        };
        let sent = d.assign(100, &fence_link, &mut travel);
        assert_eq!(sent, vec![(0, 160), (1, 160)]);
        assert_eq!(
            (d.tasks[0].crew, d.tasks[1].crew),
            (Some(CrewId(1)), Some(CrewId(0)))
        );
        assert!((d.summary().truck_km - 1.0).abs() < 1e-9);
        // both crews are busy until they have handled their stop
        d.open_tasks(200, &[alarm(2)]);
        assert!(
            d.assign(200, &[LinkId(6), LinkId(1), LinkId(3)], &mut travel)
                .is_empty()
        );
    }

    #[test]
    fn shift_crews_work_only_in_their_window() {
        let config = DispatchConfig {
            crews: 1,
            shifts: vec![CrewShift {
                crews: 3,
                from_s: 17 * 3600,
                to_s: 20 * 3600,
            }],
            ..DispatchConfig::default()
        };
        assert_eq!(
            (config.on_duty(16 * 3600), config.on_duty(18 * 3600)),
            (1, 3)
        );
        assert_eq!((config.on_duty(20 * 3600), config.employed()), (1, 3));
        let alarm = |f: u32| AlarmEvent {
            minute: 0,
            fence: FenceId(f),
            kind: AlarmKind::Empty,
            opened: true,
        };
        let mut travel = |_: LinkId, _: LinkId| Some((60.0, 500.0));
        // before the shift one crew works: one of three tasks is taken
        let mut d = Dispatcher::new(&config, LinkId(0));
        d.open_tasks(16 * 3600, &[alarm(0), alarm(1), alarm(2)]);
        assert_eq!(
            d.assign(16 * 3600, &[LinkId(1), LinkId(2), LinkId(3)], &mut travel)
                .len(),
            1
        );
        // in the shift the other two join
        assert_eq!(
            d.assign(17 * 3600, &[LinkId(1), LinkId(2), LinkId(3)], &mut travel)
                .len(),
            2
        );
    }
}
