//! `citytwin assign`: static user-equilibrium assignment of a TNTP network.

use crate::interrupt;
use anyhow::Result;
use citytwin_runs::assign::{AssignOutcome, TntpCase, flow_rmse, write_flows};
use citytwin_traffic::assign::AssignOptions;
use clap::Args;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

/// Static user-equilibrium assignment (BPR costs, path-based gradient projection) of a
/// network in the TNTP format of "Transportation Networks for Research".
///
/// Prints one line per iteration (relative gap and Beckmann objective). The generalised cost
/// weights (minutes per unit of toll and of length) come from the README.md beside the network
/// file when there is one, as the TNTP networks define them (Chicago-Sketch: toll 0.02,
/// distance 0.04); --toll-weight and --distance-weight override them.
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The network, e.g. ChicagoSketch_net.tntp
    #[arg(long)]
    net: PathBuf,
    /// The OD demand, e.g. ChicagoSketch_trips.tntp
    #[arg(long)]
    trips: PathBuf,
    /// Stop when the relative gap is at most this
    #[arg(long, default_value_t = 1e-5)]
    gap: f64,
    /// Stop after this many iterations even if the gap is not reached
    #[arg(long, default_value_t = 500)]
    max_iterations: u32,
    /// Minutes per unit of toll (default: the network README's "Toll:" weight, else 0)
    #[arg(long)]
    toll_weight: Option<f64>,
    /// Minutes per unit of length (default: the network README's "Distance:" weight, else 0)
    #[arg(long)]
    distance_weight: Option<f64>,
    /// Write link flows as CSV (link, from, to, flow, cost)
    #[arg(long, value_name = "CSV")]
    flows: Option<PathBuf>,
    /// Compare the flows with a best-known solution (_flow.tntp): prints the RMSE
    #[arg(long, value_name = "FLOW_TNTP")]
    compare: Option<PathBuf>,
    /// End with one JSON line: objective, relative_gap, iterations, seconds
    #[arg(long)]
    json: bool,
}

pub fn run(args: AssignArgs, quiet: bool) -> Result<()> {
    let options = AssignOptions {
        target_gap: args.gap,
        max_iterations: args.max_iterations,
    };
    citytwin_runs::assign::check(&options)?;
    let started = Instant::now();
    let case = TntpCase::load(
        &args.net,
        &args.trips,
        args.toll_weight,
        args.distance_weight,
    )?;
    let (net, trips, weights) = (&case.net, &case.trips, &case.weights);
    if !quiet {
        eprintln!(
            "{}: {} nodes, {} links, {} zones, {:.1} trips in {} OD pairs; cost weights toll {} distance {}",
            args.net.display(),
            net.nodes,
            net.links.len(),
            net.zones,
            trips.total(),
            trips.od.len(),
            weights.toll,
            weights.distance
        );
    }
    interrupt::install();
    let mut stdout = std::io::stdout().lock();
    let keep_going = || !interrupt::requested();
    let result = case.assign(
        (&args.net, &args.trips),
        &options,
        &mut |r| {
            let _ = writeln!(
                stdout,
                "iteration {:>4}  relative gap {:.3e}  objective {:.10}  {:.2} s",
                r.iteration,
                r.relative_gap,
                r.objective,
                started.elapsed().as_secs_f64()
            );
            if interrupt::requested() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
        &keep_going,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.flows {
        write_flows(path, &case.network, &result.flows, &result.costs)?;
    }
    let rmse = match &args.compare {
        Some(path) => Some(flow_rmse(path, &case.network, &result.flows)?),
        None => None,
    };
    if let (Some(path), Some((rmse, relative))) = (&args.compare, rmse) {
        writeln!(
            stdout,
            "flows vs {}: RMSE {rmse:.4} ({:.5}% of the mean flow)",
            path.display(),
            relative * 100.0
        )?;
    }
    let outcome = AssignOutcome::of(&result, seconds, rmse);
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string(&outcome)?)?;
        return Ok(());
    }
    let status = if outcome.converged {
        "converged"
    } else if interrupt::requested() {
        "interrupted"
    } else {
        "stopped at --max-iterations"
    };
    writeln!(
        stdout,
        "{status} after {} iterations in {seconds:.2} s: relative gap {:.3e}, objective {:.10}",
        outcome.iterations, outcome.relative_gap, outcome.objective
    )?;
    Ok(())
}
