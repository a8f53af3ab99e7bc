//! Static assignment against the best-known SiouxFalls solution (TNTP).

#![allow(clippy::unwrap_used)]

use citytwin_traffic::assign::{AssignNetwork, AssignOptions, OdDemand, assign, assign_until};
use citytwin_traffic::tntp::{self, CostWeights};
use std::ops::ControlFlow;
use std::path::Path;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/SiouxFalls");
/// The README's best-known objective, quoted (as in the 1980s papers) in units of 10⁵.
const BEST_OBJECTIVE: f64 = 42.313_352_871_074_4e5;

fn sioux_falls() -> (AssignNetwork, OdDemand) {
    let net = tntp::read_net(&Path::new(DIR).join("SiouxFalls_net.tntp")).unwrap();
    let trips = tntp::read_trips(&Path::new(DIR).join("SiouxFalls_trips.tntp")).unwrap();
    assert!((trips.total() - 360_600.0).abs() < 1e-6);
    (
        AssignNetwork::from_tntp(&net, CostWeights::default()),
        OdDemand::from_tntp(&trips),
    )
}

/// RMSE of link flows against the best-known ones, relative to their mean.
fn relative_rmse(net: &AssignNetwork, flows: &[f64], best: &[(u32, u32, f64, f64)]) -> f64 {
    assert_eq!(best.len(), flows.len());
    let mut sq = 0.0;
    for (a, &(from, to, volume, _)) in best.iter().enumerate() {
        assert_eq!((net.from[a] + 1, net.to[a] + 1), (from, to));
        sq += (flows[a] - volume).powi(2);
    }
    let mean = best.iter().map(|r| r.2).sum::<f64>() / best.len() as f64;
    (sq / best.len() as f64).sqrt() / mean
}

#[test]
fn sioux_falls_reaches_the_best_known_objective_and_flows() {
    let (net, demand) = sioux_falls();
    let mut gaps = Vec::new();
    let options = AssignOptions {
        target_gap: 1e-8,
        max_iterations: 1000,
    };
    let result = assign(&net, &demand, &options, &mut |r| {
        gaps.push(r.relative_gap);
        ControlFlow::Continue(())
    });
    assert!(result.converged, "gap {}", result.last.relative_gap);
    assert_eq!(result.unreachable_demand, 0.0);
    let objective_error = (result.last.objective - BEST_OBJECTIVE).abs() / BEST_OBJECTIVE;
    assert!(
        objective_error < 1e-4,
        "objective {}",
        result.last.objective
    );
    let best = tntp::read_flows(&Path::new(DIR).join("SiouxFalls_flow.tntp")).unwrap();
    let rmse = relative_rmse(&net, &result.flows, &best);
    assert!(rmse < 0.01, "relative RMSE {rmse}");
    // gradient projection: the gap falls fast (Frank–Wolfe is still near 1e-2 after 10)
    assert!(gaps[10] < 1e-3, "{gaps:?}");
    assert!(gaps.windows(20).all(|w| w[19] < w[0]), "{gaps:?}");
}

#[test]
fn a_stop_inside_an_iteration_returns_the_iteration_before() {
    let (net, demand) = sioux_falls();
    let options = AssignOptions {
        target_gap: 1e-12,
        max_iterations: 1000,
    };
    // asked between origins: SiouxFalls has 24, so the 60th question falls inside the
    // second iteration's equilibration
    let asked = std::sync::atomic::AtomicU32::new(0);
    let keep_going = || asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 < 60;
    let stopped = assign_until(
        &net,
        &demand,
        &options,
        &mut |_| ControlFlow::Continue(()),
        &keep_going,
    );
    assert!(!stopped.converged);
    let one = AssignOptions {
        max_iterations: stopped.last.iteration,
        ..options
    };
    let reference = assign(&net, &demand, &one, &mut |_| ControlFlow::Continue(()));
    assert_eq!(stopped.last, reference.last);
    assert_eq!(stopped.flows, reference.flows);
    assert_eq!(stopped.costs, reference.costs);
}

#[test]
fn stopping_early_keeps_the_flows_so_far() {
    let (net, demand) = sioux_falls();
    let result = assign(&net, &demand, &AssignOptions::default(), &mut |r| {
        if r.iteration >= 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(result.last.iteration, 2);
    assert!(!result.converged);
    // every OD's demand is on the network: flow out of each origin equals its demand
    for (origin, dests) in &demand.by_origin {
        let out: f64 = (0..net.link_count())
            .filter(|&a| net.from[a] == *origin)
            .map(|a| result.flows[a])
            .sum();
        let into: f64 = (0..net.link_count())
            .filter(|&a| net.to[a] == *origin)
            .map(|a| result.flows[a])
            .sum();
        let made: f64 = dests.iter().map(|(_, f)| f).sum();
        let attracted: f64 = demand
            .by_origin
            .iter()
            .flat_map(|(_, ds)| ds.iter())
            .filter(|(d, _)| d == origin)
            .map(|(_, f)| f)
            .sum();
        assert!(((out - into) - (made - attracted)).abs() < 1e-6);
    }
}

#[test]
fn closing_a_link_moves_its_flow_to_the_alternatives_and_raises_the_objective() {
    let (mut net, demand) = sioux_falls();
    let options = AssignOptions {
        target_gap: 1e-6,
        max_iterations: 1000,
    };
    let solve =
        |net: &AssignNetwork| assign(net, &demand, &options, &mut |_| ControlFlow::Continue(()));
    let base = solve(&net);
    // the busiest link whose tail has other ways out
    let closed = (0..net.link_count())
        .filter(|&a| {
            (0..net.link_count())
                .filter(|&b| net.from[b] == net.from[a])
                .count()
                > 1
        })
        .max_by(|&a, &b| base.flows[a].total_cmp(&base.flows[b]))
        .unwrap();
    net.close_link(closed);
    let variant = solve(&net);
    assert!(variant.converged, "gap {}", variant.last.relative_gap);
    assert_eq!(variant.unreachable_demand, 0.0);
    assert_eq!(variant.flows[closed], 0.0);
    let others = |flows: &[f64]| -> f64 {
        (0..net.link_count())
            .filter(|&b| b != closed && net.from[b] == net.from[closed])
            .map(|b| flows[b])
            .sum()
    };
    assert!(
        others(&variant.flows) > others(&base.flows) + 0.2 * base.flows[closed],
        "the other links out of node {} carry {} then {}; the closed one carried {}",
        net.from[closed] + 1,
        others(&base.flows),
        others(&variant.flows),
        base.flows[closed]
    );
    // fewer paths can only cost more: the Beckmann objective rises
    assert!(
        variant.last.objective > base.last.objective,
        "{} → {}",
        base.last.objective,
        variant.last.objective
    );
}
