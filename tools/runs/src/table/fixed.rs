//! Numbers with a fixed count of decimals, as `format!("{value:.decimals$}")` writes them,
//! byte for byte, without its arbitrary-precision fallback: a regional day's link bins are
//! millions of figures, and for two or three decimals the standard library often falls back to
//! big-number arithmetic (Dragon4), most of a table's writing time. An `f64` is an integer
//! times a power of two, so with up to three decimals its exact value times 10^decimals,
//! rounded half to even as the standard library rounds, is an integer division.

use std::fmt::Write;

/// Appends `value` with `decimals` digits after the point.
pub fn write_fixed(out: &mut String, value: f64, decimals: usize) {
    if !write_exact(out, value, decimals) {
        // writing to a String cannot fail
        let _ = write!(out, "{value:.decimals$}");
    }
}

/// False, writing nothing, where the integers would not hold the value: more than three
/// decimals, not finite, or too large or too small for 64 bits.
fn write_exact(out: &mut String, value: f64, decimals: usize) -> bool {
    if decimals > 3 || !value.is_finite() {
        return false;
    }
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    // value = ± mantissa × 2^exponent
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    let scale = 10u64.pow(decimals as u32);
    // < 2^53 × 1000 < 2^63
    let scaled = mantissa * scale;
    let units = if exponent >= 0 {
        match scaled.checked_shl(exponent as u32) {
            Some(units) if units >> exponent == scaled && units < 1 << 63 => units,
            _ => return false,
        }
    } else {
        let shift = -exponent as u32;
        if shift >= 63 {
            return false;
        }
        let (whole, rest, half) = (
            scaled >> shift,
            scaled & ((1 << shift) - 1),
            1 << (shift - 1),
        );
        if rest > half || (rest == half && whole % 2 == 1) {
            whole + 1
        } else {
            whole
        }
    };
    if bits >> 63 == 1 {
        out.push('-');
    }
    let _ = write!(out, "{}", units / scale);
    if decimals > 0 {
        let _ = write!(out, ".{:0decimals$}", units % scale);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::write_fixed;
    use proptest::prelude::*;

    fn fixed(value: f64, decimals: usize) -> String {
        let mut out = String::new();
        write_fixed(&mut out, value, decimals);
        out
    }

    #[test]
    fn ties_signs_and_edges_as_the_standard_library() {
        let values = [
            0.0,
            -0.0,
            0.25,
            0.125,
            2.5,
            1.5,
            0.5,
            -0.5,
            0.05,
            0.35,
            1e-300,
            -1e-300,
            5e-324,
            0.0005,
            0.0015,
            85.415,
            1e15,
            9.007_199_254_740_993e15,
            1e300,
            -2.675,
            1234.5678,
        ];
        for v in values {
            for d in 0..=4 {
                assert_eq!(fixed(v, d), format!("{v:.d$}"), "{v:e} with {d} decimals");
            }
        }
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(fixed(v, 2), format!("{v:.2}"));
        }
    }

    proptest! {
        #[test]
        fn any_double_as_the_standard_library(bits in any::<u64>(), d in 0usize..=4) {
            let v = f64::from_bits(bits);
            prop_assert_eq!(fixed(v, d), format!("{v:.d$}"));
        }

        /// Figures as the tables hold them: speeds, flows, lengths, near ties in any decimal.
        #[test]
        fn table_figures_as_the_standard_library(
            units in 0u64..10_000_000,
            nudge in -3i64..=3,
            scale in 0u32..=4,
            d in 0usize..=3,
        ) {
            let tie = (units as f64 + 0.5) / 10f64.powi(scale as i32);
            let v = f64::from_bits((tie.to_bits() as i64 + nudge) as u64);
            prop_assert_eq!(fixed(v, d), format!("{v:.d$}"));
            prop_assert_eq!(fixed(-v, d), format!("{:.d$}", -v));
        }
    }
}
