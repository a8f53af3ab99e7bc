//! Both routers against plain Dijkstra: on random grids whose links are slowed by random
//! congestion, every route the landmark A* router finds is a fastest one; so is every route
//! of the contraction hierarchy, on any costs (closures, parallel links and loops included).
//! Fastest counts each link's tie-break, and with it both routers find the same route where
//! many are equally fast in whole seconds.

#![allow(clippy::unwrap_used)]

use citytwin_city::LinkId;
use citytwin_traffic::dynamic::cch::Cch;
use citytwin_traffic::dynamic::router::Router;
use citytwin_traffic::dynamic::tie_break::tie_break;
use citytwin_traffic::dynamic::{QueueLink, QueueNetwork};
use proptest::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A `side × side` grid of two-way links with the given lengths (one per directed link).
fn grid(side: u32, lengths: &[f64]) -> QueueNetwork {
    let mut made = 0;
    QueueNetwork::grid(side, |from, to| {
        made += 1;
        link(from, to, lengths[(made - 1) % lengths.len()])
    })
}

/// Seconds from the end of `from` to the end of `to` by Dijkstra over nodes, tie-breaks of
/// the links between them included: an oracle
/// written apart from the router's own Dijkstra (which places its landmarks) on purpose.
fn dijkstra(net: &QueueNetwork, cost: &[f64], from: LinkId, to: LinkId) -> f64 {
    let start = net.link(from).unwrap().to;
    let target = net.link(to).unwrap().from;
    let mut dist = vec![f64::INFINITY; net.node_count];
    let mut heap = BinaryHeap::new();
    dist[start as usize] = 0.0;
    heap.push(Reverse((0f64.to_bits(), start)));
    while let Some(Reverse((key, u))) = heap.pop() {
        let d = f64::from_bits(key);
        if d > dist[u as usize] {
            continue;
        }
        for &a in net.outgoing(u) {
            let v = net.link(LinkId(a)).unwrap().to;
            let dv = d + cost[a as usize] + tie_break(a);
            if dv < dist[v as usize] {
                dist[v as usize] = dv;
                heap.push(Reverse((dv.to_bits(), v)));
            }
        }
    }
    dist[target as usize] + cost[to.index()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn landmark_routes_are_as_fast_as_dijkstras(
        side in 3u32..9,
        lengths in prop::collection::vec(20.0f64..800.0, 1..40),
        slowdowns in prop::collection::vec(1.0f64..12.0, 1..60),
        pairs in prop::collection::vec((0usize..1000, 0usize..1000), 1..20),
    ) {
        let net = grid(side, &lengths);
        let free = net.free_flow_times();
        let mut router = Router::new(&net, &free);
        let cost: Vec<f64> = free
            .iter()
            .enumerate()
            .map(|(i, f)| f * slowdowns[i % slowdowns.len()])
            .collect();
        let n = net.links.len();
        let mut route = Vec::new();
        for (a, b) in pairs {
            let (from, to) = (LinkId::from_index(a % n), LinkId::from_index(b % n));
            let found = router.route(&net, &cost, from, to, &mut route);
            check_route(&net, &cost, from, to, found, &route)?;
        }
    }

    #[test]
    fn hierarchy_routes_are_as_fast_as_dijkstras(
        side in 1u32..9,
        lengths in prop::collection::vec(20.0f64..800.0, 1..40),
        costs in prop::collection::vec(prop_oneof![9 => 1.0f64..500.0, 1 => Just(f64::INFINITY)], 1..60),
        extra in prop::collection::vec((0u32..81, 0u32..81), 0..12),
        pairs in prop::collection::vec((0usize..1000, 0usize..1000), 1..20),
        recustomize in prop::collection::vec(0.5f64..3.0, 1..30),
    ) {
        // a grid with parallel links, loops and one-way shortcuts thrown in
        let mut net = grid(side, &lengths);
        let nodes = net.node_count as u32;
        let mut links = net.links.clone();
        for (a, b) in extra {
            let mut l = links.first().cloned().flatten().unwrap_or_else(|| link(0, 0, 100.0));
            (l.from, l.to) = (a % nodes, b % nodes);
            links.push(Some(l));
        }
        links.push(None); // a link no car may use
        net = QueueNetwork::from_links(net.node_count, links);
        let n = net.links.len();
        let mut cost: Vec<f64> = (0..n).map(|i| costs[i % costs.len()]).collect();
        let mut cch = Cch::new(&net);
        let mut route = Vec::new();
        // free flow first, then the given costs, then those costs rescaled link by link
        for round in 0..3 {
            if round == 1 {
                cch.customize(&cost);
            } else if round == 2 {
                for (i, c) in cost.iter_mut().enumerate() {
                    *c *= recustomize[i % recustomize.len()];
                }
                cch.customize(&cost);
            }
            let now = if round == 0 { net.free_flow_times() } else { cost.clone() };
            for &(a, b) in &pairs {
                let (from, to) = (LinkId::from_index(a % n), LinkId::from_index(b % n));
                if net.link(from).is_none() || net.link(to).is_none() {
                    prop_assert!(cch.route(&net, from, to, &mut route).is_none());
                    continue;
                }
                let found = cch.route(&net, from, to, &mut route);
                check_route(&net, &now, from, to, found, &route)?;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Whole-second costs on a grid of equal blocks make many routes equally fast; the
    /// tie-breaks pick one, and both routers (a contraction order and a heap apart) take it.
    #[test]
    fn both_routers_take_the_same_of_equally_fast_routes(
        side in 2u32..9,
        block_m in prop::collection::vec(prop_oneof![Just(139.0f64), Just(278.0)], 1..4),
        slowdowns in prop::collection::vec(prop_oneof![3 => Just(1.0f64), 1 => Just(2.0)], 1..30),
        pairs in prop::collection::vec((0usize..1000, 0usize..1000), 1..25),
    ) {
        let net = grid(side, &block_m);
        let free = net.free_flow_times();
        let cost: Vec<f64> = free
            .iter()
            .enumerate()
            .map(|(i, f)| f * slowdowns[i % slowdowns.len()])
            .collect();
        let mut landmarks = Router::new(&net, &free);
        let mut cch = Cch::new(&net);
        cch.customize(&cost);
        let n = net.links.len();
        let (mut by_landmarks, mut by_cch) = (Vec::new(), Vec::new());
        for (a, b) in pairs {
            let (from, to) = (LinkId::from_index(a % n), LinkId::from_index(b % n));
            let found = landmarks.route(&net, &cost, from, to, &mut by_landmarks);
            prop_assert!(found.is_some());
            cch.route(&net, from, to, &mut by_cch);
            prop_assert_eq!(&by_cch, &by_landmarks, "{}→{}", from, to);
        }
    }
}

fn link(from: u32, to: u32, length_m: f64) -> QueueLink {
    QueueLink {
        from,
        to,
        length_m,
        free_flow_s: (length_m / 13.9).round().max(1.0) as u32,
        capacity_vps: 0.5,
        storage: 10,
        lanes: 1,
        inner: false,
    }
}

/// `found` is the fastest time by Dijkstra (or none where Dijkstra finds none), and `route`
/// a connected chain of links from `from` to `to` taking that time.
fn check_route(
    net: &QueueNetwork,
    cost: &[f64],
    from: LinkId,
    to: LinkId,
    found: Option<f64>,
    route: &[u32],
) -> Result<(), TestCaseError> {
    // a closed destination link is no destination, even for a car already on it
    let best = match from == to {
        true if cost[to.index()].is_finite() => 0.0,
        true => f64::INFINITY,
        false => dijkstra(net, cost, from, to),
    };
    let Some(found) = found else {
        prop_assert!(
            best.is_infinite(),
            "{from}→{to}: no route, Dijkstra found {best}"
        );
        return Ok(());
    };
    prop_assert!(
        (found - best).abs() < 1e-6,
        "{from}→{to}: {found} vs {best}"
    );
    prop_assert_eq!(route.first().copied(), Some(from.0));
    prop_assert_eq!(route.last().copied(), Some(to.0));
    for w in route.windows(2) {
        prop_assert_eq!(
            net.link(LinkId(w[0])).unwrap().to,
            net.link(LinkId(w[1])).unwrap().from
        );
    }
    if from != to {
        let driven: f64 = route[1..].iter().map(|&l| cost[l as usize]).sum();
        let ties: f64 = route[1..route.len() - 1]
            .iter()
            .map(|&l| tie_break(l))
            .sum();
        prop_assert!((driven + ties - found).abs() < 1e-6);
    }
    Ok(())
}
