//! What a city requires of its shared-bike operators, as a scene writes it: the governance
//! rules (`rules:`) and the operators licensed to run fleets (`operators:`). Data only; the
//! bike simulation checks the rules through the day (`citytwin_bikes::governance`).
//!
//! The default rules are the ones Chinese cities write into their operator agreements
//! (docs/bikes.md cites them): bikes parked inside fences around metro entrances, pile-ups
//! cleared within 4 h, broken bikes handled within 2 h, each operator's fleet capped per
//! resident, and bikes reporting their position online.

use serde::{Deserialize, Serialize};

/// One rule, with its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Rule {
    /// Rides ended within `radius_m` of a metro entrance's fence must end inside a fence, for
    /// at least `min_share` of them.
    KeyAreaParking { min_share: f64, radius_m: f64 },
    /// An overflowing fence (a pile-up) must be cleared within `within_h` hours.
    OverflowCleared { within_h: f64 },
    /// A broken bike must be taken off the street within `within_h` hours.
    BrokenHandled { within_h: f64 },
    /// An operator's fleet may not exceed `per_mille` bikes per 1,000 residents.
    FleetCap { per_mille: f64 },
    /// At least `min_share` of an operator's bikes on the street must report online.
    OnlineShare { min_share: f64 },
}

impl Rule {
    /// The rule's id in summary.json and on the wall.
    pub fn id(&self) -> &'static str {
        match self {
            Rule::KeyAreaParking { .. } => "key_area_parking",
            Rule::OverflowCleared { .. } => "overflow_cleared",
            Rule::BrokenHandled { .. } => "broken_handled",
            Rule::FleetCap { .. } => "fleet_cap",
            Rule::OnlineShare { .. } => "online_share",
        }
    }

    /// The target as summary.json reports it: a share, hours, or bikes per 1,000 residents.
    pub fn target(&self) -> f64 {
        match *self {
            Rule::KeyAreaParking { min_share, .. } | Rule::OnlineShare { min_share } => min_share,
            Rule::OverflowCleared { within_h } | Rule::BrokenHandled { within_h } => within_h,
            Rule::FleetCap { per_mille } => per_mille,
        }
    }

    /// Share of a rule's checks that must pass for the rule to be met: the parking share for
    /// key areas, every case for the others (each pile-up, broken bike, 15-minute online
    /// sample and fleet count is one check).
    pub fn required_share(&self) -> f64 {
        match *self {
            Rule::KeyAreaParking { min_share, .. } => min_share,
            _ => 1.0,
        }
    }

    /// The defaults (docs/bikes.md).
    pub fn defaults() -> Vec<Rule> {
        vec![
            Rule::KeyAreaParking {
                min_share: 0.98,
                radius_m: 100.0,
            },
            Rule::OverflowCleared { within_h: 4.0 },
            Rule::BrokenHandled { within_h: 2.0 },
            Rule::FleetCap { per_mille: 5.0 },
            Rule::OnlineShare { min_share: 0.95 },
        ]
    }

    /// Why the rule's numbers make no sense, if they do not.
    pub fn invalid(&self) -> Option<String> {
        let share = |name: &str, v: f64| {
            (!(v > 0.0 && v <= 1.0))
                .then(|| format!("{name}: expected a share in (0, 1], found {v}"))
        };
        let positive = |name: &str, v: f64| {
            (!(v > 0.0 && v.is_finite()))
                .then(|| format!("{name}: expected a positive number, found {v}"))
        };
        match *self {
            Rule::KeyAreaParking {
                min_share,
                radius_m,
            } => share("min_share", min_share).or_else(|| positive("radius_m", radius_m)),
            Rule::OverflowCleared { within_h } | Rule::BrokenHandled { within_h } => {
                positive("within_h", within_h)
            }
            Rule::FleetCap { per_mille } => positive("per_mille", per_mille),
            Rule::OnlineShare { min_share } => share("min_share", min_share),
        }
    }
}

/// The most bikes an operator may run under the `FleetCap` rule among `rules` in a city of
/// `residents` (`None`: no cap, or the residents are unknown).
pub fn fleet_cap(rules: &[Rule], residents: f64) -> Option<u32> {
    rules.iter().find_map(|r| match *r {
        Rule::FleetCap { per_mille } if residents > 0.0 => {
            Some((per_mille * residents / 1000.0).floor() as u32)
        }
        _ => None,
    })
}

/// An operator licensed to run bikes in the city.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    pub name: String,
    /// Its share of the city's fleet (shares are normalised over the operators).
    pub share: f64,
    /// Share of its bikes whose smart lock does not report (a dead battery, no signal).
    #[serde(default = "default_offline_locks")]
    pub offline_locks: f64,
    /// Its blacklist: one bike number per line (its own numbering, from 0), as
    /// `--blacklist` reads them; by default every 100th of its bikes.
    #[serde(default)]
    pub blacklist: Option<std::path::PathBuf>,
}

/// Share of locks offline: the operators' own figure for their IoT locks' online rate is
/// about 98% (docs/bikes.md).
pub fn default_offline_locks() -> f64 {
    0.02
}

/// Why a scene's rules and operators make no sense, naming the field: a rule given twice, a
/// target out of range, an operator named twice, a share that is not positive.
pub fn check(rules: &[Rule], operators: &[OperatorSpec]) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        if rules[..i].iter().any(|r| r.id() == rule.id()) {
            return Err(format!("rules[{i}]: {} is given twice", rule.id()));
        }
        if let Some(why) = rule.invalid() {
            return Err(format!("rules[{i}] ({}): {why}", rule.id()));
        }
    }
    for (i, op) in operators.iter().enumerate() {
        if op.name.trim().is_empty() {
            return Err(format!("operators[{i}].name: expected a name"));
        }
        if operators[..i].iter().any(|o| o.name == op.name) {
            return Err(format!(
                "operators[{i}].name: operator {:?} is named twice",
                op.name
            ));
        }
        if !(op.share > 0.0 && op.share.is_finite()) {
            return Err(format!(
                "operators[{i}].share: expected a positive number, found {}",
                op.share
            ));
        }
        if !(0.0..1.0).contains(&op.offline_locks) {
            return Err(format!(
                "operators[{i}].offline_locks: expected a share in [0, 1), found {}",
                op.offline_locks
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, share: f64) -> OperatorSpec {
        OperatorSpec {
            name: name.into(),
            share,
            offline_locks: 0.02,
            blacklist: None,
        }
    }

    #[test]
    fn the_defaults_are_valid_and_bad_rules_or_operators_are_named() {
        assert_eq!(
            check(&Rule::defaults(), &[op("a", 1.0), op("b", 2.0)]),
            Ok(())
        );
        let twice = [
            Rule::FleetCap { per_mille: 5.0 },
            Rule::FleetCap { per_mille: 4.0 },
        ];
        assert_eq!(
            check(&twice, &[]),
            Err("rules[1]: fleet_cap is given twice".into())
        );
        let negative = [Rule::OverflowCleared { within_h: -4.0 }];
        assert!(
            check(&negative, &[])
                .unwrap_err()
                .contains("rules[0] (overflow_cleared): within_h")
        );
        let err = check(&[], &[op("a", 1.0), op("a", 1.0)]).unwrap_err();
        assert!(err.starts_with("operators[1].name"), "{err}");
        assert!(
            check(&[], &[op("a", 0.0)])
                .unwrap_err()
                .starts_with("operators[0].share")
        );
    }

    #[test]
    fn an_unknown_rule_or_field_is_refused() {
        let err = ron::from_str::<Vec<Rule>>("[FleetCapp(per_mille: 5.0)]").unwrap_err();
        assert!(err.to_string().contains("FleetCapp"), "{err}");
        let err = ron::from_str::<Vec<Rule>>("[FleetCap(per_mile: 5.0)]").unwrap_err();
        assert!(err.to_string().contains("per_mile"), "{err}");
    }
}
