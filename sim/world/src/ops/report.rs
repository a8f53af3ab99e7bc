//! What a run reports of its operations: the vital signs' time series (city and districts),
//! and `summary.json`'s `vitals.`, `quality.` and `cases.` sections.

use super::OpsSim;
use citytwin_ops::Level;
use citytwin_ops::cases::CaseState;
use citytwin_ops::desk::Backlog;
use citytwin_ops::feeds::Counts;
use citytwin_ops::model::Source;
use citytwin_ops::quality::{FeedFault, QualityScore};
use citytwin_ops::vitals::{Scope, VitalSigns};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One indicator of one area at one time (`vitals.csv`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VitalRow {
    pub at_s: u32,
    /// `city` or the district's name.
    pub scope: String,
    pub indicator: String,
    pub value: f64,
    pub level: Level,
}

pub(super) fn rows(vitals: &VitalSigns, now: u32, districts: &[String]) -> Vec<VitalRow> {
    vitals
        .vitals
        .iter()
        .filter(|(_, v)| v.history.latest().is_some_and(|(t, _)| *t == now))
        .filter_map(|((indicator, scope), v)| {
            let scope = match scope {
                Scope::City => "city".to_string(),
                Scope::District(d) => districts
                    .get(d.index())
                    .cloned()
                    .unwrap_or_else(|| d.to_string()),
                Scope::Cell(_) => return None,
            };
            Some(VitalRow {
                at_s: now,
                scope,
                indicator: indicator.key(),
                value: v.value,
                level: v.level,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IndicatorStats {
    pub last: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Shares of the updates at amber and at red.
    pub amber_share: f64,
    pub red_share: f64,
    pub updates: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VitalsSummary {
    pub city: BTreeMap<String, IndicatorStats>,
    pub districts: BTreeMap<String, BTreeMap<String, IndicatorStats>>,
    /// Grid cells that were red on some indicator at the last update.
    pub red_cells: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScoreMeans {
    pub completeness: f64,
    pub timeliness: f64,
    pub validity: f64,
    pub consistency: f64,
    pub overall: f64,
}

impl ScoreMeans {
    fn add(&mut self, s: &QualityScore) {
        self.completeness += s.completeness;
        self.timeliness += s.timeliness;
        self.validity += s.validity;
        self.consistency += s.consistency;
        self.overall += s.overall();
    }

    /// Sums of `n` scores → their means.
    fn mean_of(&mut self, n: u32) {
        if n > 0 {
            let n = f64::from(n);
            for v in [
                &mut self.completeness,
                &mut self.timeliness,
                &mut self.validity,
                &mut self.consistency,
                &mut self.overall,
            ] {
                *v /= n;
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FeedQuality {
    pub feeds: u32,
    pub scores: ScoreMeans,
    pub received: Counts,
    pub stale_alarms: u32,
    pub broken_alarms: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QualitySummary {
    pub periods: u32,
    /// By source: `virtual`, `replay`, `live`.
    pub by_source: BTreeMap<String, FeedQuality>,
    /// Every replayed and live feed by name (virtual ones are too many to list).
    pub feeds: BTreeMap<String, FeedQuality>,
    pub unknown_datastream: u64,
    pub malformed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StageMinutes {
    /// Discovered → dispatched, dispatched → in progress, in progress → disposed, disposed →
    /// evaluated; means over the cases that went through each stage (first pass).
    pub to_dispatch: f64,
    pub to_arrive: f64,
    pub on_site: f64,
    pub to_evaluate: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServiceCases {
    pub opened: u32,
    pub closed: u32,
    /// `None` (null) where none of the service's cases was disposed of (all duplicates or
    /// not the city's business): no share, rather than a share of 0.
    pub sla_met_share: Option<f64>,
    #[serde(skip)]
    disposed: u32,
    #[serde(skip)]
    in_time: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CasesSummary {
    pub opened: u32,
    pub closed: u32,
    pub open_now: u32,
    pub duplicates: u32,
    pub not_responsible: u32,
    /// Of the cases disposed of, the share disposed of by their expected time.
    pub sla_met_share: f64,
    pub reopen_rate: f64,
    pub mean_minutes: StageMinutes,
    pub by_service: BTreeMap<String, ServiceCases>,
    /// Open and waiting cases every 15 minutes.
    pub backlog: Vec<Backlog>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OpsSummary {
    pub sensors: u32,
    pub datastreams: u32,
    pub vitals: VitalsSummary,
    pub quality: QualitySummary,
    pub cases: CasesSummary,
}

fn stats<'a>(samples: impl Iterator<Item = (f64, Level)> + 'a) -> IndicatorStats {
    let mut s = IndicatorStats {
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        ..IndicatorStats::default()
    };
    let (mut sum, mut amber, mut red) = (0.0, 0u32, 0u32);
    for (v, level) in samples {
        s.updates += 1;
        s.last = v;
        sum += v;
        s.min = s.min.min(v);
        s.max = s.max.max(v);
        amber += u32::from(level == Level::Amber);
        red += u32::from(level == Level::Red);
    }
    if s.updates == 0 {
        return IndicatorStats::default();
    }
    let n = f64::from(s.updates);
    s.mean = sum / n;
    s.amber_share = f64::from(amber) / n;
    s.red_share = f64::from(red) / n;
    s
}

fn vitals_summary(ops: &OpsSim) -> VitalsSummary {
    let mut by_area: BTreeMap<(String, String), Vec<(f64, Level)>> = BTreeMap::new();
    for r in &ops.vital_rows {
        by_area
            .entry((r.scope.clone(), r.indicator.clone()))
            .or_default()
            .push((r.value, r.level));
    }
    let mut out = VitalsSummary::default();
    for ((scope, indicator), samples) in by_area {
        let s = stats(samples.into_iter());
        if scope == "city" {
            out.city.insert(indicator, s);
        } else {
            out.districts.entry(scope).or_default().insert(indicator, s);
        }
    }
    let at = ops.vitals.at_s;
    let mut red = std::collections::BTreeSet::new();
    for ((_, scope), v) in &ops.vitals.vitals {
        if let Scope::Cell(c) = scope
            && v.level == Level::Red
            && v.history.latest().is_some_and(|(t, _)| *t == at)
        {
            red.insert(*c);
        }
    }
    out.red_cells = red.len() as u32;
    out
}

fn source_key(s: &Source) -> &'static str {
    match s {
        Source::Virtual => "virtual",
        Source::Replay { .. } => "replay",
        Source::Live => "live",
    }
}

fn quality_summary(ops: &OpsSim) -> QualitySummary {
    let mut out = QualitySummary {
        periods: ops.quality.len() as u32,
        unknown_datastream: ops.feeds.unknown,
        malformed: ops.malformed,
        ..QualitySummary::default()
    };
    // (per feed?, name) → sums over feeds and their periods, and the number of periods
    let mut sums: BTreeMap<(bool, String), (FeedQuality, u32)> = BTreeMap::new();
    for feed in ops.feeds.iter() {
        let id = feed.stream.id;
        let faults = ops.faults.iter().filter(|(_, ds, _)| *ds == id);
        let stale = faults.clone().filter(|f| f.2 == FeedFault::Stale).count() as u32;
        let broken = faults.filter(|f| f.2 == FeedFault::Broken).count() as u32;
        let source = source_key(&feed.stream.source);
        let mut keys = vec![(false, source.to_string())];
        if source != "virtual" {
            keys.push((true, feed.stream.name.clone()));
        }
        for key in keys {
            let (acc, periods) = sums.entry(key).or_default();
            acc.feeds += 1;
            acc.received.merge(&feed.total);
            acc.stale_alarms += stale;
            acc.broken_alarms += broken;
            for p in &ops.quality {
                acc.scores.add(&p.scores[id.index()]);
                *periods += 1;
            }
        }
    }
    for ((per_feed, key), (mut q, periods)) in sums {
        q.scores.mean_of(periods);
        if per_feed {
            out.feeds.insert(key, q);
        } else {
            out.by_source.insert(key, q);
        }
    }
    out
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

fn cases_summary(ops: &OpsSim, now: u32) -> CasesSummary {
    let cases = ops.desk.cases();
    let mut out = CasesSummary {
        opened: cases.len() as u32,
        ..CasesSummary::default()
    };
    let (mut disposed, mut in_time, mut reopened) = (0u32, 0u32, 0u32);
    let mut stages: [Vec<f64>; 4] = Default::default();
    let pairs = [
        (CaseState::Discovered, CaseState::Dispatched),
        (CaseState::Dispatched, CaseState::InProgress),
        (CaseState::InProgress, CaseState::Disposed),
        (CaseState::Disposed, CaseState::Evaluated),
    ];
    for c in cases {
        let state = c.state();
        let service = out
            .by_service
            .entry(c.filing.service_code.clone())
            .or_default();
        service.opened += 1;
        match state {
            CaseState::Duplicate => out.duplicates += 1,
            CaseState::NotResponsible => out.not_responsible += 1,
            _ => {}
        }
        if state.is_closed() {
            out.closed += 1;
            service.closed += 1;
        } else {
            out.open_now += 1;
        }
        if let Some(met) = c.sla_met() {
            disposed += 1;
            in_time += u32::from(met);
            service.disposed += 1;
            service.in_time += u32::from(met);
        }
        reopened += u32::from(c.reopened());
        for (k, (a, b)) in pairs.iter().enumerate() {
            if let (Some(ta), Some(tb)) = (c.first(*a), c.first(*b)) {
                stages[k].push(f64::from(tb.saturating_sub(ta)) / 60.0);
            }
        }
    }
    for s in out.by_service.values_mut() {
        s.sla_met_share = (s.disposed > 0).then(|| f64::from(s.in_time) / f64::from(s.disposed));
    }
    out.sla_met_share = if disposed > 0 {
        f64::from(in_time) / f64::from(disposed)
    } else {
        0.0
    };
    let dispatched = cases
        .iter()
        .filter(|c| c.first(CaseState::Dispatched).is_some())
        .count();
    out.reopen_rate = if dispatched > 0 {
        f64::from(reopened) / dispatched as f64
    } else {
        0.0
    };
    out.mean_minutes = StageMinutes {
        to_dispatch: mean(&stages[0]),
        to_arrive: mean(&stages[1]),
        on_site: mean(&stages[2]),
        to_evaluate: mean(&stages[3]),
    };
    out.backlog = ops
        .backlog
        .iter()
        .filter(|b| b.at_s.is_multiple_of(900) || b.at_s == now)
        .copied()
        .collect();
    out
}

pub(super) fn summary(ops: &OpsSim, now: u32) -> OpsSummary {
    OpsSummary {
        sensors: ops.things().len() as u32,
        datastreams: ops.feeds.len() as u32,
        vitals: vitals_summary(ops),
        quality: quality_summary(ops),
        cases: cases_summary(ops, now),
    }
}
