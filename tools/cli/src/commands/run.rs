//! `citytwin run`: a headless simulated day (or window) of a scene, with its reports.

use crate::{interrupt, progress};
use anyhow::{Context, Result, bail};
use citytwin_city::City;
use citytwin_city::scene::Scene;
use citytwin_sim::{World, WorldOptions};
use citytwin_traffic::dynamic::TrafficSummary;
use clap::Args;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Simulate a day of the city headless, much faster than real time, and write its reports.
///
/// Writes into the output folder: summary.json (traffic.* and run.* figures), link_bins.csv
/// (per link and 15-minute bin: flow, mean speed, density) and trips.csv (every trip with its
/// departure, arrival, length and delay). Same scene, options and seed ⇒ byte-identical files,
/// except run.wall_seconds. Ctrl-C stops at the next simulated minute and writes what was
/// simulated so far.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scene file, e.g. scenes/chengdu/scene.ron (its bundle must exist: `citytwin import --scene`)
    scene: PathBuf,
    /// Random seed: demand and driver choices
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Start of the simulated window (HH:MM)
    #[arg(long, default_value = "00:00", value_parser = parse_clock)]
    from: u32,
    /// End of the simulated window (HH:MM, 24:00 for the whole day)
    #[arg(long, default_value = "24:00", value_parser = parse_clock)]
    to: u32,
    /// Car trips in the synthetic day
    #[arg(long, default_value_t = 100_000)]
    trips: u32,
    /// Share of drivers who re-route en route every 10 minutes (0..=1)
    #[arg(long, default_value_t = 0.1)]
    reroute_share: f64,
    /// Output folder
    #[arg(short, long)]
    output: PathBuf,
}

fn parse_clock(value: &str) -> Result<u32, String> {
    let parse = || -> Option<u32> {
        let (h, m) = value.split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 3600 + m * 60)
    };
    parse().ok_or_else(|| format!("expected a time of day HH:MM (00:00 to 24:00), found {value:?}"))
}

fn clock(t: u32) -> String {
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

pub fn run(args: RunArgs, quiet: bool) -> Result<()> {
    if !(0.0..=1.0).contains(&args.reroute_share) {
        bail!(
            "--reroute-share {}: expected a share between 0 and 1",
            args.reroute_share
        );
    }
    if args.from >= args.to {
        bail!(
            "--from {} is not before --to {}",
            clock(args.from),
            clock(args.to)
        );
    }
    let started = Instant::now();
    let scene = Scene::load(&args.scene)?;
    if !scene.bundle.exists() {
        bail!(
            "{}: no city bundle; run `citytwin import --scene {}` first",
            scene.bundle.display(),
            args.scene.display()
        );
    }
    let city = City::load(&scene.bundle)?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    let mut options = WorldOptions {
        seed: args.seed,
        trips: args.trips,
        from_s: args.from,
        to_s: args.to,
        ..WorldOptions::default()
    };
    options.traffic.reroute_share = args.reroute_share;
    let mut world = World::new(&city, options)?;
    interrupt::install();
    let bar = progress::steps(u64::from(args.to - args.from), quiet);
    let sim_started = Instant::now();
    world.run(&mut |w| {
        let simulated = w.now_s() - args.from;
        bar.set_position(u64::from(simulated));
        let wall = sim_started.elapsed().as_secs_f64().max(1e-3);
        let c = w.traffic.counts();
        bar.set_message(format!(
            "{}  {:.0}× real time  {} cars on the road",
            clock(w.now_s()),
            f64::from(simulated) / wall,
            c.on_links + c.waiting
        ));
        !interrupt::requested()
    });
    bar.finish_and_clear();
    let interrupted = interrupt::requested();
    let s = world.traffic.summary();
    write_outputs(
        &args,
        &city,
        &world,
        &s,
        started.elapsed().as_secs_f64(),
        interrupted,
    )?;
    if !quiet {
        eprintln!(
            "{} {} → {} in {:.1} s: {} of {} trips completed, {:.0} veh·km, mean speed {:.1} km/h, mean delay {:.0} s, congestion index {:.2}, {} stuck moves → {}",
            if interrupted {
                "interrupted:"
            } else {
                "simulated"
            },
            clock(args.from),
            clock(world.now_s()),
            started.elapsed().as_secs_f64(),
            s.trips_completed,
            s.trips,
            s.vkt_km,
            s.mean_speed_kmh,
            s.mean_delay_s,
            s.congestion_index,
            s.stuck_moves,
            args.output.display()
        );
    }
    Ok(())
}

fn write_outputs(
    args: &RunArgs,
    city: &City,
    world: &World,
    traffic: &TrafficSummary,
    wall_s: f64,
    interrupted: bool,
) -> Result<()> {
    let summary = serde_json::json!({
        "traffic": traffic,
        "run": {
            "scene": args.scene.display().to_string(),
            "seed": args.seed,
            "from_s": args.from,
            "to_s": world.now_s(),
            "sim_seconds": world.now_s() - args.from,
            "wall_seconds": wall_s,
            "interrupted": interrupted,
        },
    });
    write(
        &args.output.join("summary.json"),
        &(serde_json::to_string_pretty(&summary)? + "\n"),
    )?;
    write(
        &args.output.join("link_bins.csv"),
        &link_bins_csv(city, world),
    )?;
    write(&args.output.join("trips.csv"), &trips_csv(world))?;
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn link_bins_csv(city: &City, world: &World) -> String {
    let stats = &world.traffic.stats;
    let mut out =
        String::from("bin_start,link,osm_way_id,flow_vph,mean_speed_kmh,density_veh_km\n");
    let bin_h = f64::from(stats.bin_s) / 3600.0;
    for (b, bins) in stats.bins.iter().enumerate() {
        let start = clock(b as u32 * stats.bin_s);
        for (l, bin) in bins.iter().enumerate() {
            if bin.exits == 0 && bin.vehicle_s == 0.0 {
                continue;
            }
            let link = &city.roads().links[l];
            let speed = if bin.exits > 0 {
                link.length_m / (bin.travel_s / f64::from(bin.exits)).max(1.0) * 3.6
            } else {
                0.0
            };
            let density =
                bin.vehicle_s / f64::from(stats.bin_s) / (link.length_m / 1000.0).max(1e-3);
            let _ = writeln!(
                out,
                "{start},{l},{},{:.1},{:.2},{:.3}",
                link.osm_way_id,
                f64::from(bin.exits) / bin_h,
                speed,
                density
            );
        }
    }
    out
}

fn trips_csv(world: &World) -> String {
    let mut out = String::from(
        "id,purpose,origin_link,destination_link,departure,arrival,status,length_m,travel_time_s,delay_s,reroutes\n",
    );
    let traffic = &world.traffic;
    for (i, (spec, record)) in traffic.trips().iter().zip(&traffic.records).enumerate() {
        let (arrival, travel, delay) = match record.arrival_s {
            Some(a) => (
                clock(a),
                (a - spec.departure_s).to_string(),
                record.delay_s(spec).unwrap_or(0).to_string(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "{i},{},{},{},{},{arrival},{},{:.1},{travel},{delay},{}",
            spec.purpose.as_str(),
            spec.origin_link,
            spec.dest_link,
            clock(spec.departure_s),
            record.status.as_str(),
            record.length_m,
            record.reroutes
        );
    }
    out
}
