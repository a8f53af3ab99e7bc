//! Which of several equally fast routes a driver takes. Free-flow times are whole seconds, so
//! routes of equal time are common (a grid's staircase paths, a ring road's two sides). Left
//! to the router, the choice follows its search order (a contraction order, a heap's), and a
//! faster router or a better contraction order would move a calibrated day as a new seed does.
//! Every router therefore adds to each link a tie-break of a millisecond or two, the same for
//! the link whatever the router: the fastest route is then one route, and every exact router
//! finds that one. Among equal times it prefers fewer links (fewer junctions to cross; drivers
//! prefer simpler routes), then a fixed pseudo-random order of the links.
//!
//! A route's tie-breaks add up to well under a second, so they choose between routes whose
//! times differ by less than that, never against a real difference.

use citytwin_city::rng::unit_of;

/// Seconds added per link, before its pseudo-random part (up to as much again).
pub const TIE_BREAK_S: f64 = 1e-3;

/// What a router adds to the cost of `link`.
pub fn tie_break(link: u32) -> f64 {
    TIE_BREAK_S * (1.0 + unit_of(u64::from(link)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tie_breaks_are_small_distinct_and_fixed() {
        let ties: Vec<f64> = (0..10_000).map(tie_break).collect();
        assert!(
            ties.iter()
                .all(|&t| (TIE_BREAK_S..2.0 * TIE_BREAK_S).contains(&t))
        );
        let mut sorted = ties.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        assert_eq!(sorted.len(), ties.len(), "two links with one tie-break");
        assert_eq!(tie_break(42), ties[42]);
    }
}
