//! `citytwin assign`: static user-equilibrium assignment of a TNTP network.

use crate::interrupt;
use anyhow::{Context, Result, bail};
use citytwin_traffic::assign::{AssignNetwork, AssignOptions, OdDemand, assign_until};
use citytwin_traffic::tntp::{self, CostWeights};
use clap::Args;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
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

fn weights(args: &AssignArgs) -> Result<CostWeights> {
    let readme = args
        .net
        .parent()
        .map(|d| d.join("README.md"))
        .filter(|p| p.is_file());
    let mut weights = match &readme {
        Some(path) => tntp::cost_weights_from_readme(
            &std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?,
        ),
        None => CostWeights::default(),
    };
    if let Some(w) = args.toll_weight {
        weights.toll = w;
    }
    if let Some(w) = args.distance_weight {
        weights.distance = w;
    }
    // a negative or undefined weight makes costs that no shortest path respects
    for (name, w) in [
        ("toll weight", weights.toll),
        ("distance weight", weights.distance),
    ] {
        if !(w.is_finite() && w >= 0.0) {
            bail!(
                "{name} {w}: expected minutes per unit ≥ 0 (--toll-weight, --distance-weight or the network's README)"
            );
        }
    }
    Ok(weights)
}

pub fn run(args: AssignArgs, quiet: bool) -> Result<()> {
    if args.gap.is_nan() || args.gap <= 0.0 {
        bail!("--gap {}: expected a relative gap > 0, e.g. 1e-5", args.gap);
    }
    let started = Instant::now();
    let net = tntp::read_net(&args.net)?;
    let trips = tntp::read_trips(&args.trips)?;
    if trips.zones > net.nodes {
        bail!(
            "{}: {} zones but the network {} has only {} nodes",
            args.trips.display(),
            trips.zones,
            args.net.display(),
            net.nodes
        );
    }
    let weights = weights(&args)?;
    let network = AssignNetwork::from_tntp(&net, weights);
    let demand = OdDemand::from_tntp(&trips);
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
    let options = AssignOptions {
        target_gap: args.gap,
        max_iterations: args.max_iterations,
    };
    let mut stdout = std::io::stdout().lock();
    let keep_going = || !interrupt::requested();
    let result = assign_until(
        &network,
        &demand,
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
    );
    let seconds = started.elapsed().as_secs_f64();
    if result.unreachable_demand > 0.0 {
        bail!(
            "{}: {:.1} of {:.1} trips have no path through {} (a disconnected network, or zones cut off by <FIRST THRU NODE>); an assignment without them would not be the network's",
            args.trips.display(),
            result.unreachable_demand,
            trips.total(),
            args.net.display()
        );
    }
    if let Some(path) = &args.flows {
        write_flows(path, &network, &result.flows, &result.costs)?;
    }
    let rmse = match &args.compare {
        Some(path) => Some(compare(path, &network, &result.flows)?),
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
    let status = if result.converged {
        "converged"
    } else if interrupt::requested() {
        "interrupted"
    } else {
        "stopped at --max-iterations"
    };
    if args.json {
        let mut summary = serde_json::json!({
            "objective": result.last.objective,
            "relative_gap": result.last.relative_gap,
            "iterations": result.last.iteration,
            "seconds": seconds,
            "converged": result.converged,
        });
        if let Some((rmse, relative)) = rmse {
            summary["flow_rmse"] = rmse.into();
            summary["flow_rmse_relative"] = relative.into();
        }
        writeln!(stdout, "{summary}")?;
    } else {
        writeln!(
            stdout,
            "{status} after {} iterations in {seconds:.2} s: relative gap {:.3e}, objective {:.10}",
            result.last.iteration, result.last.relative_gap, result.last.objective
        )?;
    }
    Ok(())
}

fn write_flows(path: &Path, net: &AssignNetwork, flows: &[f64], costs: &[f64]) -> Result<()> {
    let mut out = String::from("link,from,to,flow,cost\n");
    for a in 0..net.link_count() {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            a + 1,
            net.from[a] + 1,
            net.to[a] + 1,
            flows[a],
            costs[a]
        ));
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// (RMSE, RMSE / mean best flow) against a `_flow.tntp`, matching links by (from, to) in order.
fn compare(path: &Path, net: &AssignNetwork, flows: &[f64]) -> Result<(f64, f64)> {
    let best = tntp::read_flows(path)?;
    if best.len() != net.link_count() {
        bail!(
            "{}: {} links, but the network has {}",
            path.display(),
            best.len(),
            net.link_count()
        );
    }
    let mut sq = 0.0;
    for (a, (from, to, volume, _)) in best.iter().enumerate() {
        if (net.from[a] + 1, net.to[a] + 1) != (*from, *to) {
            bail!(
                "{}: row {} is link {from}→{to}, the network's link {} is {}→{}",
                path.display(),
                a + 1,
                a + 1,
                net.from[a] + 1,
                net.to[a] + 1
            );
        }
        sq += (flows[a] - volume).powi(2);
    }
    let rmse = (sq / best.len() as f64).sqrt();
    let mean = best.iter().map(|r| r.2).sum::<f64>() / best.len() as f64;
    Ok((rmse, rmse / mean))
}
