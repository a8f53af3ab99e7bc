//! The city's rules applied to the operators: pile-ups charged to their ledgers, tasks
//! billed, locks sampled, and the day's governance report.

use super::*;
impl BikeSim {
    /// Pile-ups that opened or cleared in this minute's alarm events, into the ledger; a
    /// pile-up is charged to the operator with most bikes in the fence.
    pub(super) fn ledger_pile_ups(&mut self, from_event: usize) {
        for i in from_event..self.events.len() {
            let e = &self.events[i];
            if e.kind != AlarmKind::Overflow {
                continue;
            }
            let (fence, at_s, opened) = (e.fence, e.minute * 60, e.opened);
            if opened {
                let op = self.busiest_operator(self.bikes_in(fence, BikeState::InFence));
                self.ledger.pile_up_opened(fence.index(), at_s, op);
            } else {
                self.ledger.pile_up_cleared(fence.index(), at_s);
            }
        }
    }

    /// The operator owning most of `bikes` (ties to the first; none: by fleet).
    pub(super) fn busiest_operator(&self, bikes: impl Iterator<Item = u32>) -> usize {
        let mut n = vec![0u32; self.operators.len()];
        for b in bikes {
            n[usize::from(self.operator[b as usize])] += 1;
        }
        (0..n.len())
            .max_by_key(|&i| (n[i], self.fleet_of[i], Reverse(i)))
            .unwrap_or(0)
    }

    /// Hands each task opened since `from_task` to an operator: a surplus or an illegal-
    /// parking or blacklist alarm to the operator whose bikes are there, an empty fence to the
    /// operators in turn by fleet (the platform shares them out).
    pub(super) fn charge_tasks(&mut self, from_task: usize) {
        for t in from_task..self.dispatcher.tasks.len() {
            let (fence, kind) = {
                let task = &self.dispatcher.tasks[t];
                (task.fence, task.kind)
            };
            let op = match kind {
                AlarmKind::Overflow => {
                    self.busiest_operator(self.bikes_in(fence, BikeState::InFence))
                }
                AlarmKind::IllegalParking | AlarmKind::Blacklist => {
                    self.busiest_operator(self.outside_in_view(fence).into_iter())
                }
                AlarmKind::Broken => self.busiest_operator(self.broken_near(fence).into_iter()),
                AlarmKind::Empty => {
                    let turn = |i: usize| {
                        (self.empty_tasks_of[i] + 1) as f64 / f64::from(self.fleet_of[i].max(1))
                    };
                    let op = (0..self.operators.len())
                        .filter(|&i| self.fleet_of[i] > 0)
                        .min_by(|&a, &b| turn(a).total_cmp(&turn(b)).then(a.cmp(&b)))
                        .unwrap_or(0);
                    self.empty_tasks_of[op] += 1;
                    op
                }
            };
            self.dispatcher.tasks[t].operator = OperatorId::from_index(op);
        }
    }

    /// Each operator's locks on the street: those that report, of those out there.
    pub(super) fn sample_locks(&mut self) {
        let mut street = vec![0u32; self.operators.len()];
        let mut online = vec![0u32; self.operators.len()];
        for (b, state) in self.state.iter().enumerate() {
            let out = self.positions[b].is_some() || *state == BikeState::Riding;
            if out {
                let op = usize::from(self.operator[b]);
                street[op] += 1;
                online[op] += u32::from(!self.offline[b]);
            }
        }
        for op in 0..street.len() {
            self.ledger.locks_sampled(op, online[op], street[op]);
        }
    }

    /// The rules' figures and each operator's assessment so far.
    pub fn governance(&self) -> GovernanceReport {
        let mut days: Vec<OperatorDay> = (0..self.operators.len())
            .map(|op| OperatorDay {
                fleet: self.fleet_of[op],
                crews: self.dispatcher.crews_of(OperatorId::from_index(op)),
                rides: self.rides_of[op],
                rides_in_fence: self.in_fence_of[op],
                broken_waiting_since: Vec::new(),
            })
            .collect();
        // broken bikes still on the street (those in the workshop have no position)
        for b in 0..self.state.len() {
            if self.state[b] == BikeState::Broken && self.positions[b].is_some() {
                days[usize::from(self.operator[b])]
                    .broken_waiting_since
                    .push(self.broken_since[b]);
            }
        }
        let names: Vec<String> = self.operators.iter().map(|o| o.name.clone()).collect();
        self.ledger.report(self.now, &names, &days)
    }

    /// The operators, in bike-numbering order, and each one's bikes.
    pub fn operators(&self) -> impl Iterator<Item = (&OperatorConfig, std::ops::Range<u32>)> {
        let mut first = 0;
        self.operators
            .iter()
            .zip(&self.fleet_of)
            .map(move |(o, &n)| {
                let range = first..first + n;
                first += n;
                (o, range)
            })
    }

    /// The operator of a bike, by position in [`BikeSim::operators`].
    pub fn operator_of(&self, bike: BikeId) -> OperatorId {
        OperatorId(self.operator.get(bike.index()).map_or(0, |&o| u32::from(o)))
    }

    pub(super) fn govern(&mut self, minute: u32) {
        let counts = std::mem::take(&mut self.counts);
        let mut outside = vec![0; counts.len()];
        for &f in &self.plan.monitored {
            if let Some(n) = outside.get_mut(f.index()) {
                *n = self.outside_in_view(f).len() as u32;
            }
        }
        self.alarms.observe(
            minute,
            &counts,
            &outside,
            &self.plan.fences,
            &mut self.events,
        );
        self.counts = counts;
    }
}
