//! Where a city's residents live and work, estimated from what its extract maps.
//!
//! Each source adds weighted sites (a building, a land-use area, a street, a POI) with the
//! residents and jobs it stands for:
//!
//! 1. **Buildings**: floor area = footprint × levels (`building:levels`, else `height` / 3 m,
//!    else a default per type). Residential types house one resident per
//!    [`ActivityParams::floor_m2_per_resident`]; offices, shops and factories hold a job per
//!    their type's floor area per job. A building tagged only `building=yes` takes the use of the
//!    land-use area it stands in (residential, or a work place), else it counts as mixed
//!    (70% homes, 30% jobs: the mix of a Chinese city centre's unlabelled blocks).
//! 2. **Land use** where buildings are not mapped: a residential area houses
//!    area × [`ActivityParams::residential_far`] / m² per resident, a commercial, retail,
//!    industrial or office area holds area × [`ActivityParams::work_far`] / m² per job — scaled
//!    down by how much of the area's expected building footprint (a site coverage of 25%) is
//!    already mapped, so a fully mapped block is counted once, by its buildings.
//! 3. **Streets** where neither is mapped: a residential street with no building within 50 m and
//!    no land use around it stands for [`ActivityParams::residents_per_street_km`] residents per
//!    km (both frontages, 50 m deep, at 15,000 residents/km²); a street of a higher class in the
//!    same situation for [`ActivityParams::jobs_per_street_km`] jobs per km (its shop frontage).
//! 4. **POIs**: a service POI adds a few jobs (shops, cafés), a school or hospital its staff.
//!
//! A scene's `population` and `jobs` (official statistics for the extract) rescale the
//! estimates; the estimates still decide where people live and work.

use super::sites::Sites;
use citytwin_city::City;
use citytwin_city::layer::names;
use citytwin_city::roads::RoadClass;
use geo::{Area, BoundingRect, Centroid, Geometry, Point};
use serde::{Deserialize, Serialize};

/// The documented rates behind the estimate (docs/demand.md lists their sources).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActivityParams {
    /// Floor area per resident (m²): China's urban per-capita housing floor area, 39.8 m² in
    /// 2019 (National Bureau of Statistics); Europe's is similar.
    pub floor_m2_per_resident: f64,
    /// Office floor area per job (m²).
    pub office_m2_per_job: f64,
    /// Shop and commercial floor area per job (m²).
    pub retail_m2_per_job: f64,
    /// Industrial and warehouse floor area per job (m²).
    pub industrial_m2_per_job: f64,
    /// Floor area ratio of residential land use where buildings are not mapped.
    pub residential_far: f64,
    /// Floor area ratio of work land use (commercial, retail, industrial, office).
    pub work_far: f64,
    /// Residents per km of a residential street with nothing mapped around it.
    pub residents_per_street_km: f64,
    /// Jobs per km of a higher-class street with nothing mapped around it.
    pub jobs_per_street_km: f64,
}

impl Default for ActivityParams {
    fn default() -> Self {
        Self {
            floor_m2_per_resident: 40.0,
            office_m2_per_job: 25.0,
            retail_m2_per_job: 50.0,
            industrial_m2_per_job: 100.0,
            residential_far: 1.2,
            work_far: 1.0,
            residents_per_street_km: 1500.0,
            jobs_per_street_km: 300.0,
        }
    }
}

/// Storey height used to turn a building's `height` into levels (m).
const STOREY_M: f64 = 3.0;
/// The share of a built-up block that its buildings' footprints cover.
const SITE_COVERAGE: f64 = 0.25;
/// A street with a building closer than this (m) is not "unmapped".
const STREET_GAP_M: f64 = 50.0;
/// Jobs a POI stands for: a shop or service, a school, a hospital.
const JOBS_PER_SERVICE_POI: f64 = 5.0;
const JOBS_PER_SCHOOL: f64 = 60.0;
const JOBS_PER_HOSPITAL: f64 = 300.0;

/// Where residents live and jobs are, as weighted sites, with the totals and where they came
/// from.
#[derive(Clone, Debug, Default)]
pub struct Activity {
    pub homes: Sites,
    pub work: Sites,
    pub schools: Sites,
    pub hospitals: Sites,
    pub shops: Sites,
    pub residents: f64,
    pub jobs: f64,
    pub sources: ActivitySources,
}

/// Residents and jobs by the kind of data they were estimated from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivitySources {
    pub residents_from_buildings: f64,
    pub residents_from_landuse: f64,
    pub residents_from_streets: f64,
    pub jobs_from_buildings: f64,
    pub jobs_from_landuse: f64,
    pub jobs_from_streets: f64,
    pub jobs_from_pois: f64,
    /// What the scene's `population` / `jobs` multiplied the estimates by (1 without them).
    pub population_factor: f64,
    pub jobs_factor: f64,
}

/// How a building or area is used.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Use {
    Homes,
    Offices,
    Shops,
    Industry,
    Mixed,
    /// Parks, water, schools' grounds...: no residents or jobs of their own.
    Other,
}

fn building_use(class: &str) -> Use {
    match class {
        "residential" | "apartments" | "house" | "detached" | "semidetached_house" | "terrace"
        | "dormitory" | "bungalow" => Use::Homes,
        "office" | "government" | "civic" | "public" | "commercial" | "hotel" => Use::Offices,
        "retail" | "supermarket" | "kiosk" => Use::Shops,
        "industrial" | "warehouse" | "factory" | "manufacture" => Use::Industry,
        "yes" | "building" | "" => Use::Mixed,
        _ => Use::Other,
    }
}

fn landuse_use(class: &str) -> Use {
    match class {
        "residential" => Use::Homes,
        "commercial" | "office" => Use::Offices,
        "retail" => Use::Shops,
        "industrial" => Use::Industry,
        _ => Use::Other,
    }
}

/// Levels when the building says nothing: what such buildings typically have.
fn default_levels(class: &str) -> f64 {
    match class {
        "house" | "detached" | "semidetached_house" | "terrace" | "bungalow" => 2.0,
        "industrial" | "warehouse" | "factory" | "manufacture" | "kiosk" | "supermarket" => 1.0,
        "apartments" | "residential" | "dormitory" => 6.0,
        _ => 3.0,
    }
}

fn levels(f: &citytwin_city::Feature, class: &str) -> f64 {
    let number = |key: &str| -> Option<f64> {
        let v: f64 = f.attr(key)?.to_string().trim().parse().ok()?;
        (v.is_finite() && v > 0.0).then_some(v)
    };
    number("building:levels")
        .filter(|l| *l <= 200.0)
        .or_else(|| number("height").map(|h| (h / STOREY_M).round().max(1.0)))
        .unwrap_or_else(|| default_levels(class))
}

/// Residents and jobs of `floor_m2` used as `use_`.
fn people(use_: Use, floor_m2: f64, p: &ActivityParams) -> (f64, f64) {
    match use_ {
        Use::Homes => (floor_m2 / p.floor_m2_per_resident, 0.0),
        Use::Offices => (0.0, floor_m2 / p.office_m2_per_job),
        Use::Shops => (0.0, floor_m2 / p.retail_m2_per_job),
        Use::Industry => (0.0, floor_m2 / p.industrial_m2_per_job),
        Use::Mixed => (
            0.7 * floor_m2 / p.floor_m2_per_resident,
            0.3 * floor_m2 / p.office_m2_per_job,
        ),
        Use::Other => (0.0, 0.0),
    }
}

/// One land-use area, with how much of it buildings already cover.
struct Area_ {
    shape: Geometry<f64>,
    use_: Use,
    area_m2: f64,
    mapped_footprint_m2: f64,
}

/// Residents and jobs of the city, and where they are (see the module docs).
pub fn estimate(city: &City, params: &ActivityParams) -> Activity {
    let mut a = Activity::default();
    // the land-use areas with residents or jobs, and which area each landuse feature is
    let mut areas: Vec<Area_> = Vec::new();
    let mut area_of_feature = std::collections::BTreeMap::new();
    if let Ok(landuse) = city.layer(names::LANDUSE) {
        for (i, f) in landuse.features.iter().enumerate() {
            let use_ = landuse_use(f.text("class").unwrap_or(""));
            if use_ != Use::Other {
                area_of_feature.insert(i, areas.len());
                areas.push(Area_ {
                    shape: f.geometry.clone(),
                    use_,
                    area_m2: f.geometry.unsigned_area(),
                    mapped_footprint_m2: 0.0,
                });
            }
        }
    }
    let landuse_ids = city.index(names::LANDUSE).ok();
    if let Ok(buildings) = city.layer(names::BUILDINGS) {
        for f in &buildings.features {
            let class = f.text("class").unwrap_or("");
            let footprint = f.geometry.unsigned_area();
            if footprint <= 0.0 {
                continue;
            }
            let Some(centre) = f.geometry.centroid() else {
                continue;
            };
            let around = landuse_ids
                .map(|index| index.containing(centre))
                .unwrap_or_default()
                .into_iter()
                .find_map(|id| area_of_feature.get(&id.index()).copied());
            if let Some(k) = around {
                areas[k].mapped_footprint_m2 += footprint;
            }
            let mut use_ = building_use(class);
            if use_ == Use::Mixed
                && let Some(k) = around
            {
                use_ = areas[k].use_;
            }
            let (residents, jobs) = people(use_, footprint * levels(f, class), params);
            a.sources.residents_from_buildings += residents;
            a.sources.jobs_from_buildings += jobs;
            a.homes.push(f.geometry.clone(), residents);
            a.work.push(f.geometry.clone(), jobs);
            if use_ == Use::Shops {
                a.shops.push(f.geometry.clone(), jobs);
            }
        }
    }
    for area in &areas {
        let unmapped = (1.0 - area.mapped_footprint_m2 / (SITE_COVERAGE * area.area_m2)).max(0.0);
        let far = if area.use_ == Use::Homes {
            params.residential_far
        } else {
            params.work_far
        };
        let (residents, jobs) = people(area.use_, unmapped * area.area_m2 * far, params);
        a.sources.residents_from_landuse += residents;
        a.sources.jobs_from_landuse += jobs;
        a.homes.push(area.shape.clone(), residents);
        a.work.push(area.shape.clone(), jobs);
        if area.use_ == Use::Shops {
            a.shops.push(area.shape.clone(), jobs);
        }
    }
    add_unmapped_streets(city, params, landuse_ids.is_some(), &mut a);
    add_pois(city, &mut a);
    a.residents = a.sources.residents_from_buildings
        + a.sources.residents_from_landuse
        + a.sources.residents_from_streets;
    a.jobs = a.sources.jobs_from_buildings
        + a.sources.jobs_from_landuse
        + a.sources.jobs_from_streets
        + a.sources.jobs_from_pois;
    a.sources.population_factor = 1.0;
    a.sources.jobs_factor = 1.0;
    a
}

/// Streets with no building near them and no land use around them stand for the homes and
/// shops along them (once per piece of way: a two-way street's twin is skipped).
fn add_unmapped_streets(city: &City, params: &ActivityParams, has_landuse: bool, a: &mut Activity) {
    let roads = city.roads();
    let buildings = city.index(names::BUILDINGS).ok();
    let landuse = has_landuse
        .then(|| city.index(names::LANDUSE).ok())
        .flatten();
    for (i, link) in roads.links.iter().enumerate() {
        if link.capacity_vph <= 0.0 || link.twin.is_some_and(|t| t.index() < i) {
            continue;
        }
        let residential = matches!(
            link.class,
            RoadClass::Residential | RoadClass::LivingStreet | RoadClass::Unclassified
        );
        let frontage = matches!(
            link.class,
            RoadClass::Primary | RoadClass::Secondary | RoadClass::Tertiary
        );
        if !residential && !frontage {
            continue;
        }
        let Some(mid) = midpoint(&link.geometry) else {
            continue;
        };
        let near_building = buildings
            .and_then(|b| b.nearest(mid))
            .is_some_and(|(_, d)| d <= STREET_GAP_M);
        let in_landuse = landuse.is_some_and(|l| !l.containing(mid).is_empty());
        if near_building || in_landuse {
            continue;
        }
        let km = link.length_m / 1000.0;
        let shape = Geometry::LineString(link.geometry.clone());
        if residential {
            let residents = km * params.residents_per_street_km;
            a.sources.residents_from_streets += residents;
            a.homes.push(shape, residents);
        } else {
            let jobs = km * params.jobs_per_street_km;
            a.sources.jobs_from_streets += jobs;
            a.work.push(shape.clone(), jobs);
            a.shops.push(shape, jobs);
        }
    }
}

fn midpoint(line: &geo::LineString<f64>) -> Option<Point<f64>> {
    let rect = line.bounding_rect()?;
    let coords = &line.0;
    Some(if coords.len() >= 2 {
        let (p, q) = (coords[coords.len() / 2 - 1], coords[coords.len() / 2]);
        Point::new((p.x + q.x) / 2.0, (p.y + q.y) / 2.0)
    } else {
        rect.center().into()
    })
}

fn add_pois(city: &City, a: &mut Activity) {
    let Ok(pois) = city.layer(names::POIS) else {
        return;
    };
    for f in &pois.features {
        let shape = f.geometry.clone();
        let jobs = match f.text("category").unwrap_or("") {
            "school" => {
                a.schools.push(shape.clone(), 1.0);
                JOBS_PER_SCHOOL
            }
            "hospital" => {
                a.hospitals.push(shape.clone(), 1.0);
                JOBS_PER_HOSPITAL
            }
            "other" => {
                a.shops.push(shape.clone(), JOBS_PER_SERVICE_POI);
                JOBS_PER_SERVICE_POI
            }
            _ => continue,
        };
        a.sources.jobs_from_pois += jobs;
        a.work.push(shape, jobs);
    }
}

impl Activity {
    /// Scales residents (and jobs) to the scene's official figures; the estimate keeps
    /// deciding where they are.
    pub fn scale_to(&mut self, population: Option<f64>, jobs: Option<f64>) {
        if let Some(p) = population.filter(|p| *p > 0.0)
            && self.residents > 0.0
        {
            self.sources.population_factor = p / self.residents;
            self.residents = p;
        }
        if let Some(j) = jobs.filter(|j| *j > 0.0)
            && self.jobs > 0.0
        {
            self.sources.jobs_factor = j / self.jobs;
            self.jobs = j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_types_map_to_uses() {
        assert_eq!(building_use("apartments"), Use::Homes);
        assert_eq!(building_use("office"), Use::Offices);
        assert_eq!(building_use("yes"), Use::Mixed);
        assert_eq!(building_use("church"), Use::Other);
        let p = ActivityParams::default();
        let (r, j) = people(Use::Homes, 4000.0, &p);
        assert_eq!((r, j), (100.0, 0.0));
        let (r, j) = people(Use::Mixed, 4000.0, &p);
        assert!((r - 70.0).abs() < 1e-9 && (j - 48.0).abs() < 1e-9);
    }
}
