//! A small city for the plugins' unit tests: a 4 × 4 grid of two-way streets, 200 m apart,
//! with a morning of trips across it. No window, no GPU.

use crate::twin::Twin;
use citytwin_city::synthetic::GridCity;
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::dynamic::{Purpose, TripSpec};

pub fn grid_twin(trips: u32) -> Twin {
    let city = GridCity {
        side: 4,
        spacing_m: 200.0,
        arterial_every: 0,
        street_class: "residential",
        land_use: false,
        street_name: Some("测试路"),
    }
    .build();
    let links = city.roads().links.len() as u32;
    let trips = (0..trips)
        .map(|i| TripSpec {
            origin_link: citytwin_city::LinkId(i % links),
            dest_link: citytwin_city::LinkId((i * 7 + 3) % links),
            departure_s: 7 * 3600 + i * 3,
            purpose: Purpose::Work,
        })
        .collect();
    let world = World::new(city.roads(), trips, WorldOptions::default()).expect("car links");
    Twin {
        city,
        world,
        scene_name: "grid".into(),
    }
}
