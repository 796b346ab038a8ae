//! Seeded randomness without a dependency: the SplitMix64 generator (Steele, Lea & Flood 2014)
//! and the evaluation protocol's hash `draw(seed, user, item)`, a pure function of its inputs so
//! a train/test split is the same on every machine, with the per-user split built on it.

/// The SplitMix64 finaliser: a bijective 64-bit mix.
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The protocol's random draw: a pure function of `(seed, user, item)`.
pub const fn draw(seed: u64, user: u64, item: u64) -> u64 {
    mix64(mix64(mix64(seed.wrapping_add(0x9E37_79B9_7F4A_7C15)) ^ user) ^ item)
}

/// A SplitMix64 stream. Same seed, same sequence, on every platform.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence is fixed by `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// A uniform float in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A roughly normal float (Irwin–Hall sum of four uniforms), mean 0, standard deviation `sd`.
    pub fn normal_f32(&mut self, sd: f32) -> f32 {
        let s: f32 = (0..4).map(|_| self.next_f32()).sum::<f32>() - 2.0;
        // The sum of 4 uniforms has variance 4/12 = 1/3.
        s * 3f32.sqrt() * sd
    }

    /// A uniform index in `0..n` (`n` > 0; `0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// One `(user, item, value)` row of a split.
pub type SplitRow<T> = (i64, i64, T);

/// The protocol's per-user 80/20 split: each user's rows ordered by `(draw(seed, u, i), i)`, the
/// first `floor((n + 2) / 5)` to test (none when n < 5), the rest to train. Rows are
/// `(user, item, rating)`; the returned halves keep the input order.
pub fn per_user_split<T: Copy>(
    rows: &[SplitRow<T>],
    seed: u64,
) -> (Vec<SplitRow<T>>, Vec<SplitRow<T>>) {
    let mut by_user: std::collections::BTreeMap<i64, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (n, r) in rows.iter().enumerate() {
        by_user.entry(r.0).or_default().push(n);
    }
    let mut is_test = vec![false; rows.len()];
    for (u, mut idx) in by_user {
        let n = idx.len();
        let n_test = if n < 5 { 0 } else { (n + 2) / 5 };
        idx.sort_by_key(|&k| (draw(seed, u as u64, rows[k].1 as u64), rows[k].1));
        for &k in &idx[..n_test] {
            is_test[k] = true;
        }
    }
    let mut train = Vec::with_capacity(rows.len());
    let mut test = Vec::new();
    for (r, t) in rows.iter().zip(is_test) {
        if t { test.push(*r) } else { train.push(*r) }
    }
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_matches_the_protocol_test_vectors() {
        assert_eq!(draw(42, 1, 1), 0x7f91_19ba_1007_3fbe);
        assert_eq!(draw(42, 1, 2), 0xe9ba_e1e2_78fe_49e2);
        assert_eq!(draw(42, 196, 242), 0x58b9_da40_b226_87e3);
        assert_eq!(draw(43, 1, 1), 0x94ae_1b0c_2187_b392);
    }

    #[test]
    fn per_user_split_sends_a_fifth_rounded_to_test() {
        let mut rows = Vec::new();
        for (u, n) in [(1i64, 4i64), (2, 5), (3, 8), (4, 13), (5, 20)] {
            for i in 0..n {
                rows.push((u, i, 1.0f32));
            }
        }
        let (train, test) = per_user_split(&rows, 42);
        let count = |u| test.iter().filter(|r| r.0 == u).count();
        assert_eq!(
            [count(1), count(2), count(3), count(4), count(5)],
            [0, 1, 2, 3, 4]
        );
        assert_eq!(train.len() + test.len(), rows.len());
    }

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert!(a.below(10) < 10);
    }
}
