//! Scenario edits undo to nothing: on a generated grid city (no GDAL, no files), any sequence
//! of road and demand edits either applies and, undone, leaves the inputs exactly as they
//! were, or is refused and leaves them untouched.

#![allow(clippy::unwrap_used)]

use citytwin_city::synthetic::GridCity;
use citytwin_sim::scenario::{RunInputs, Scenario, undo};
use proptest::prelude::*;
use std::path::Path;

/// One edit in a scenario file's words, on link `link` of the grid.
fn edit() -> impl Strategy<Value = String> {
    // the default grid has more links than this: an unknown link is tested by the name
    let link = 0u32..200;
    prop_oneof![
        (link.clone(), 6u32..9, 10u32..12).prop_map(|(l, from, to)| format!(
            r#"CloseRoad(road: Link({l}), from: Some("{from:02}:00"), to: Some("{to:02}:00"))"#
        )),
        (link.clone(), 1u8..4, 20.0f32..60.0).prop_map(|(l, lanes, speed)| format!(
            "ChangeRoad(road: Link({l}), lanes: Some({lanes}), speed_kmh: Some({speed:.1}))"
        )),
        (link, 0u32..60, 5u32..90, 0u8..2).prop_map(|(l, at, minutes, open)| format!(
            r#"Incident(road: Link({l}), at: "08:{at:02}", minutes: {minutes}, lanes_open: {open})"#
        )),
        (0.2f64..3.0, 5u32..9).prop_map(|(factor, from)| format!(
            r#"ScaleDemand(factor: {factor:.2}, from: Some("{from:02}:00"), to: Some("10:00"))"#
        )),
        Just(r#"CloseRoad(road: Name("no such street"))"#.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn applied_then_undone_or_refused_the_inputs_are_as_they_were(
        edits in proptest::collection::vec(edit(), 1..6)
    ) {
        let city = GridCity::default().build();
        let original = RunInputs {
            roads: city.roads().clone(),
            events: Vec::new(),
            demand: Vec::new(),
            bikes: None,
            vitals: None,
            air_quality_date: None,
        };
        let text = format!(r#"(name: "p", base: "scene.ron", edits: [{}])"#, edits.join(", "));
        let scenario = Scenario::from_ron(&text).unwrap();
        let mut edited = original.clone();
        let no_positions = |_: f64, _: f64| None;
        match scenario.apply(Path::new("p.ron"), &city, &no_positions, &mut edited) {
            Ok(changes) => {
                prop_assert!(!changes.is_empty());
                undo(&changes, &mut edited);
                prop_assert!(edited == original, "{text} left a trace");
            }
            Err(_) => prop_assert!(edited == original, "{text} refused but left a trace"),
        }
    }
}
