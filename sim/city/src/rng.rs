//! The simulation's random numbers: a small, fixed algorithm (xoshiro256** seeded through
//! SplitMix64) so that outputs stay byte-identical across dependency upgrades and platforms.
//! Each subsystem forks its own stream by name, as A/B Street does, so adding draws in one
//! subsystem never shifts another's.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimRng {
    state: [u64; 4],
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fixed number in [0, 1) for `key`, without a stream: the same key gives the same number
/// wherever and whenever it is asked for.
pub fn unit_of(key: u64) -> f64 {
    let mut x = key;
    (splitmix64(&mut x) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl SimRng {
    pub fn seed(seed: u64) -> Self {
        let mut x = seed;
        Self {
            state: std::array::from_fn(|_| splitmix64(&mut x)),
        }
    }

    /// An independent stream for a named subsystem (`"traffic.demand"`, `"bikes.fleet"`).
    pub fn fork(seed: u64, name: &str) -> Self {
        // FNV-1a of the name, mixed into the seed
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        });
        Self::seed(seed ^ h.rotate_left(17))
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0), without modulo bias worth measuring (Lemire's method).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Exponentially distributed with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// An index drawn with probability proportional to `weights` (cumulative, ascending).
    pub fn pick_cumulative(&mut self, cumulative: &[f64]) -> Option<usize> {
        let total = *cumulative.last()?;
        if total <= 0.0 {
            return None;
        }
        let x = self.unit() * total;
        Some(
            cumulative
                .partition_point(|c| *c <= x)
                .min(cumulative.len() - 1),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_forks_differ() {
        let (mut a, mut b) = (SimRng::seed(7), SimRng::seed(7));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
        let mut c = SimRng::fork(7, "traffic");
        let mut d = SimRng::fork(7, "bikes");
        assert_ne!(c.next_u64(), d.next_u64());
    }

    #[test]
    fn unit_and_below_stay_in_range_and_spread() {
        let mut r = SimRng::seed(1);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            counts[r.below(10) as usize] += 1;
        }
        assert!(
            counts.iter().all(|c| (9_000..11_000).contains(c)),
            "{counts:?}"
        );
    }

    #[test]
    fn pick_follows_weights() {
        let mut r = SimRng::seed(3);
        let cumulative = [1.0, 1.0, 4.0];
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[r.pick_cumulative(&cumulative).unwrap()] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((9_000..11_000).contains(&counts[0]), "{counts:?}");
    }
}
