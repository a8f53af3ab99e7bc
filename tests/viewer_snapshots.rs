//! The viewer, rendered offscreen with Mesa's software Vulkan: `citytwin snapshot` of the
//! demo city at 08:00, checked against the data it draws (roads where the road layer is,
//! congestion colours on the model's hotspots, HUD text present) and against a reference
//! image with a tolerance. Regenerate the reference with CITYTWIN_REGENERATE_GOLDEN=1.

#![allow(clippy::unwrap_used)]

mod common;

use citytwin_city::roads::{Mode, RoadClass};
use citytwin_city::{City, LinkId};
use citytwin_engine::camera::start_view_pixels;
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::demand::synthetic_day;
use common::*;
use geo::{Coord, Point};
use image::{Rgb, RgbImage};
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (1280, 720);
const TRIPS: u32 = 100_000;
/// A day busy enough to queue at its bottlenecks by 08:00 (the hotspot test).
const BUSY_TRIPS: u32 = 250_000;
const AT_S: u32 = 8 * 3600;
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/golden/snapshot_0800.png"
);

/// Screen area clear of the HUD panels at 720 lines (they scale with the height).
fn in_map_area((x, y): (f32, f32)) -> bool {
    (280.0..930.0).contains(&x) && (12.0..650.0).contains(&y)
}

fn snapshot(scene: &Path, out: &Path, extra: &[&str]) -> RgbImage {
    snapshot_of(scene, out, TRIPS, extra)
}

fn snapshot_of(scene: &Path, out: &Path, trips: u32, extra: &[&str]) -> RgbImage {
    let size = format!("{}x{}", SIZE.0, SIZE.1);
    let trips = trips.to_string();
    let mut args = vec![
        "-q",
        "snapshot",
        scene.to_str().unwrap(),
        "--at",
        "08:00",
        "--trips",
        &trips,
        "--size",
        &size,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args);
    image::open(out).unwrap().to_rgb8()
}

fn pixel(img: &RgbImage, (x, y): (f32, f32)) -> Option<Rgb<u8>> {
    let (x, y) = (x.floor() as i64, y.floor() as i64);
    (x >= 0 && y >= 0 && x < i64::from(img.width()) && y < i64::from(img.height()))
        .then(|| *img.get_pixel(x as u32, y as u32))
}

/// Any pixel within `r` of the point that passes `test`.
fn near(img: &RgbImage, at: (f32, f32), r: i32, test: impl Fn(Rgb<u8>) -> bool) -> bool {
    (-r..=r).any(|dx| {
        (-r..=r).any(|dy| pixel(img, (at.0 + dx as f32, at.1 + dy as f32)).is_some_and(&test))
    })
}

/// Lighter than every fill of the dark palette's background, land and buildings.
fn drawn(c: Rgb<u8>) -> bool {
    c.0.iter().copied().max().unwrap_or(0) > 75
}

/// Red to amber: the congested end of the speed ramp (cars are cyan, roads grey).
fn congested(c: Rgb<u8>) -> bool {
    let [r, g, b] = c.0;
    r > 170 && b < 110 && g < 200
}

struct Demo {
    dir: Scratch,
    scene: PathBuf,
    city: City,
}

fn demo(name: &str) -> Demo {
    let dir = scratch(name);
    let scene = demo_scene(&dir);
    let city = City::load(&dir.join("city.ctb")).unwrap();
    Demo { dir, scene, city }
}

#[test]
fn roads_are_drawn_where_the_road_layer_is_and_not_elsewhere() {
    let d = demo("snapshot-roads");
    let img = snapshot(&d.scene, &d.dir.join("roads.png"), &["--overlay", "grid"]);
    let to_px = start_view_pixels(d.city.bundle.meta.extent, SIZE);
    let roads = d.city.roads();
    let (mut on, mut sampled) = (0, 0);
    for link in &roads.links {
        if !matches!(
            link.class,
            RoadClass::Trunk | RoadClass::Primary | RoadClass::Secondary
        ) {
            continue;
        }
        for c in &link.geometry.0 {
            let p = to_px(*c);
            if in_map_area(p) {
                sampled += 1;
                on += usize::from(near(&img, p, 1, drawn));
            }
        }
    }
    assert!(sampled > 500, "only {sampled} road points on screen");
    let share_on = on as f64 / sampled as f64;
    assert!(share_on > 0.9, "{on} of {sampled} major-road points drawn");
    // away from every road, the map is dark (land, buildings, water)
    let (mut lit, mut empty) = (0, 0);
    let e = d.city.bundle.meta.extent;
    for i in 0..60 {
        for j in 0..60 {
            let c = Coord {
                x: e.min().x + e.width() * (f64::from(i) + 0.5) / 60.0,
                y: e.min().y + e.height() * (f64::from(j) + 0.5) / 60.0,
            };
            let far = d
                .city
                .nearest_link(Point::from(c), Mode::Walk)
                .is_none_or(|m| m.distance_m > 120.0);
            let p = to_px(c);
            if far && in_map_area(p) {
                empty += 1;
                lit += usize::from(pixel(&img, p).is_some_and(drawn));
            }
        }
    }
    assert!(empty > 50, "only {empty} off-road points on screen");
    assert!(
        (lit as f64) < 0.1 * empty as f64,
        "{lit} of {empty} off-road points lit"
    );
}

#[test]
fn the_traffic_overlay_colours_the_models_hotspots_and_the_hud_shows_text() {
    let d = demo("snapshot-traffic");
    let with = snapshot_of(&d.scene, &d.dir.join("traffic.png"), BUSY_TRIPS, &[]);
    let without = snapshot_of(
        &d.scene,
        &d.dir.join("plain.png"),
        BUSY_TRIPS,
        &["--overlay", "grid"],
    );
    let world = busy_world(&d.city, AT_S);
    let (shown, hot) = hotspots_coloured(&d.city, &with, &world);
    let (_, hot_without) = hotspots_coloured(&d.city, &without, &world);
    assert!(shown >= 5, "only {shown} hotspots on screen");
    assert!(
        hot * 10 >= shown * 7,
        "{hot} of {shown} hotspots coloured as congested"
    );
    assert_eq!(hot_without, 0, "congestion colours with the overlay off");
    // the HUD: clock and KPIs top left, the alarm feed top right (bright text on dark panels)
    let bright = |img: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32| {
        (x0..x1)
            .flat_map(|x| (y0..y1).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&v| v > 170))
            .count()
    };
    assert!(bright(&with, 12, 30, 240, 70) > 150, "clock missing");
    assert!(bright(&with, 12, 75, 240, 150) > 150, "KPIs missing");
    assert!(
        bright(&with, 960, 25, 1270, 120) > 150,
        "alarm feed missing"
    );
}

/// The World `snapshot --trips BUSY_TRIPS` builds (same demand, seed, roads with the default
/// model's free-flow speeds), run to `at_s`.
fn busy_world(city: &City, at_s: u32) -> World {
    let trips = synthetic_day(city, BUSY_TRIPS, 1).unwrap();
    let mut roads = city.roads().clone();
    citytwin_sim::model::ModelParams::default()
        .roads
        .apply(&mut roads);
    let mut world = World::new(&roads, trips, WorldOptions::default()).unwrap();
    world.advance_to(at_s);
    world
}

/// Of the World's 30 worst hotspots wholly on screen: how many, and how many are drawn in
/// congestion colours.
fn hotspots_coloured(city: &City, img: &RgbImage, world: &World) -> (usize, usize) {
    let links: Vec<LinkId> = world.hotspots(30).iter().map(|h| h.link).collect();
    links_coloured(city, img, &links)
}

/// Of these links wholly on screen: how many, and how many are drawn in congestion colours.
fn links_coloured(city: &City, img: &RgbImage, links: &[LinkId]) -> (usize, usize) {
    let to_px = start_view_pixels(city.bundle.meta.extent, SIZE);
    let (mut shown, mut hot) = (0, 0);
    for l in links {
        let link = &city.roads().links[l.index()];
        let points: Vec<(f32, f32)> = link.geometry.0.iter().map(|c| to_px(*c)).collect();
        if !points.iter().all(|p| in_map_area(*p)) {
            continue;
        }
        shown += 1;
        let along = points.windows(2).any(|w| {
            (0..=8).any(|k| {
                let t = k as f32 / 8.0;
                let p = (
                    w[0].0 + (w[1].0 - w[0].0) * t,
                    w[0].1 + (w[1].1 - w[0].1) * t,
                );
                near(img, p, 2, congested)
            })
        });
        hot += usize::from(along);
    }
    (shown, hot)
}

/// Of these links (id, speed ratio at one time, at another), on screen: how many are drawn
/// in the first time's colour, and how many in the second's (each link votes by its
/// sample points). A two-way road draws each direction on its right-hand side, so the
/// samples are taken there, `SIDE_PX` right of the road's middle, and not on the other
/// direction's colour.
fn colour_votes(city: &City, img: &RgbImage, links: &[(LinkId, f32, f32)]) -> (usize, usize) {
    const SIDE_PX: f32 = 2.0;
    let to_px = start_view_pixels(city.bundle.meta.extent, SIZE);
    let rgb = |ratio: f32| {
        let c = citytwin_engine::palette::speed_color(ratio).to_srgba();
        [c.red, c.green, c.blue].map(|v| (v * 255.0).round() as u8)
    };
    let like = |c: Rgb<u8>, k: [u8; 3]| k.iter().zip(c.0).all(|(a, b)| u8::abs_diff(*a, b) <= 20);
    let (mut first, mut second) = (0, 0);
    for &(l, a, b) in links {
        let (ca, cb) = (rgb(a), rgb(b));
        let points: Vec<(f32, f32)> = city.roads().links[l.index()]
            .geometry
            .0
            .iter()
            .map(|c| to_px(*c))
            .collect();
        if !points.iter().all(|p| in_map_area(*p)) {
            continue;
        }
        let oneway = city.roads().links[l.index()].oneway;
        let (mut va, mut vb) = (0, 0);
        for w in points.windows(2) {
            let (dx, dy) = (w[1].0 - w[0].0, w[1].1 - w[0].1);
            let length = dx.hypot(dy);
            // right of the direction of travel, with the image's y pointing down
            let side = if oneway || length == 0.0 {
                (0.0, 0.0)
            } else {
                (-dy / length * SIDE_PX, dx / length * SIDE_PX)
            };
            for k in 1..8 {
                let t = k as f32 / 8.0;
                let p = (w[0].0 + dx * t + side.0, w[0].1 + dy * t + side.1);
                va += usize::from(near(img, p, 1, |c| like(c, ca)));
                vb += usize::from(near(img, p, 1, |c| like(c, cb)));
            }
        }
        first += usize::from(va > vb);
        second += usize::from(vb > va);
    }
    (first, second)
}

#[test]
fn the_view_thirty_minutes_ahead_colours_the_forecasts_hotspots_and_hides_the_cars() {
    let d = demo("snapshot-ahead");
    // no bikes: their crews' trucks drive in the traffic, and the World below has none
    let now = snapshot_of(
        &d.scene,
        &d.dir.join("now.png"),
        BUSY_TRIPS,
        &["--bike-fleet", "0"],
    );
    let ahead = snapshot_of(
        &d.scene,
        &d.dir.join("ahead30.png"),
        BUSY_TRIPS,
        &["--ahead", "30", "--bike-fleet", "0"],
    );
    // the forecast is the World's own future: where a link's speed changes much between
    // 08:00 and 08:30, the +30 view draws it in its 08:30 colour and the view of now in its
    // 08:00 one
    let (mut at_8, mut at_830) = (Vec::new(), Vec::new());
    busy_world(&d.city, AT_S).link_loads(&mut at_8);
    busy_world(&d.city, AT_S + 1800).link_loads(&mut at_830);
    let changed: Vec<(LinkId, f32, f32)> = at_8
        .iter()
        .zip(&at_830)
        .enumerate()
        .filter(|(_, (a, b))| {
            a.vehicles > 0 && b.vehicles > 0 && (a.speed_ratio - b.speed_ratio).abs() > 0.4
        })
        .map(|(l, (a, b))| (LinkId::from_index(l), a.speed_ratio, b.speed_ratio))
        .collect();
    let (ahead_8, ahead_830) = colour_votes(&d.city, &ahead, &changed);
    let (now_8, now_830) = colour_votes(&d.city, &now, &changed);
    assert!(
        ahead_830 > 15 && ahead_830 > 3 * ahead_8,
        "+30 view: {ahead_830} links in their 08:30 colour, {ahead_8} in their 08:00 one"
    );
    assert!(
        // cars drawn over the links hide some colours now
        now_8 > 10 && now_8 > 2 * now_830,
        "view of now: {now_8} links in their 08:00 colour, {now_830} in their 08:30 one"
    );
    // the cars are where they are now, so the view ahead leaves them out
    let car = |img: &RgbImage| {
        img.enumerate_pixels()
            .filter(|(x, y, c)| {
                in_map_area((*x as f32, *y as f32))
                    && [0x7f, 0xe7, 0xff]
                        .iter()
                        .zip(c.0)
                        .all(|(a, b)| u8::abs_diff(*a, b) <= 12)
            })
            .count()
    };
    assert!(car(&now) > 200, "{} car pixels now", car(&now));
    assert!(
        car(&ahead) < 20,
        "{} car pixels in the view ahead",
        car(&ahead)
    );
}

#[test]
fn the_snapshot_matches_its_reference_image() {
    let d = demo("snapshot-golden");
    let img = snapshot(&d.scene, &d.dir.join("golden.png"), &[]);
    if std::env::var_os("CITYTWIN_REGENERATE_GOLDEN").is_some() {
        std::fs::create_dir_all(Path::new(GOLDEN).parent().unwrap()).unwrap();
        img.save(GOLDEN).unwrap();
        return;
    }
    let golden = image::open(GOLDEN)
        .expect("tests/golden/snapshot_0800.png (regenerate with CITYTWIN_REGENERATE_GOLDEN=1)")
        .to_rgb8();
    assert_eq!(golden.dimensions(), img.dimensions());
    let (mut total, mut off) = (0u64, 0u64);
    for (a, b) in golden.pixels().zip(img.pixels()) {
        let diff: u32 =
            a.0.iter()
                .zip(b.0)
                .map(|(x, y)| u32::from(x.abs_diff(y)))
                .sum();
        total += u64::from(diff);
        off += u64::from(diff > 96);
    }
    let pixels = u64::from(img.width() * img.height());
    let mean = total as f64 / (pixels * 3) as f64;
    // software rasterisers differ in anti-aliasing; the picture must not
    assert!(
        mean < 2.0,
        "mean channel difference {mean:.2} from the reference"
    );
    assert!(
        off * 100 < pixels,
        "{off} of {pixels} pixels differ strongly from the reference"
    );
}

#[test]
fn the_windowed_viewer_runs_under_xvfb_in_wall_mode_and_reports_frame_times() {
    let d = demo("view-xvfb");
    let out = std::process::Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x720x24"])
        .arg(env!("CARGO_BIN_EXE_citytwin"))
        .args([
            "-q",
            "view",
            d.scene.to_str().unwrap(),
            "--at",
            "08:00",
            "--trips",
            "5000",
        ])
        .args(["--wall", "--tour-every", "1", "--bench-frames", "20"])
        .env("RUST_LOG", "error")
        .output()
        .expect("xvfb-run (scripts/setup.sh installs xvfb)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "view failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("20 frames: mean"),
        "no frame statistics: {stdout}"
    );
    assert!(stdout.contains("cars drawn"), "{stdout}");
}

#[test]
fn the_bikes_overlay_marks_every_fence_with_its_occupancy() {
    use citytwin_bikes::osm_fences::fences_from_osm;
    use geo::Centroid;
    let d = demo("snapshot-bikes");
    let with = snapshot(&d.scene, &d.dir.join("bikes.png"), &["--overlay", "bikes"]);
    let without = snapshot(
        &d.scene,
        &d.dir.join("nobikes.png"),
        &["--overlay", "traffic"],
    );
    // the four occupancy colours of the wall palette (empty, in use, nearly full, over)
    let fence_colour = |c: Rgb<u8>| {
        [
            [0x5b, 0x6b, 0x8c],
            [0xdf, 0xe6, 0xee],
            [0xff, 0xb0, 0x20],
            [0xff, 0x3b, 0x3b],
        ]
        .iter()
        .any(|k| k.iter().zip(c.0).all(|(a, b)| u8::abs_diff(*a, b) <= 6))
    };
    let to_px = start_view_pixels(d.city.bundle.meta.extent, SIZE);
    let plan = fences_from_osm(&d.city, &Default::default()).unwrap();
    let (mut shown, mut marked, mut marked_without) = (0, 0, 0);
    for fence in plan.fences.iter() {
        let p = to_px(fence.area.centroid().unwrap().0);
        if in_map_area(p) {
            shown += 1;
            marked += usize::from(near(&with, p, 2, fence_colour));
            marked_without += usize::from(near(&without, p, 2, fence_colour));
        }
    }
    assert!(shown > 100, "only {shown} fences on screen");
    assert!(
        marked * 10 >= shown * 9,
        "{marked} of {shown} fences marked"
    );
    assert!(
        marked_without * 10 < shown,
        "{marked_without} of {shown} marked with the overlay off"
    );
}

#[test]
fn the_vitals_overlay_shades_alerting_cells_marks_cases_and_lists_the_city_signs() {
    let dir = scratch("snapshot-vitals");
    let scene = scene_with_ops(&dir, Path::new(DEMO_OPS));
    let with = snapshot(&scene, &dir.join("vitals.png"), &["--overlay", "vitals"]);
    let without = snapshot(&scene, &dir.join("novitals.png"), &["--overlay", "grid"]);
    let count = |img: &RgbImage, area: &dyn Fn(u32, u32) -> bool, colour: [u8; 3]| {
        img.enumerate_pixels()
            .filter(|(x, y, c)| {
                area(*x, *y)
                    && colour
                        .iter()
                        .zip(c.0)
                        .all(|(a, b)| u8::abs_diff(*a, b) <= 8)
            })
            .count()
    };
    let map = |x: u32, y: u32| in_map_area((x as f32, y as f32));
    // open cases as violet diamonds on the map
    let case = [0xc9, 0xa8, 0xff];
    assert!(count(&with, &map, case) > 30, "no case markers");
    assert_eq!(count(&without, &map, case), 0);
    // sensors as triangles (the loop detectors have no thresholds: neutral grey-blue)
    let sensor = [0xb8, 0xc4, 0xd6];
    assert!(count(&with, &map, sensor) > 200, "no sensor markers");
    assert!(count(&without, &map, sensor) < 20);
    // the panel, bottom right: an ordinary morning has at most one red row; on the smog day
    // (the scenario) AQI is red too
    let (w, h) = SIZE;
    let panel = |x: u32, y: u32| x > w * 3 / 4 && y > h / 2 && y < h - 60;
    let red = [0xff, 0x3b, 0x3b];
    let swatch = count(&with, &panel, red);
    let smog_day = dir.join("smog.ron");
    std::fs::write(
        &smog_day,
        r#"(name: "smog", base: "scene.ron", edits: [AirQualityDay(date: "2016-12-18")])"#,
    )
    .unwrap();
    let smog = snapshot(
        &scene,
        &dir.join("smog.png"),
        &[
            "--overlay",
            "vitals",
            "--scenario",
            smog_day.to_str().unwrap(),
        ],
    );
    let smog_swatch = count(&smog, &panel, red);
    assert!(smog_swatch >= 40, "no red swatch in the smog day's panel");
    assert!(
        smog_swatch > swatch,
        "the smog day ({smog_swatch} red pixels) is no redder than an ordinary one ({swatch})"
    );
    assert!(
        swatch < 2 * smog_swatch.min(80),
        "{swatch} red pixels: more than one red row on an ordinary morning"
    );
    assert_eq!(count(&without, &panel, red), 0);
    // red cells shaded on the map (red at 45 % over the dark map: a dim red)
    let shaded = |img: &RgbImage| {
        img.enumerate_pixels()
            .filter(|(x, y, c)| map(*x, *y) && c.0[0] > 100 && c.0[1] < 60 && c.0[2] < 60)
            .count()
    };
    assert!(shaded(&smog) > shaded(&without) + 50, "no shaded cells");
}

#[test]
fn split_screen_compare_shows_the_baseline_the_variant_and_their_difference() {
    let d = demo("snapshot-compare");
    let scenario = d.dir.join("closed.ron");
    std::fs::write(
        &scenario,
        r#"(name: "Renmin North Road closed", base: "scene.ron", edits: [
            CloseRoad(road: Name("人民北路"), from: "07:00", to: "10:00"),
        ])"#,
    )
    .unwrap();
    let compare = ["--compare", scenario.to_str().unwrap()];
    let side_by_side = snapshot(&d.scene, &d.dir.join("compare.png"), &compare);
    let mut with_difference = compare.to_vec();
    with_difference.push("--difference");
    let difference = snapshot(&d.scene, &d.dir.join("difference.png"), &with_difference);
    let half = SIZE.0 / 2;
    // below the pane titles, above the legend
    let count = |img: &RgbImage, right: bool, colour: [u8; 3], tolerance: u8| {
        img.enumerate_pixels()
            .filter(|(x, y, c)| {
                (*x >= half) == right
                    && (60..640).contains(y)
                    && colour
                        .iter()
                        .zip(c.0)
                        .all(|(a, b)| u8::abs_diff(*a, b) <= tolerance)
            })
            .count()
    };
    let free = [0x1a, 0xd1, 0x6b];
    let (left, right) = (
        count(&side_by_side, false, free, 10),
        count(&side_by_side, true, free, 10),
    );
    // both panes show their traffic on the speed ramp
    assert!(
        left > 2000 && right > 2000,
        "free-flow pixels: {left} | {right}"
    );
    // the difference: the right pane leaves the ramp for change colours; the closed road
    // stands out red (slower) and the rest mostly grey; the left pane is unchanged
    let on_ramp = count(&difference, true, free, 10);
    assert!(
        on_ramp * 20 < right,
        "{on_ramp} ramp pixels left on the difference pane"
    );
    assert_eq!(count(&difference, false, free, 10), left);
    let slower = count(&difference, true, [0xe0, 0x2a, 0x2a], 24);
    let same = count(&difference, true, [0x50, 0x58, 0x66], 10);
    assert!(slower > 40, "{slower} pixels of much slower roads");
    assert!(same > 10 * slower, "{same} unchanged vs {slower} slower");
    // each pane has its title
    let title = |img: &RgbImage, right: bool| {
        img.enumerate_pixels()
            .filter(|(x, y, c)| (*x >= half) == right && *y < 50 && drawn(**c))
            .count()
    };
    assert!(title(&difference, false) > 100 && title(&difference, true) > 100);
}

#[test]
fn every_wall_text_fits_its_panel_and_the_screen_from_laptop_to_4k() {
    let dir = scratch("snapshot-text-fits");
    // the demo scene's own credits, which the import puts in the bundle: long enough to wrap
    // beside the legend
    let credits = r#"attribution: ["© OpenStreetMap contributors, ODbL 1.0", "Air quality replayed from Beijing stations: Zhang et al. 2017, UCI ML Repository, CC BY 4.0"]"#;
    let scene = scene_with(&dir, &format!("ops: {:?}, {credits}", Path::new(DEMO_OPS)));
    ok(&["-q", "import", "--scene", scene.to_str().unwrap()]);
    // below and above full HD the UI is scaled: the check must compare sizes in one unit;
    // off the wall at 1600x900 (the window's size) the credits wrap, and the space a wrapped
    // line ends with is no overflow
    let cases = [
        ("1366x768", true),
        ("1600x900", false),
        ("1920x1080", true),
        ("3840x2160", true),
    ];
    for (size, wall) in cases {
        let out = dir.join(format!("wall-{size}-{wall}.png"));
        // the default day (its demand from the city, bikes and cases): the longest texts
        let out_s = out.to_str().unwrap();
        let mut args = vec![
            "-q",
            "snapshot",
            scene.to_str().unwrap(),
            "--at",
            "08:30",
            "--check-text",
            "--size",
            size,
            "-o",
            out_s,
        ];
        if wall {
            args.push("--wall");
        }
        ok(&args);
        assert!(out.exists(), "{size}: no picture");
    }
}
