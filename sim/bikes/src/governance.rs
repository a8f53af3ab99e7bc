//! The governance platform's ledger: every check of every rule (`citytwin_city::governance`),
//! per operator, through the day, and the assessment score cities set next period's quotas
//! from.
//!
//! What counts as one check: a ride ended near a metro entrance (key-area parking), a pile-up
//! (an overflow alarm, charged to the operator with most bikes in the fence when it opened), a
//! broken bike, a 15-minute sample of each operator's locks, and each operator's fleet against
//! the cap. A pile-up or broken bike still waiting past its limit is a breach already; one
//! still within it is not counted yet. A rule with no checks is met (nothing to breach).
//!
//! Score: 100 × the mean over rules of min(1, met share / required share), per operator; the
//! city's is the same over every operator's checks (docs/bikes.md).

use citytwin_city::governance::{Rule, fleet_cap};
use serde::{Deserialize, Serialize};

/// One operator as the bike model runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperatorConfig {
    pub name: String,
    /// Share of the fleet (normalised over the operators).
    pub share: f64,
    /// Share of its locks that do not report.
    pub offline_locks: f64,
    /// Its blacklisted bikes, by its own numbering; `None`: every `blacklist_every`-th.
    pub blacklist: Option<Vec<u32>>,
}

impl OperatorConfig {
    /// The single operator of a scene that names none.
    pub fn sole() -> OperatorConfig {
        OperatorConfig {
            name: "operator".into(),
            share: 1.0,
            offline_locks: citytwin_city::governance::default_offline_locks(),
            blacklist: None,
        }
    }
}

/// Checks and passes of one rule for one operator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Tally {
    checks: u64,
    passed: u64,
}

impl Tally {
    fn add(&mut self, passed: bool) {
        self.checks += 1;
        self.passed += u64::from(passed);
    }
}

/// A rule's figures in summary.json (`governance.rules[]`, and per operator).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleReport {
    pub id: String,
    pub target: f64,
    /// Share of the checks that passed (1 with no checks).
    pub met_share: f64,
    pub checks: u64,
    pub breaches: u64,
    /// Whether the met share reaches what the rule requires.
    pub met: bool,
}

/// An operator's assessment (`governance.operators[]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperatorReport {
    pub name: String,
    pub fleet: u32,
    pub crews: u32,
    pub rides: u64,
    /// Share of its ended rides left inside a fence.
    pub parking_compliance: f64,
    /// 0–100 (see the module's doc).
    pub score: f64,
    pub rules: Vec<RuleReport>,
}

/// The `governance` block of summary.json.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GovernanceReport {
    /// The city's score over every operator's checks.
    pub score: f64,
    pub rules: Vec<RuleReport>,
    pub operators: Vec<OperatorReport>,
}

/// Per operator figures the ledger does not keep itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OperatorDay {
    pub fleet: u32,
    pub crews: u32,
    pub rides: u64,
    pub rides_in_fence: u64,
    /// Since when each of its broken bikes on the street has waited (seconds).
    pub broken_waiting_since: Vec<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ledger {
    pub rules: Vec<Rule>,
    /// [rule][operator]
    tallies: Vec<Vec<Tally>>,
    /// Per fence, the open pile-up: (opened, operator charged), seconds.
    pile_ups: Vec<Option<(u32, usize)>>,
    residents: f64,
}

impl Ledger {
    pub fn new(rules: Vec<Rule>, operators: usize, fences: usize, residents: f64) -> Ledger {
        Ledger {
            tallies: vec![vec![Tally::default(); operators]; rules.len()],
            rules,
            pile_ups: vec![None; fences],
            residents,
        }
    }

    /// The rule `pick` recognises, by index, with the figure `pick` takes from it.
    fn rule(&self, pick: impl Fn(&Rule) -> Option<f64>) -> Option<(usize, f64)> {
        self.rules
            .iter()
            .enumerate()
            .find_map(|(i, r)| pick(r).map(|v| (i, v)))
    }

    fn tally(&mut self, rule: usize, operator: usize, passed: bool) {
        if let Some(t) = self.tallies[rule].get_mut(operator) {
            t.add(passed);
        }
    }

    /// The key-area radius, when the rule is on.
    pub fn key_area_radius(&self) -> Option<f64> {
        self.rule(key_area).map(|(_, radius)| radius)
    }

    /// A ride ended in a key area, inside a fence or not.
    pub fn key_area_ride(&mut self, operator: usize, in_fence: bool) {
        if let Some((r, _)) = self.rule(key_area) {
            self.tally(r, operator, in_fence);
        }
    }

    pub fn pile_up_opened(&mut self, fence: usize, at_s: u32, operator: usize) {
        if let Some(p) = self.pile_ups.get_mut(fence) {
            *p = Some((at_s, operator));
        }
    }

    pub fn pile_up_cleared(&mut self, fence: usize, at_s: u32) {
        let Some((since, operator)) = self.pile_ups.get_mut(fence).and_then(Option::take) else {
            return;
        };
        if let Some((r, hours)) = self.rule(overflow_hours) {
            self.tally(r, operator, !overdue(since, at_s, hours));
        }
    }

    /// A broken bike that broke at `since` was taken off the street at `at_s`.
    pub fn broken_handled(&mut self, operator: usize, since: u32, at_s: u32) {
        if let Some((r, hours)) = self.rule(broken_hours) {
            self.tally(r, operator, !overdue(since, at_s, hours));
        }
    }

    /// One sample of an operator's locks: `online` of `street` bikes report.
    pub fn locks_sampled(&mut self, operator: usize, online: u32, street: u32) {
        let online_min = |r: &Rule| match *r {
            Rule::OnlineShare { min_share } => Some(min_share),
            _ => None,
        };
        if let Some((r, min)) = self.rule(online_min)
            && street > 0
        {
            self.tally(r, operator, f64::from(online) >= min * f64::from(street));
        }
    }

    /// The figures at `now`: the tallies, plus what waits past its limit, plus the fleet caps.
    pub fn report(&self, now: u32, names: &[String], days: &[OperatorDay]) -> GovernanceReport {
        let mut tallies = self.tallies.clone();
        if let Some((r, hours)) = self.rule(overflow_hours) {
            for &(since, op) in self.pile_ups.iter().flatten() {
                if overdue(since, now, hours)
                    && let Some(t) = tallies[r].get_mut(op)
                {
                    t.add(false);
                }
            }
        }
        if let Some((r, hours)) = self.rule(broken_hours) {
            for (op, day) in days.iter().enumerate() {
                for &since in &day.broken_waiting_since {
                    if overdue(since, now, hours) {
                        tallies[r][op].add(false);
                    }
                }
            }
        }
        let capped = |r: &Rule| matches!(r, Rule::FleetCap { .. }).then_some(0.0);
        if let (Some((r, _)), Some(cap)) =
            (self.rule(capped), fleet_cap(&self.rules, self.residents))
        {
            for (op, day) in days.iter().enumerate() {
                tallies[r][op].add(day.fleet <= cap);
            }
        }
        let rule_report = |r: usize, t: Tally| {
            let rule = &self.rules[r];
            let met_share = if t.checks == 0 {
                1.0
            } else {
                t.passed as f64 / t.checks as f64
            };
            RuleReport {
                id: rule.id().into(),
                target: rule.target(),
                met_share,
                checks: t.checks,
                breaches: t.checks - t.passed,
                met: met_share + 1e-12 >= rule.required_share(),
            }
        };
        let score = |rules: &[RuleReport]| {
            if rules.is_empty() {
                return 100.0;
            }
            let sum: f64 = rules
                .iter()
                .zip(&self.rules)
                .map(|(rep, rule)| (rep.met_share / rule.required_share()).min(1.0))
                .sum();
            100.0 * sum / rules.len() as f64
        };
        let operators = days
            .iter()
            .enumerate()
            .map(|(op, day)| {
                let rules: Vec<RuleReport> = (0..self.rules.len())
                    .map(|r| rule_report(r, tallies[r].get(op).copied().unwrap_or_default()))
                    .collect();
                OperatorReport {
                    name: names.get(op).cloned().unwrap_or_default(),
                    fleet: day.fleet,
                    crews: day.crews,
                    rides: day.rides,
                    parking_compliance: if day.rides > 0 {
                        day.rides_in_fence as f64 / day.rides as f64
                    } else {
                        1.0
                    },
                    score: score(&rules),
                    rules,
                }
            })
            .collect();
        let city: Vec<RuleReport> = (0..self.rules.len())
            .map(|r| {
                let t = tallies[r].iter().fold(Tally::default(), |a, t| Tally {
                    checks: a.checks + t.checks,
                    passed: a.passed + t.passed,
                });
                rule_report(r, t)
            })
            .collect();
        GovernanceReport {
            score: score(&city),
            rules: city,
            operators,
        }
    }
}

fn key_area(r: &Rule) -> Option<f64> {
    match *r {
        Rule::KeyAreaParking { radius_m, .. } => Some(radius_m),
        _ => None,
    }
}

fn overflow_hours(r: &Rule) -> Option<f64> {
    match *r {
        Rule::OverflowCleared { within_h } => Some(within_h),
        _ => None,
    }
}

fn broken_hours(r: &Rule) -> Option<f64> {
    match *r {
        Rule::BrokenHandled { within_h } => Some(within_h),
        _ => None,
    }
}

/// Whether something waiting since `since` is past a limit of `hours` at `now`.
fn overdue(since: u32, now: u32, hours: f64) -> bool {
    f64::from(now.saturating_sub(since)) > (hours * 3600.0).round()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(fleet: u32) -> OperatorDay {
        OperatorDay {
            fleet,
            ..OperatorDay::default()
        }
    }

    #[test]
    fn checks_become_met_shares_breaches_and_scores() {
        let mut l = Ledger::new(Rule::defaults(), 2, 3, 100_000.0);
        for i in 0..100 {
            l.key_area_ride(0, i != 0);
            l.key_area_ride(1, i >= 10);
        }
        // a pile-up cleared in 3 h, one left for 5 h at 20:00
        l.pile_up_opened(0, 3600, 0);
        l.pile_up_cleared(0, 3600 + 3 * 3600);
        l.pile_up_opened(1, 15 * 3600, 1);
        let mut b = day(600);
        b.broken_waiting_since = vec![19 * 3600];
        let report = l.report(20 * 3600, &["a".into(), "b".into()], &[day(400), b]);
        let rule = |op: usize, id: &str| {
            report.operators[op]
                .rules
                .iter()
                .find(|r| r.id == id)
                .cloned()
                .unwrap()
        };
        let a_key = rule(0, "key_area_parking");
        assert_eq!((a_key.checks, a_key.breaches, a_key.met), (100, 1, true));
        let b_key = rule(1, "key_area_parking");
        assert!((b_key.met_share - 0.9).abs() < 1e-9 && !b_key.met);
        assert_eq!(rule(0, "overflow_cleared").breaches, 0);
        assert_eq!(rule(1, "overflow_cleared").breaches, 1);
        // waiting for 1 h of the 2 allowed: not counted yet
        assert_eq!(rule(1, "broken_handled").checks, 0);
        // 5 per 1,000 of 100,000 residents: 500 bikes
        assert!(rule(0, "fleet_cap").met && !rule(1, "fleet_cap").met);
        assert_eq!(report.operators[0].score, 100.0);
        // b: key area 0.9/0.98, overflow 0, fleet 0, the others full
        let expected = 100.0 * (0.9 / 0.98 + 0.0 + 1.0 + 0.0 + 1.0) / 5.0;
        assert!((report.operators[1].score - expected).abs() < 1e-9);
        let city_key = report
            .rules
            .iter()
            .find(|r| r.id == "key_area_parking")
            .unwrap();
        assert_eq!((city_key.checks, city_key.breaches), (200, 11));
    }
}
