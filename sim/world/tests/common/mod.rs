//! A morning of traffic on a generated grid city, shared by the World's integration tests.

use citytwin_city::synthetic::GridCity;
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::demand::synthetic::synthetic_day;

/// 06:00–10:00 of a 40,000-trip day on the default grid city.
pub fn morning(seed: u64) -> World {
    let city = GridCity::default().build();
    let trips = synthetic_day(&city, 40_000, seed).expect("a synthetic day");
    let options = WorldOptions {
        seed,
        from_s: 6 * 3600,
        to_s: 10 * 3600,
        ..WorldOptions::default()
    };
    World::new(city.roads(), trips, options).expect("the morning's World")
}
