//! A static assignment case from TNTP files: the network with its cost weights (from the
//! network's README, or given), the OD demand, the flows written as CSV and compared with the
//! published best-known flows.

use crate::error::{Result, RunError, Setting};
use citytwin_traffic::assign::{
    AssignNetwork, AssignOptions, AssignResult, IterationReport, OdDemand, assign_until,
};
use citytwin_traffic::tntp::{self, CostWeights, TntpNet, TntpTrips};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Debug)]
pub struct TntpCase {
    pub net: TntpNet,
    pub trips: TntpTrips,
    pub weights: CostWeights,
    pub network: AssignNetwork,
    pub demand: OdDemand,
}

/// Refuses a target gap the assignment could never reach (zero, negative or NaN), before
/// anything is loaded.
pub fn check(options: &AssignOptions) -> Result<()> {
    if options.target_gap > 0.0 {
        Ok(())
    } else {
        Err(RunError::setting(
            Setting::AssignGap,
            options.target_gap,
            "expected a relative gap > 0, e.g. 1e-5",
        ))
    }
}

impl TntpCase {
    /// `toll_weight` and `distance_weight` (minutes per unit) replace what the network's
    /// README.md says, where given.
    pub fn load(
        net_path: &Path,
        trips_path: &Path,
        toll_weight: Option<f64>,
        distance_weight: Option<f64>,
    ) -> Result<TntpCase> {
        let net = tntp::read_net(net_path)?;
        let trips = tntp::read_trips(trips_path)?;
        if trips.zones > net.nodes {
            return Err(RunError::bad_input(
                trips_path,
                format!(
                    "{} zones but the network {} has only {} nodes",
                    trips.zones,
                    net_path.display(),
                    net.nodes
                ),
            ));
        }
        let readme = net_path
            .parent()
            .map(|d| d.join("README.md"))
            .filter(|p| p.is_file());
        let mut weights = match &readme {
            Some(path) => tntp::cost_weights_from_readme(
                &std::fs::read_to_string(path).map_err(RunError::io("reading", path))?,
            ),
            None => CostWeights::default(),
        };
        if let Some(w) = toll_weight {
            weights.toll = w;
        }
        if let Some(w) = distance_weight {
            weights.distance = w;
        }
        // a negative or undefined weight makes costs that no shortest path respects
        for (name, w) in [
            ("toll weight", weights.toll),
            ("distance weight", weights.distance),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(RunError::bad_input(
                    readme.as_deref().unwrap_or(net_path),
                    format!("{name} {w}: expected minutes per unit ≥ 0"),
                ));
            }
        }
        let network = AssignNetwork::from_tntp(&net, weights);
        let demand = OdDemand::from_tntp(&trips);
        Ok(TntpCase {
            net,
            trips,
            weights,
            network,
            demand,
        })
    }

    /// Assigns the demand to the network (see [`assign_until`]); an error when some of it
    /// has no path, since an assignment without it would not be the network's.
    pub fn assign(
        &self,
        paths: (&Path, &Path),
        options: &AssignOptions,
        on_iteration: &mut dyn FnMut(&IterationReport) -> ControlFlow<()>,
        keep_going: &(dyn Fn() -> bool + Sync),
    ) -> Result<AssignResult> {
        check(options)?;
        let result = assign_until(
            &self.network,
            &self.demand,
            options,
            on_iteration,
            keep_going,
        );
        if result.unreachable_demand > 0.0 {
            let (net_path, trips_path) = paths;
            return Err(RunError::bad_input(
                trips_path,
                format!(
                    "{:.1} of {:.1} trips have no path through {} (a disconnected network, or zones cut off by <FIRST THRU NODE>); an assignment without them would not be the network's",
                    result.unreachable_demand,
                    self.trips.total(),
                    net_path.display()
                ),
            ));
        }
        Ok(result)
    }
}

/// An assignment's last line as JSON (`citytwin assign --json`; keys in alphabetical order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssignOutcome {
    pub converged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_rmse: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_rmse_relative: Option<f64>,
    pub iterations: u32,
    pub objective: f64,
    pub relative_gap: f64,
    pub seconds: f64,
}

impl AssignOutcome {
    /// `rmse`: the flows' RMSE against published ones, absolute and relative to their mean.
    pub fn of(result: &AssignResult, seconds: f64, rmse: Option<(f64, f64)>) -> AssignOutcome {
        AssignOutcome {
            converged: result.converged,
            flow_rmse: rmse.map(|r| r.0),
            flow_rmse_relative: rmse.map(|r| r.1),
            iterations: result.last.iteration,
            objective: result.last.objective,
            relative_gap: result.last.relative_gap,
            seconds,
        }
    }
}

/// link,from,to,flow,cost with TNTP's 1-based numbers.
pub fn write_flows(path: &Path, net: &AssignNetwork, flows: &[f64], costs: &[f64]) -> Result<()> {
    let header = ["link", "from", "to", "flow", "cost"]
        .map(String::from)
        .to_vec();
    let rows = (0..net.link_count()).map(|a| {
        vec![
            (a + 1).to_string(),
            (net.from[a] + 1).to_string(),
            (net.to[a] + 1).to_string(),
            flows[a].to_string(),
            costs[a].to_string(),
        ]
    });
    crate::reports::write(path, &crate::reports::csv_text(header, rows))
}

/// The flows' RMSE against a TNTP flow file (best-known flows), and as a share of its mean.
pub fn flow_rmse(path: &Path, net: &AssignNetwork, flows: &[f64]) -> Result<(f64, f64)> {
    let best = tntp::read_flows(path)?;
    if best.len() != net.link_count() {
        return Err(RunError::bad_input(
            path,
            format!(
                "{} links, but the network has {}",
                best.len(),
                net.link_count()
            ),
        ));
    }
    let mut sq = 0.0;
    for (a, (from, to, volume, _)) in best.iter().enumerate() {
        if (net.from[a] + 1, net.to[a] + 1) != (*from, *to) {
            return Err(RunError::bad_input(
                path,
                format!(
                    "row {} is link {from}→{to}, the network's link {} is {}→{}",
                    a + 1,
                    a + 1,
                    net.from[a] + 1,
                    net.to[a] + 1
                ),
            ));
        }
        sq += (flows[a] - volume).powi(2);
    }
    let rmse = (sq / best.len() as f64).sqrt();
    let mean = best.iter().map(|r| r.2).sum::<f64>() / best.len() as f64;
    Ok((rmse, rmse / mean))
}
