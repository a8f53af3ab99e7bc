//! Junctions a few metres apart (dual carriageways, OSM's split intersections) joined into one
//! node, so a crossing is one place to queue at.

use super::*;

pub(super) struct UnionFind {
    parent: Vec<usize>,
    // bounding box of each root's group: min x, min y, max x, max y
    bbox: Vec<[f64; 4]>,
}

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
}

pub(super) fn join_junctions(
    network: &mut RoadNetwork,
    options: &BuildOptions,
    report: &mut RoadBuildReport,
) {
    let candidates = short_links_between_junctions(network, options);
    let mut uf = UnionFind {
        parent: (0..network.nodes.len()).collect(),
        bbox: network
            .nodes
            .iter()
            .map(|node| {
                [
                    node.point.x(),
                    node.point.y(),
                    node.point.x(),
                    node.point.y(),
                ]
            })
            .collect(),
    };
    for li in candidates {
        let (a, b) = (
            uf.find(network.links[li].from.index()),
            uf.find(network.links[li].to.index()),
        );
        if a == b {
            continue;
        }
        let (ba, bb) = (uf.bbox[a], uf.bbox[b]);
        let merged = [
            ba[0].min(bb[0]),
            ba[1].min(bb[1]),
            ba[2].max(bb[2]),
            ba[3].max(bb[3]),
        ];
        if (merged[2] - merged[0]).hypot(merged[3] - merged[1]) > options.junction_max_extent_m {
            continue;
        }
        let (root, child) = if a < b { (a, b) } else { (b, a) };
        uf.parent[child] = root;
        uf.bbox[root] = merged;
    }
    let junctions = junctions_of(network, &mut uf);
    for l in &mut network.links {
        let (jf, jt) = (
            network.nodes[l.from.index()].junction,
            network.nodes[l.to.index()].junction,
        );
        l.internal = l.from != l.to && jf == jt;
    }
    report.joined_junctions = junctions.iter().filter(|j| j.nodes.len() > 1).count();
    network.junctions = junctions;
}

/// Car links no longer than the join distance whose both ends are controlled (three or more
/// car neighbours, or signals), shortest first (ties by index).
fn short_links_between_junctions(network: &RoadNetwork, options: &BuildOptions) -> Vec<usize> {
    let mut neighbours: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); network.nodes.len()];
    for l in network
        .links
        .iter()
        .filter(|l| l.modes.contains(Modes::CAR))
    {
        if l.from != l.to {
            neighbours[l.from.index()].insert(l.to.index());
            neighbours[l.to.index()].insert(l.from.index());
        }
    }
    let controlled = |v: usize| neighbours[v].len() >= 3 || network.nodes[v].signals;
    let mut candidates: Vec<(f64, usize)> = network
        .links
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.modes.contains(Modes::CAR)
                && l.from != l.to
                && l.length_m <= options.junction_join_m
                && controlled(l.from.index())
                && controlled(l.to.index())
        })
        .map(|(i, l)| (l.length_m, i))
        .collect();
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    candidates.into_iter().map(|(_, i)| i).collect()
}

/// One junction per joined group of nodes (in the order of their first node), each node
/// told its junction.
fn junctions_of(network: &mut RoadNetwork, uf: &mut UnionFind) -> Vec<Junction> {
    let mut junction_of_root: HashMap<usize, JunctionId> = HashMap::new();
    let mut junctions: Vec<Junction> = Vec::new();
    for v in 0..network.nodes.len() {
        let root = uf.find(v);
        let id = *junction_of_root.entry(root).or_insert_with(|| {
            junctions.push(Junction {
                nodes: Vec::new(),
                signals: false,
                signals_inferred: false,
                centroid: Point::new(0.0, 0.0),
            });
            JunctionId::from_index(junctions.len() - 1)
        });
        let node = &mut network.nodes[v];
        node.junction = id;
        let j = &mut junctions[id.index()];
        j.nodes.push(NodeId::from_index(v));
        j.signals |= node.signals;
        j.centroid = Point::new(
            j.centroid.x() + node.point.x(),
            j.centroid.y() + node.point.y(),
        );
    }
    for j in &mut junctions {
        let k = j.nodes.len() as f64;
        j.centroid = Point::new(j.centroid.x() / k, j.centroid.y() / k);
    }
    junctions
}
