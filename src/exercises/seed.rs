//! Deterministic choices for exercise generation: a small seeded generator (SplitMix64)
//! and the helpers built on it (shuffle, pick).
//!
//! Owns reproducibility only. Each exercise kind draws from its own stream, derived from the
//! set's seed and the kind's name, so asking for fewer kinds never changes the items of the
//! others. No randomness from the operating system is ever used.

/// A seeded pseudo-random stream. Not for anything secret; the same seed always gives the
/// same sequence on every platform.
#[derive(Debug, Clone)]
pub struct Stream {
    state: u64,
}

impl Stream {
    /// A stream for `seed`, separated from other streams of the same seed by `label`.
    pub fn new(seed: u64, label: &str) -> Stream {
        // FNV-1a over the label, mixed into the seed, keeps streams of different kinds apart.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Stream { state: seed ^ h }
    }

    /// The next 64 random bits (SplitMix64).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`); the tiny modulo bias does not matter for exercises.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        (self.next_u64() % n as u64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_labels_separate_streams() {
        let a: Vec<u64> = {
            let mut s = Stream::new(7, "find-the-source");
            (0..5).map(|_| s.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut s = Stream::new(7, "find-the-source");
            (0..5).map(|_| s.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut s = Stream::new(7, "normalization");
            (0..5).map(|_| s.next_u64()).collect()
        };
        let d: Vec<u64> = {
            let mut s = Stream::new(8, "find-the-source");
            (0..5).map(|_| s.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn shuffle_is_a_permutation_and_below_stays_in_range() {
        let mut s = Stream::new(1, "x");
        let mut v: Vec<usize> = (0..50).collect();
        s.shuffle(&mut v);
        assert_ne!(v, (0..50).collect::<Vec<_>>());
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        for n in 1..20 {
            assert!(s.below(n) < n);
        }
    }
}
