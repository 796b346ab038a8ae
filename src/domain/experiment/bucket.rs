//! Deterministic bucketing: GrowthBook's hash, the pick of a variant from traffic weights, and
//! which experiment of a layer owns a unit.
//!
//! A unit (a user for personal picks, a server for watch parties: [`Unit`](super::Unit)) gets
//! its variant from [`growthbook_hash`] version 2 with the experiment key as seed, mapped onto the
//! cumulative traffic weights ([`bucket`]), exactly as GrowthBook's SDKs do; the hash is
//! checked against GrowthBook's cross-SDK test vectors. The same key and unit always give the
//! same variant, so bucketing is sticky by construction as long as the weights do not change
//! (the caller stores assignments so that changing weights or a bandit does not move anyone).
//! [`layer_owner`] splits the units evenly between the running experiments of a layer, so two
//! experiments of one layer never share a unit.

use super::Experiment;

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

fn fnv_feed(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// FNV-1a 32-bit over the UTF-8 bytes of `data`.
///
/// GrowthBook's JavaScript SDK hashes UTF-16 code units instead, so the two agree on ASCII
/// (Discord ids are ASCII digits).
pub fn fnv1a32(data: &str) -> u32 {
    fnv_feed(FNV_OFFSET, data.as_bytes())
}

/// GrowthBook's hash, a number in [0, 1): version 1 = `(fnv(value + seed) % 1000) / 1000`;
/// version 2 = `(fnv(str(fnv(seed + value))) % 10000) / 10000`. `None` for other versions.
pub fn growthbook_hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        1 => {
            let h = fnv_feed(fnv_feed(FNV_OFFSET, value.as_bytes()), seed.as_bytes());
            Some(f64::from(h % 1000) / 1000.0)
        }
        2 => {
            let inner = fnv_feed(fnv_feed(FNV_OFFSET, seed.as_bytes()), value.as_bytes());
            // The decimal digits of `inner`, without allocating.
            let mut digits = [0u8; 10];
            let mut start = digits.len();
            let mut rest = inner;
            loop {
                start -= 1;
                digits[start] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
            let outer = fnv_feed(FNV_OFFSET, &digits[start..]);
            Some(f64::from(outer % 10_000) / 10_000.0)
        }
        _ => None,
    }
}

/// The index whose cumulative-weight range holds `n` in [0, 1); `None` for empty, negative,
/// non-finite or all-zero weights.
pub(super) fn pick(n: f64, weights: impl Iterator<Item = f64> + Clone) -> Option<usize> {
    let mut total = 0.0;
    let mut last_positive = None;
    for (i, w) in weights.clone().enumerate() {
        if !(w.is_finite() && w >= 0.0) {
            return None;
        }
        total += w;
        if w > 0.0 {
            last_positive = Some(i);
        }
    }
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let mut cum = 0.0;
    for (i, w) in weights.enumerate() {
        cum += w;
        if w > 0.0 && n < cum / total {
            return Some(i);
        }
    }
    last_positive
}

/// The variant of `unit_id` (e.g. `"user:123"`, `"guild:456"`; the format is the caller's):
/// GrowthBook v2 hash with the experiment key as seed, mapped onto the cumulative weights.
/// Deterministic, so sticky while the weights stay the same. Always `Some` for a valid
/// experiment.
pub fn bucket(exp: &Experiment, unit_id: &str) -> Option<usize> {
    let n = growthbook_hash(&exp.key, unit_id, 2)?;
    pick(n, exp.variants.iter().map(|v| v.weight))
}

/// [`bucket`] with other weights (bandit mode): `None` when the weights are empty, negative,
/// not numbers or all zero. They need not sum to 1.
pub fn bucket_with_weights(key: &str, weights: &[f64], unit_id: &str) -> Option<usize> {
    let n = growthbook_hash(key, unit_id, 2)?;
    pick(n, weights.iter().copied())
}

/// The experiment of `layer` that owns `unit_id`: the running experiments of that layer
/// (others in `running` are ignored), sorted by key, split the unit space evenly by the v2
/// hash with seed `"__layer:" + layer`. `None` when the layer has no running experiment.
///
/// Ownership changes when experiments of the layer start or stop; a unit that already has a
/// stored assignment in a running experiment of the layer should stay there.
pub fn layer_owner<'a>(
    layer: &str,
    running: &[&'a Experiment],
    unit_id: &str,
) -> Option<&'a Experiment> {
    let mut members: Vec<&'a Experiment> = running
        .iter()
        .copied()
        .filter(|e| e.layer == layer)
        .collect();
    if members.is_empty() {
        return None;
    }
    members.sort_by(|a, b| a.key.cmp(&b.key));
    members.dedup_by(|a, b| a.key == b.key);
    let n = growthbook_hash(&format!("__layer:{layer}"), unit_id, 2)?;
    let i = ((n * members.len() as f64) as usize).min(members.len() - 1);
    Some(members[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::experiment::tests::{ab, close, variant};

    #[test]
    fn growthbook_hash_matches_the_cross_sdk_vectors() {
        let cases = [
            ("", "a", 1, 0.22),
            ("", "b", 1, 0.077),
            ("b", "a", 1, 0.946),
            ("ef", "d", 1, 0.652),
            ("", "123", 1, 0.011),
            ("seed", "a", 2, 0.0505),
            ("seed", "b", 2, 0.2696),
            ("foo", "ab", 2, 0.2575),
            ("foo", "def", 2, 0.2019),
            ("89123klj", "8952klfjas09ujkasdf", 2, 0.124),
        ];
        for (seed, value, version, want) in cases {
            let got = growthbook_hash(seed, value, version).unwrap();
            assert!(
                close(got, want, 1e-12),
                "{seed:?} {value:?} v{version}: {got}"
            );
        }
        assert_eq!(growthbook_hash("seed", "a", 3), None);
        assert_eq!(growthbook_hash("seed", "a", 0), None);
        assert_eq!(fnv1a32(""), 0x811c_9dc5);
        assert_eq!(fnv1a32("a"), 0xe40c_292c);
    }

    #[test]
    fn bucketing_is_deterministic_and_follows_the_weights() {
        let exp = Experiment::new(
            "rec-diversity",
            vec![variant("A", 0.2), variant("B", 0.3), variant("C", 0.5)],
        );
        exp.validate().unwrap();
        let n = 100_000;
        let mut counts = [0u32; 3];
        for u in 0..n {
            let id = format!("user:{}", 100_000_000_000_000_000u64 + u * 7919);
            let b = bucket(&exp, &id).unwrap();
            assert_eq!(bucket(&exp, &id), Some(b));
            counts[b] += 1;
        }
        for (c, w) in counts.iter().zip([0.2, 0.3, 0.5]) {
            let share = f64::from(*c) / n as f64;
            assert!(close(share, w, 0.01), "{counts:?}");
        }
        // Another key splits the same users independently.
        let other = ab("other-test");
        let mut joint = [[0u32; 2]; 2];
        for u in 0..n {
            let id = format!("user:{u}");
            let a = bucket(&ab("first-test"), &id).unwrap();
            let b = bucket(&other, &id).unwrap();
            joint[a][b] += 1;
        }
        for row in joint {
            for cell in row {
                assert!(close(f64::from(cell) / n as f64, 0.25, 0.01), "{joint:?}");
            }
        }
    }

    #[test]
    fn bucketing_with_weights_handles_edge_cases() {
        assert_eq!(bucket_with_weights("k", &[], "user:1"), None);
        assert_eq!(bucket_with_weights("k", &[0.0, 0.0], "user:1"), None);
        assert_eq!(bucket_with_weights("k", &[-1.0, 2.0], "user:1"), None);
        assert_eq!(bucket_with_weights("k", &[f64::NAN, 1.0], "user:1"), None);
        for u in 0..1000 {
            let id = format!("user:{u}");
            assert_eq!(bucket_with_weights("k", &[0.0, 1.0, 0.0], &id), Some(1));
            // Unnormalised weights mean the same as normalised ones.
            assert_eq!(
                bucket_with_weights("k", &[1.0, 3.0], &id),
                bucket_with_weights("k", &[0.25, 0.75], &id)
            );
        }
        let exp = ab("k");
        for u in 0..1000 {
            let id = format!("user:{u}");
            assert_eq!(
                bucket(&exp, &id),
                bucket_with_weights("k", &[0.5, 0.5], &id)
            );
        }
    }

    #[test]
    fn layers_never_share_a_unit_and_keep_each_split() {
        let mut a = ab("alpha");
        let mut b = ab("beta");
        let mut c = ab("gamma");
        a.layer = "recs".into();
        b.layer = "recs".into();
        c.layer = "parties".into();
        let running = [&b, &c, &a];
        let n = 60_000u64;
        let mut owned = [0u32; 2];
        let mut split_in_alpha = [0u32; 2];
        for u in 0..n {
            let id = format!("user:{}", 90_000_000_000 + u);
            let owner = layer_owner("recs", &running, &id).unwrap();
            assert!(owner.key == "alpha" || owner.key == "beta");
            // Exactly one experiment of the layer owns the unit, and asking again agrees.
            let claims = [&a, &b]
                .iter()
                .filter(|e| layer_owner("recs", &running, &id).map(|o| &o.key) == Some(&e.key))
                .count();
            assert_eq!(claims, 1);
            owned[usize::from(owner.key == "beta")] += 1;
            if owner.key == "alpha" {
                split_in_alpha[bucket(&a, &id).unwrap()] += 1;
            }
            assert_eq!(layer_owner("parties", &running, &id).unwrap().key, "gamma");
        }
        assert!(
            close(f64::from(owned[0]) / n as f64, 0.5, 0.01),
            "{owned:?}"
        );
        let in_alpha = f64::from(owned[0]);
        assert!(
            close(f64::from(split_in_alpha[0]) / in_alpha, 0.5, 0.015),
            "{split_in_alpha:?}"
        );
        assert!(layer_owner("empty", &running, "user:1").is_none());
        // The order of `running` does not matter.
        let reordered = [&a, &c, &b];
        for u in 0..1000 {
            let id = format!("user:{u}");
            assert_eq!(
                layer_owner("recs", &running, &id).map(|e| &e.key),
                layer_owner("recs", &reordered, &id).map(|e| &e.key)
            );
        }
    }
}
