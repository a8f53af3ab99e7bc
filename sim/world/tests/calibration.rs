//! Calibration recovers known parameters: a generated city's day is simulated with chosen
//! parameters, its link counts are taken and perturbed (±5%, as counting errors), and the fit,
//! started from the defaults, finds the chosen parameters again.

#![allow(clippy::unwrap_used)]

use citytwin_city::synthetic::GridCity;
use citytwin_sim::calibrate::counts::CountSite;
use citytwin_sim::calibrate::targets::{IndicatorKind, Param, Targets};
use citytwin_sim::calibrate::{calibrate, simulate};
use citytwin_sim::model::SceneModel;
use citytwin_traffic::demand::CityTotals;

fn base() -> SceneModel {
    SceneModel {
        totals: CityTotals {
            population: Some(20_000.0),
            jobs: None,
        },
        ..SceneModel::default()
    }
}

#[test]
fn counts_from_known_parameters_give_them_back() {
    let city = GridCity::default().build();
    let mut truth = base();
    truth.params.demand.scale = 0.65;
    truth.params.demand.external_share = 0.15;
    // every car link in four hour-long periods, from the true day
    let hours = [7, 8, 12, 17];
    let all: Vec<CountSite> = (0..city.roads().links.len() as u32)
        .filter(|&l| city.roads().links[l as usize].carries_cars())
        .flat_map(|l| {
            hours.iter().map(move |&h| CountSite {
                line: 0,
                links: vec![l],
                from_s: h * 3600,
                to_s: (h + 1) * 3600,
                count: Some(0.0),
                speed_kmh: None,
            })
        })
        .collect();
    let day = simulate(&city, &truth, (0, 86_400), 1, &all, &|| true)
        .unwrap()
        .unwrap();
    // the busier link-hours, counted with a ±5% error
    let sites: Vec<CountSite> = all
        .iter()
        .zip(&day.counts)
        .filter(|(_, (flow, _))| *flow >= 60.0)
        .enumerate()
        .map(|(i, (s, (flow, _)))| CountSite {
            line: i + 2,
            count: Some((flow * (1.0 + 0.05 * ((i * 7 % 11) as f64 / 5.0 - 1.0))).round()),
            ..s.clone()
        })
        .collect();
    assert!(sites.len() > 100, "{} counted link-hours", sites.len());
    let targets = Targets {
        indicators: Vec::new(),
        counts: Some("counts.csv".into()),
        fit: vec![Param::DemandScale, Param::ExternalShare],
        max_runs: 14,
        from: "00:00".into(),
        to: "24:00".into(),
        seed: 1,
        days: 1,
    };
    let fit = calibrate(&city, &base(), &targets, &sites, &|_| {}, &|| true).unwrap();
    let (scale, external) = (fit.params.demand.scale, fit.params.demand.external_share);
    assert!(
        (scale / 0.65 - 1.0).abs() < 0.08,
        "demand.scale {scale}, truth 0.65"
    );
    assert!(
        (external / 0.15 - 1.0).abs() < 0.15,
        "demand.external_share {external}, truth 0.15"
    );
    assert!(fit.counts.geh_below_5_share >= 0.85, "{:?}", fit.counts);
    // from the defaults (0.5, 0.1) the misses shrank
    assert!(fit.runs[0].cost > 4.0 * fit.cost, "{:?}", fit.runs);
}

#[test]
fn the_same_fit_twice_is_the_same_fit() {
    let city = GridCity::default().build();
    let targets = Targets {
        indicators: vec![citytwin_sim::calibrate::targets::Indicator {
            kind: citytwin_sim::calibrate::targets::IndicatorKind::PeakSpeedKmh,
            value: 30.0,
            tolerance: 1.0,
            source: "test".into(),
        }],
        counts: None,
        fit: vec![Param::Speed(
            citytwin_sim::calibrate::targets::ClassGroup::All,
        )],
        max_runs: 5,
        from: "06:00".into(),
        to: "24:00".into(),
        seed: 3,
        days: 2,
    };
    let a = calibrate(&city, &base(), &targets, &[], &|_| {}, &|| true).unwrap();
    let b = calibrate(&city, &base(), &targets, &[], &|_| {}, &|| true).unwrap();
    assert_eq!(a.params, b.params);
    assert_eq!(a.runs, b.runs);
    // a candidate is judged by its two days, seeds 3 and 4, as each simulated alone
    let fitted = SceneModel {
        params: a.params.clone(),
        ..base()
    };
    let day = |seed| {
        simulate(&city, &fitted, (6 * 3600, 86_400), seed, &[], &|| true)
            .unwrap()
            .unwrap()
            .days
    };
    assert_eq!(a.observed.days, [day(3), day(4)].concat());
    let speed = |s: &citytwin_traffic::dynamic::TrafficSummary| s.peak_speed_kmh;
    let mean = (speed(&a.observed.days[0]) + speed(&a.observed.days[1])) / 2.0;
    assert_eq!(a.observed.indicator(IndicatorKind::PeakSpeedKmh), mean);
    assert_ne!(a.observed.days[0], a.observed.days[1]);
}
