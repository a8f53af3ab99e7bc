//! Baseline against variant over paired seeds: both sides run with the same seeds (common
//! random numbers), so each seed gives one difference and the interval is a paired Student-t
//! interval of the mean difference.
//!
//! ```
//! use citytwin_sim::compare::paired;
//! let d = paired(&[10.0, 12.0, 11.0], &[12.0, 13.0, 14.0]);
//! assert_eq!(d.difference, 2.0);
//! // differences 2, 1, 3: sd 1, t(0.975, 2) = 4.303 → ±2.484
//! let (lo, hi) = d.ci95.unwrap();
//! assert!((lo + 0.484).abs() < 1e-3 && (hi - 4.484).abs() < 1e-3);
//! assert!(!d.significant);
//! ```

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// One figure compared.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PairedDiff {
    pub seeds: usize,
    pub baseline_mean: f64,
    pub variant_mean: f64,
    /// Mean of variant − baseline over the seeds.
    pub difference: f64,
    /// The difference over the baseline mean; `None` when the baseline mean is 0.
    pub relative_difference: Option<f64>,
    /// 95% confidence interval of the difference; `None` with fewer than two seeds.
    pub ci95: Option<(f64, f64)>,
    /// The interval leaves out zero.
    pub significant: bool,
}

/// Compares paired samples (`baseline[i]` and `variant[i]` ran with the same seed).
pub fn paired(baseline: &[f64], variant: &[f64]) -> PairedDiff {
    let n = baseline.len().min(variant.len());
    // `+ 0.0`: an empty or all-zero sum is -0.0 in Rust; reports should say 0
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64 + 0.0;
    let diffs: Vec<f64> = (0..n).map(|i| variant[i] - baseline[i]).collect();
    let (b, v, d) = (mean(&baseline[..n]), mean(&variant[..n]), mean(&diffs));
    let ci95 = (n >= 2).then(|| {
        let var = diffs.iter().map(|x| (x - d).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half = t_975(n - 1) * (var / n as f64).sqrt();
        (d - half, d + half)
    });
    PairedDiff {
        seeds: n,
        baseline_mean: b,
        variant_mean: v,
        difference: d,
        relative_difference: (b != 0.0).then(|| d / b),
        ci95,
        significant: ci95.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0),
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom (two-sided 95%); infinite
/// for none. Exact for every `df` (a table that jumped from 30 to 40, 60 and 120 degrees made
/// the intervals of 31–119 seeds slightly too narrow).
pub fn t_975(df: usize) -> f64 {
    if df == 0 {
        return f64::INFINITY;
    }
    StudentsT::new(0.0, 1.0, df as f64).map_or(f64::INFINITY, |t| t.inverse_cdf(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_published_table_between_its_rows_too() {
        // NIST/SEMATECH e-Handbook, table of the t distribution's upper critical values
        for (df, t) in [
            (1, 12.706),
            (4, 2.776),
            (30, 2.042),
            (31, 2.040),
            (50, 2.009),
            (100, 1.984),
            (119, 1.980),
        ] {
            assert!(
                (t_975(df) - t).abs() < 1e-3,
                "df {df}: {} vs {t}",
                t_975(df)
            );
        }
        assert!(t_975(0).is_infinite());
        assert!((t_975(100_000) - 1.960).abs() < 1e-3);
    }

    #[test]
    fn a_hand_computed_five_seed_interval() {
        // differences 1.5, 2.0, 2.5, 1.0, 3.0: mean 2.0, sd √0.625 = 0.7906,
        // se 0.3536, t(0.975, 4) = 2.776 → 2.0 ± 0.9815
        let base = [10.0, 20.0, 30.0, 40.0, 50.0];
        let variant = [11.5, 22.0, 32.5, 41.0, 53.0];
        let d = paired(&base, &variant);
        assert_eq!(d.seeds, 5);
        assert!((d.difference - 2.0).abs() < 1e-12);
        let (lo, hi) = d.ci95.expect("five seeds");
        assert!((lo - 1.0185).abs() < 1e-3, "{lo}");
        assert!((hi - 2.9815).abs() < 1e-3, "{hi}");
        assert!(d.significant);
        assert!((d.relative_difference.expect("mean ≠ 0") - 2.0 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn equal_runs_differ_by_exactly_zero_and_are_not_significant() {
        let d = paired(&[3.0, 4.0, 5.0], &[3.0, 4.0, 5.0]);
        assert_eq!(d.difference, 0.0);
        assert_eq!(d.ci95, Some((0.0, 0.0)));
        assert!(!d.significant);
    }

    #[test]
    fn zero_is_written_as_zero() {
        let d = paired(&[0.0, 0.0], &[0.0, 0.0]);
        assert!(d.variant_mean.is_sign_positive() && d.difference.is_sign_positive());
    }

    #[test]
    fn one_seed_has_no_interval() {
        let d = paired(&[3.0], &[4.0]);
        assert_eq!(d.ci95, None);
        assert!(!d.significant);
        assert_eq!(paired(&[0.0], &[1.0]).relative_difference, None);
    }

    #[test]
    fn a_constant_shift_is_significant() {
        let d = paired(&[1.0, 2.0], &[2.0, 3.0]);
        assert_eq!(d.ci95, Some((1.0, 1.0)));
        assert!(d.significant);
    }
}
