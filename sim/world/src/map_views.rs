//! What the map draws and picks from the World: the links that carry cars, the fences'
//! shapes, the parked bikes, the sensors and open cases where they stand, and the vital
//! signs' picture. Plain values and borrowed geometry, so the viewer never reads a model.

use crate::World;
use crate::ops::OpsPicture;
use citytwin_city::{CaseId, FenceId, LinkId, ThingId};
use geo::{Point, Polygon};

/// A fence as the map draws it.
#[derive(Clone, Copy, Debug)]
pub struct FenceShape<'a> {
    pub id: FenceId,
    pub area: &'a Polygon<f64>,
    /// Where its marker goes; `None` for a fence with an empty area.
    pub centre: Option<Point<f64>>,
    /// A monitoring point watches it (the map rings its marker).
    pub monitored: bool,
}

impl World {
    /// The World has shared bikes.
    pub fn has_bikes(&self) -> bool {
        self.bikes.is_some()
    }

    /// The World has an operations centre (sensors, vital signs, cases).
    pub fn has_ops(&self) -> bool {
        self.ops.is_some()
    }

    /// The links cars may drive on, in id order (the rest of the road graph is for bikes and
    /// pedestrians).
    pub fn car_links(&self) -> impl Iterator<Item = LinkId> + '_ {
        let links = self.traffic.net.links.iter().enumerate();
        links.filter_map(|(l, spec)| spec.as_ref().map(|_| LinkId::from_index(l)))
    }

    /// Every fence's shape, in id order; none without bikes.
    pub fn fence_shapes(&self) -> impl Iterator<Item = FenceShape<'_>> + '_ {
        let plans = self.bikes.iter().map(|b| &b.plan);
        plans.flat_map(|plan| {
            plan.fences.iter().map(|f| FenceShape {
                id: f.id,
                area: &f.area,
                centre: plan.fences.centre(f.id),
                monitored: plan.monitored.contains(&f.id),
            })
        })
    }

    /// Fence `id`'s area; `None` without bikes or such a fence.
    pub fn fence_area(&self, id: FenceId) -> Option<&Polygon<f64>> {
        Some(&self.bikes.as_ref()?.plan.fences.get(id)?.area)
    }

    /// The fence nearest `point` within `radius` metres.
    pub fn nearest_fence(&self, point: Point<f64>, radius: f64) -> Option<FenceId> {
        let fences = &self.bikes.as_ref()?.plan.fences;
        fences.nearest_within(point, radius, |_| true)
    }

    /// Where each bike stands that is parked now (in a fence or outside any).
    pub fn parked_bikes(&self) -> impl Iterator<Item = Point<f64>> + '_ {
        let bikes = self.bikes.iter();
        bikes.flat_map(|b| b.parked_bikes().map(|(_, p)| p))
    }

    /// Every sensor where it stands; none without operations.
    pub fn sensor_points(&self) -> impl Iterator<Item = (ThingId, Point<f64>)> + '_ {
        let things = self.ops.iter().flat_map(|o| o.things());
        things.map(|t| (t.id, t.location.point))
    }

    /// Every case not closed yet, where it was filed; none without operations.
    pub fn open_case_points(&self) -> impl Iterator<Item = (CaseId, Point<f64>)> + '_ {
        let cases = self.ops.iter().flat_map(|o| o.desk.cases());
        let open = cases.filter(|c| !c.state().is_closed());
        open.map(|c| (c.id, c.filing.point))
    }

    /// Where case `id` was filed, open or closed.
    pub fn case_point(&self, id: CaseId) -> Option<Point<f64>> {
        let cases = self.ops.as_ref()?.desk.cases();
        Some(cases.iter().find(|c| c.id == id)?.filing.point)
    }

    /// Where sensor `id` stands.
    pub fn sensor_point(&self, id: ThingId) -> Option<Point<f64>> {
        self.sensor_points().find(|(t, _)| *t == id).map(|(_, p)| p)
    }

    /// When the vital signs were last computed; `None` without operations.
    pub fn vitals_at_s(&self) -> Option<u32> {
        Some(self.ops.as_ref()?.vitals.at_s)
    }

    /// The vital signs as the map shows them now: cells at amber or red, sensors by their
    /// worst reading, open cases; `None` without operations.
    pub fn vitals_picture(&self) -> Option<OpsPicture> {
        Some(self.ops.as_ref()?.picture(self.now_s()))
    }
}
