//! What `citytwin info` shows: a summary a GIS user can check against their own tools.

use crate::bundle::CityBundle;
use crate::roads::{Mode, Modes};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CitySummary {
    pub name: String,
    pub crs: String,
    /// [min x, min y, max x, max y] in the city CRS (m).
    pub extent: [f64; 4],
    /// [west, south, east, north] in degrees.
    pub extent_lonlat: [f64; 4],
    pub layers: BTreeMap<String, usize>,
    /// Kilometres of road per OSM class, counting each carriageway once.
    pub road_km_by_class: BTreeMap<String, f64>,
    pub graph_nodes: usize,
    pub graph_links: usize,
    pub links_by_mode: BTreeMap<String, usize>,
    pub junctions: usize,
    pub joined_junctions: usize,
    pub signalised_junctions: usize,
    /// Of those, with a `highway=traffic_signals` node...
    pub signals_tagged: usize,
    /// ...and signalised by the inference rule (docs/road-defaults.md).
    pub signals_inferred: usize,
    /// Where major roads cross the extract's edge (docs/demand.md).
    pub external_stations: usize,
    pub car_components: usize,
    pub car_nodes_dropped: usize,
    pub car_links_dropped: usize,
    pub bike_components: usize,
    pub walk_components: usize,
    pub drivable_ways: usize,
    pub grid_cells: usize,
    pub grid_cell_size_m: f64,
    pub grid_cells_with_district: usize,
    pub districts: Vec<String>,
    pub skipped_features: usize,
    pub repaired_features: usize,
    pub attribution: Vec<String>,
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl CitySummary {
    pub fn of(bundle: &CityBundle) -> CitySummary {
        let roads = &bundle.roads;
        let mut road_km_by_class: BTreeMap<String, f64> = BTreeMap::new();
        for (i, link) in roads.links.iter().enumerate() {
            // a two-way piece of road has two links; count its length once
            if link.twin.is_some_and(|t| t.index() < i) {
                continue;
            }
            *road_km_by_class
                .entry(link.class.as_osm().to_string())
                .or_default() += link.length_m / 1000.0;
        }
        for km in road_km_by_class.values_mut() {
            *km = round3(*km);
        }
        let links_by_mode = Mode::ALL
            .iter()
            .map(|m| {
                (
                    format!("{m:?}").to_lowercase(),
                    roads
                        .links
                        .iter()
                        .filter(|l| l.modes.contains(Modes::from(*m)))
                        .count(),
                )
            })
            .collect();
        let e = bundle.meta.extent;
        let ll = bundle.meta.extent_lonlat;
        let districts = bundle.district_names();
        let r = &bundle.report.roads;
        CitySummary {
            name: bundle.meta.name.clone(),
            crs: bundle.meta.crs.id.clone(),
            extent: [e.min().x, e.min().y, e.max().x, e.max().y].map(round3),
            extent_lonlat: [ll.min().x, ll.min().y, ll.max().x, ll.max().y]
                .map(|v| (v * 1e6).round() / 1e6),
            layers: bundle
                .layers
                .iter()
                .map(|l| (l.name.clone(), l.len()))
                .collect(),
            road_km_by_class,
            graph_nodes: roads.nodes.len(),
            graph_links: roads.links.len(),
            links_by_mode,
            junctions: roads.junctions.len(),
            joined_junctions: r.joined_junctions,
            signalised_junctions: roads.junctions.iter().filter(|j| j.signals).count(),
            signals_tagged: roads
                .junctions
                .iter()
                .filter(|j| j.signals && !j.signals_inferred)
                .count(),
            signals_inferred: roads
                .junctions
                .iter()
                .filter(|j| j.signals_inferred)
                .count(),
            external_stations: crate::roads::edge_stations(roads, bundle.meta.extent).len(),
            car_components: r.car_components,
            car_nodes_dropped: r.car_nodes_dropped,
            car_links_dropped: r.car_links_dropped,
            bike_components: r.bike_components,
            walk_components: r.walk_components,
            drivable_ways: r.drivable_ways,
            grid_cells: bundle.grid.len(),
            grid_cell_size_m: bundle.grid.cell_size_m,
            grid_cells_with_district: bundle.grid.districts.iter().filter(|d| d.is_some()).count(),
            districts,
            skipped_features: bundle.report.skipped.len() + r.skipped.len(),
            repaired_features: bundle.report.repaired.len(),
            attribution: bundle.meta.attribution.clone(),
        }
    }
}

impl fmt::Display for CitySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "city       {}", self.name)?;
        writeln!(f, "crs        {}", self.crs)?;
        let [x0, y0, x1, y1] = self.extent;
        writeln!(
            f,
            "extent     {x0:.1} {y0:.1} – {x1:.1} {y1:.1} m ({:.2} × {:.2} km)",
            (x1 - x0) / 1000.0,
            (y1 - y0) / 1000.0
        )?;
        let [w, s, e, n] = self.extent_lonlat;
        writeln!(f, "lon/lat    {w:.5} {s:.5} – {e:.5} {n:.5}")?;
        writeln!(f, "layers")?;
        for (name, count) in &self.layers {
            writeln!(f, "  {name:<18} {count:>8}")?;
        }
        writeln!(f, "road km by class (each carriageway once)")?;
        for (class, km) in &self.road_km_by_class {
            writeln!(f, "  {class:<18} {km:>8.2}")?;
        }
        writeln!(
            f,
            "graph      {} nodes, {} links ({} drivable ways)",
            self.graph_nodes, self.graph_links, self.drivable_ways
        )?;
        let modes: Vec<String> = self
            .links_by_mode
            .iter()
            .map(|(m, n)| format!("{m} {n}"))
            .collect();
        writeln!(f, "  links by mode: {}", modes.join(", "))?;
        writeln!(
            f,
            "  junctions {} ({} joined from several nodes, {} signalised: {} tagged in OSM, {} inferred)",
            self.junctions,
            self.joined_junctions,
            self.signalised_junctions,
            self.signals_tagged,
            self.signals_inferred
        )?;
        writeln!(
            f,
            "  external stations (major roads crossing the edge): {}",
            self.external_stations
        )?;
        writeln!(
            f,
            "  components: car {} (kept the largest; dropped car access on {} links at {} nodes), bike {}, walk {}",
            self.car_components,
            self.car_links_dropped,
            self.car_nodes_dropped,
            self.bike_components,
            self.walk_components
        )?;
        writeln!(
            f,
            "grid       {} cells of {} m, {} in a district",
            self.grid_cells, self.grid_cell_size_m, self.grid_cells_with_district
        )?;
        writeln!(f, "districts  {}", self.districts.join(", "))?;
        writeln!(
            f,
            "import     {} features skipped, {} repaired",
            self.skipped_features, self.repaired_features
        )?;
        write!(f, "credits    {}", self.attribution.join("; "))
    }
}
