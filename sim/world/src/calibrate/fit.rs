//! Levenberg–Marquardt least squares on residuals that cost a simulation each, and that are
//! noisy: a simulated day near capacity answers a 1% change of demand with jams that come or
//! go. So the step is not taken on finite differences at one point but on a linear model of
//! every residual fitted by weighted least squares to *all* the points evaluated so far
//! (Gaussian weights around the best one): each new day sharpens the model instead of
//! replacing it. Batches of points are evaluated together (so they can run in parallel);
//! parameters stay within bounds. Deterministic: the same residual function gives the same
//! path.

/// One evaluation of the residual function.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub x: Vec<f64>,
    pub residuals: Vec<f64>,
    pub cost: f64,
}

/// What the fit found.
#[derive(Clone, Debug, PartialEq)]
pub struct FitResult {
    /// The evaluated point with the least cost.
    pub best: Evaluation,
    /// Every evaluation, in the order made.
    pub history: Vec<Evaluation>,
    /// Why it stopped.
    pub stopped: Stop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The model's step moved no parameter by more than the tolerance.
    Converged,
    /// Two rounds in a row found nothing better, with steps already small.
    NoImprovement,
    MaxEvaluations,
    /// The residual function was stopped (Ctrl-C).
    Interrupted,
}

/// Bounds, step and budget.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Spacing of the first probes along each parameter; also the width of the model's
    /// weights (points farther than a few steps from the best count little).
    pub step: f64,
    /// Largest move of one parameter per iteration.
    pub max_move: f64,
    /// Converged when no parameter moves more than this.
    pub tolerance: f64,
    pub max_evaluations: usize,
}

pub fn cost(r: &[f64]) -> f64 {
    0.5 * r.iter().map(|v| v * v).sum::<f64>()
}

/// A batch of points in, their residual vectors out (`None`: stopped).
pub type BatchEval<'a> = dyn FnMut(&[Vec<f64>]) -> Option<Vec<Vec<f64>>> + 'a;

/// Minimises ½ Σ r(x)² from `x0`. `eval` takes a batch of points and returns their residual
/// vectors (all of one length), or `None` when stopped.
impl FitOptions {
    fn clamp(&self, x: &mut [f64]) {
        for (k, v) in x.iter_mut().enumerate() {
            *v = v.clamp(self.lower[k], self.upper[k]);
        }
    }

    /// The start and one probe `step` along each parameter (inwards at an upper bound).
    fn probes(&self, x0: &[f64], step: f64) -> Vec<Vec<f64>> {
        let mut start = x0.to_vec();
        self.clamp(&mut start);
        let mut probes = vec![start.clone()];
        for k in 0..start.len() {
            let mut y = start.clone();
            y[k] += if start[k] + step > self.upper[k] {
                -step
            } else {
                step
            };
            probes.push(y);
        }
        probes
    }

    /// The damped Gauss–Newton step from `centre` with damping `lambda`, shortened to
    /// `max_move` and kept in bounds.
    fn damped_trial(&self, centre: &[f64], jtj: &[Vec<f64>], jtr: &[f64], lambda: f64) -> Vec<f64> {
        let delta = damped_step(jtj, jtr, lambda).unwrap_or_else(|| vec![0.0; centre.len()]);
        let scale = delta
            .iter()
            .map(|d| d.abs() / self.max_move)
            .fold(1.0, f64::max);
        let mut y: Vec<f64> = centre
            .iter()
            .zip(&delta)
            .map(|(a, d)| a + d / scale)
            .collect();
        self.clamp(&mut y);
        y
    }
}

pub fn levenberg_marquardt(
    x0: &[f64],
    options: &FitOptions,
    eval: &mut BatchEval,
) -> Option<FitResult> {
    let mut history: Vec<Evaluation> = Vec::new();
    let mut add = |points: &[Vec<f64>], history: &mut Vec<Evaluation>| -> bool {
        let Some(rs) = eval(points) else {
            return false;
        };
        for (x, r) in points.iter().zip(rs) {
            history.push(Evaluation {
                x: x.clone(),
                cost: cost(&r),
                residuals: r,
            });
        }
        true
    };
    let result = |history: Vec<Evaluation>, stopped| {
        let best = best_of(&history)?.clone();
        Some(FitResult {
            best,
            history,
            stopped,
        })
    };
    let mut probes = options.probes(x0, options.step);
    if history.len() + probes.len() > options.max_evaluations {
        probes.truncate(options.max_evaluations.max(1));
    }
    if !add(&probes, &mut history) {
        return result(history, Stop::Interrupted);
    }
    let mut lambda = 1e-2;
    let mut stale = 0;
    let mut step = options.step;
    let stop = loop {
        if history.len() + 2 > options.max_evaluations {
            break Stop::MaxEvaluations;
        }
        let centre = best_of(&history)?.clone();
        let Some((fitted, jacobian)) = local_model(&history, &centre.x, step * 2.0) else {
            break Stop::NoImprovement;
        };
        let (jtj, jtr) = normal_equations(&jacobian, &fitted);
        let trials: Vec<Vec<f64>> = [lambda, lambda * 10.0]
            .iter()
            .map(|&l| options.damped_trial(&centre.x, &jtj, &jtr, l))
            .collect();
        let largest_move = trials
            .iter()
            .flat_map(|y| y.iter().zip(&centre.x).map(|(a, b)| (a - b).abs()))
            .fold(0.0f64, f64::max);
        if largest_move < options.tolerance {
            // a model still weighted by the far first probes (whose residuals are the
            // largest) can settle short of the minimum: once, while evaluations are left, it
            // is made again from probes close around the best point
            let close = options.probes(&centre.x, step / REFINE);
            if step < options.step || history.len() + close.len() + 1 > options.max_evaluations {
                break Stop::Converged;
            }
            step /= REFINE;
            (lambda, stale) = (1e-2, 0);
            if !add(&close[1..], &mut history) {
                break Stop::Interrupted;
            }
            continue;
        }
        if !add(&trials, &mut history) {
            break Stop::Interrupted;
        }
        let n = history.len();
        let improved = history[n - 2..].iter().any(|e| e.cost < centre.cost);
        if improved {
            lambda = (lambda / 3.0).max(1e-6);
            stale = 0;
        } else {
            lambda *= 4.0;
            stale += 1;
            if stale >= 2 && largest_move < 4.0 * options.tolerance {
                break Stop::NoImprovement;
            }
        }
    };
    result(history, stop)
}

/// How much closer than the first probes those of the one refinement lie.
const REFINE: f64 = 4.0;

fn best_of(history: &[Evaluation]) -> Option<&Evaluation> {
    history.iter().min_by(|a, b| a.cost.total_cmp(&b.cost))
}

/// Every residual as `a + J (x − centre)`, fitted by least squares over the evaluations with
/// weights exp(−|x − centre|² / 2 width²); `None` when the points do not span the parameters.
fn local_model(
    history: &[Evaluation],
    centre: &[f64],
    width: f64,
) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    let p = centre.len();
    let m = history.first()?.residuals.len();
    // normal equations of the design [1, x − centre], shared by every residual
    let mut ata = vec![vec![0.0; p + 1]; p + 1];
    let mut atb = vec![vec![0.0; m]; p + 1];
    for e in history {
        let d: Vec<f64> = e.x.iter().zip(centre).map(|(a, b)| a - b).collect();
        let w = (-d.iter().map(|v| v * v).sum::<f64>() / (2.0 * width * width)).exp();
        let row: Vec<f64> = std::iter::once(1.0).chain(d).collect();
        for a in 0..=p {
            for b in 0..=p {
                ata[a][b] += w * row[a] * row[b];
            }
            for (i, r) in e.residuals.iter().enumerate() {
                atb[a][i] += w * row[a] * r;
            }
        }
    }
    // a whisker of ridge on the slopes keeps a thin design solvable
    for (k, row) in ata.iter_mut().enumerate().skip(1) {
        row[k] += 1e-9;
    }
    let inverse = invert(&ata)?;
    let mut fitted = vec![0.0; m];
    let mut jacobian = vec![vec![0.0; p]; m];
    for i in 0..m {
        for a in 0..=p {
            let coefficient: f64 = (0..=p).map(|b| inverse[a][b] * atb[b][i]).sum();
            if a == 0 {
                fitted[i] = coefficient;
            } else {
                jacobian[i][a - 1] = coefficient;
            }
        }
    }
    Some((fitted, jacobian))
}

/// Gauss–Jordan inverse with partial pivoting; `None` when singular.
fn invert(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for c in 0..n {
        let pivot = (c..n).max_by(|&x, &y| m[x][c].abs().total_cmp(&m[y][c].abs()))?;
        if m[pivot][c].abs() < 1e-12 {
            return None;
        }
        m.swap(c, pivot);
        let d = m[c][c];
        for v in m[c].iter_mut() {
            *v /= d;
        }
        let pivot_row = m[c].clone();
        for (r, row) in m.iter_mut().enumerate() {
            let f = row[c];
            if r != c && f != 0.0 {
                for (v, p) in row.iter_mut().zip(&pivot_row) {
                    *v -= f * p;
                }
            }
        }
    }
    Some(m.into_iter().map(|r| r[n..].to_vec()).collect())
}

fn normal_equations(j: &[Vec<f64>], r: &[f64]) -> (Vec<Vec<f64>>, Vec<f64>) {
    let p = j.first().map_or(0, Vec::len);
    let mut jtj = vec![vec![0.0; p]; p];
    let mut jtr = vec![0.0; p];
    for (row, ri) in j.iter().zip(r) {
        for a in 0..p {
            jtr[a] += row[a] * ri;
            for b in 0..p {
                jtj[a][b] += row[a] * row[b];
            }
        }
    }
    (jtj, jtr)
}

/// Solves (JᵀJ + λ diag(JᵀJ)) δ = −Jᵀr; `None` when singular.
fn damped_step(jtj: &[Vec<f64>], jtr: &[f64], lambda: f64) -> Option<Vec<f64>> {
    let mut a = jtj.to_vec();
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += lambda * jtj[i][i].max(1e-9);
    }
    let inverse = invert(&a)?;
    Some(
        inverse
            .iter()
            .map(|row| -row.iter().zip(jtr).map(|(a, b)| a * b).sum::<f64>())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(p: usize) -> FitOptions {
        FitOptions {
            lower: vec![-3.0; p],
            upper: vec![3.0; p],
            step: 0.05,
            max_move: 1.0,
            tolerance: 1e-4,
            max_evaluations: 200,
        }
    }

    #[test]
    fn recovers_the_parameters_of_a_nonlinear_model() {
        // y = a·exp(b·t) sampled at known a = 2 (x0 = ln a), b = −0.5
        let (a, b) = (2.0f64, -0.5f64);
        let ts: Vec<f64> = (0..10).map(|i| f64::from(i) * 0.5).collect();
        let obs: Vec<f64> = ts.iter().map(|t| a * (b * t).exp()).collect();
        let mut eval = |xs: &[Vec<f64>]| {
            Some(
                xs.iter()
                    .map(|x| {
                        ts.iter()
                            .zip(&obs)
                            .map(|(t, o)| x[0].exp() * (x[1] * t).exp() - o)
                            .collect()
                    })
                    .collect(),
            )
        };
        let fit = levenberg_marquardt(&[0.0, 0.0], &options(2), &mut eval).unwrap();
        assert!((fit.best.x[0] - a.ln()).abs() < 1e-2, "{:?}", fit.best.x);
        assert!((fit.best.x[1] - b).abs() < 1e-2, "{:?}", fit.best.x);
        assert!(fit.best.cost < 1e-3, "{}", fit.best.cost);
    }

    #[test]
    fn finds_the_trend_under_noise_that_defeats_finite_differences() {
        // a simulated day's answer: a smooth trend plus ±0.3 of jitter that changes with
        // every 1% of the parameter
        let jitter = |x: f64| 0.3 * (x * 997.0).sin();
        let mut eval = |xs: &[Vec<f64>]| {
            Some(
                xs.iter()
                    .map(|x| vec![4.0 * (x[0] - 0.4) + jitter(x[0])])
                    .collect(),
            )
        };
        let mut o = options(1);
        o.step = 0.15;
        o.max_evaluations = 16;
        let fit = levenberg_marquardt(&[0.0], &o, &mut eval).unwrap();
        assert!((fit.best.x[0] - 0.4).abs() < 0.1, "{:?}", fit.best.x);
    }

    #[test]
    fn stays_within_bounds_and_stops_when_asked() {
        // the optimum (x = 5) is beyond the upper bound 3
        let mut eval = |xs: &[Vec<f64>]| Some(xs.iter().map(|x| vec![x[0] - 5.0]).collect());
        let fit = levenberg_marquardt(&[0.0], &options(1), &mut eval).unwrap();
        assert!((fit.best.x[0] - 3.0).abs() < 1e-9, "{:?}", fit.best.x);
        let mut calls = 0;
        let mut stopping = |xs: &[Vec<f64>]| {
            calls += 1;
            (calls < 3).then(|| xs.iter().map(|x| vec![x[0] - 1.0]).collect())
        };
        let fit = levenberg_marquardt(&[0.0], &options(1), &mut stopping).unwrap();
        assert_eq!(fit.stopped, Stop::Interrupted);
        // the probes (2 points), one round of trials (2), then stopped
        assert_eq!(fit.history.len(), 4);
    }
}
