//! The mutator: libFuzzer's byte-level moves (flip, set, insert, erase, copy, splice,
//! truncate) plus words of the format and numbers at their edges, on a seeded generator so
//! that a campaign replays exactly.

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Numbers at the edges of what parsers take: signs, overflow, NaN, exponents, separators.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-0",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "9223372036854775807",
    "0.0000001",
    "1e-300",
    "99999999999",
    "2147483648",
    "1.",
    ".5",
    "1,5",
    "0x10",
];

/// Bytes that end fields, lines, strings and structures.
const BYTES: &[u8] = b"\0\t\n\r \"#',-./0123456789:;<=>[\\]{}()~\x7f\x80\xff";

/// One mutant of `input`: 1 to 8 stacked moves, at most `max_len` bytes. `other` is another
/// corpus entry to splice with; `words` the target's dictionary.
pub fn mutate(
    rng: &mut Rng,
    input: &[u8],
    other: &[u8],
    words: &[&str],
    max_len: usize,
) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        step(rng, &mut data, other, words);
    }
    data.truncate(max_len);
    data
}

fn step(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8], words: &[&str]) {
    let len = data.len();
    let at = rng.below(len + 1);
    match rng.below(10) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = BYTES[rng.below(BYTES.len())];
        }
        2 if len > 0 => {
            let start = rng.below(len);
            let n = 1 + rng.below(64.min(len - start));
            data.drain(start..start + n);
        }
        3 => {
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            data.splice(at..at, bytes);
        }
        4 if len > 0 => {
            // copy a chunk elsewhere: repeated elements, duplicated keys and ids
            let from = rng.below(len);
            let n = 1 + rng.below((len - from).min(256));
            let chunk = data[from..from + n].to_vec();
            data.splice(at..at, chunk);
        }
        5 if !words.is_empty() => {
            let word = words[rng.below(words.len())];
            data.splice(at..at, word.bytes());
        }
        6 => replace_number(rng, data),
        7 if !other.is_empty() => {
            // splice: this input's head with the other's tail
            let cut = rng.below(other.len());
            data.truncate(at);
            data.extend_from_slice(&other[cut..]);
        }
        8 if len > 0 => data.truncate(rng.below(len)),
        _ => {
            let word = NUMBERS[rng.below(NUMBERS.len())];
            data.splice(at..at, word.bytes());
        }
    }
}

/// Replaces one run of digits (a count, an id, a coordinate) with a number at an edge.
fn replace_number(rng: &mut Rng, data: &mut Vec<u8>) {
    let starts: Vec<usize> = (0..data.len())
        .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = starts[rng.below(starts.len())];
    let end = (start..data.len())
        .find(|&i| !data[i].is_ascii_digit())
        .unwrap_or(data.len());
    let word = NUMBERS[rng.below(NUMBERS.len())];
    data.splice(start..end, word.bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_mutants_and_they_stay_in_bounds() {
        let input = b"id,depart,from,to\n1,07:00,104.06,30.66\n";
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..500)
                .map(|_| mutate(&mut rng, input, b"x,y\n", &["\"", ","], 100))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let mutants = run(7);
        assert!(mutants.iter().all(|m| m.len() <= 100));
        // the moves do change things: most mutants differ from the input
        let changed = mutants.iter().filter(|m| m.as_slice() != input).count();
        assert!(changed > 450, "{changed} of 500 changed");
    }

    #[test]
    fn empty_inputs_mutate_without_panicking() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            mutate(&mut rng, b"", b"", &[], 64);
        }
    }
}
