//! Clustering taste rows: the choice of k by silhouette and the final fit ([`cluster_rows`]),
//! then taste groups with stable keys and names ([`cluster_taste`], [`compute_groups`]).

use std::collections::HashMap;

use ndarray::Array2;

use super::kmeans::{absolute_tolerance, fit_kmeans, sample_indices, silhouette, sq_dist};
use super::naming::name_groups;
use super::vectors::{TasteSpace, TasteVectors, taste_vectors, taste_vectors_of};
use super::{CONTENT_DIM, GroupKey, TasteGroup, TasteGroups, TasteParams};
use crate::domain::catalog::Movie;
use crate::domain::events::FeedbackEvent;
use crate::domain::ids::{MovieId, UserId};
use crate::domain::recommend::digest::Combined;
use crate::domain::recommend::snapshot::ModelSnapshot;

/// Favourites kept per group.
const FAVOURITES_KEPT: usize = 50;

/// L2-normalises `dim`-long rows (in f64, stored as f32). Returns the kept rows' indices and the
/// matrix, leaving out rows with a non-finite value or a norm below 1e-9, and counts of both.
fn normalised_rows(rows: &[f32], dim: usize) -> (Vec<usize>, Array2<f32>, usize, usize) {
    let mut kept = Vec::new();
    let mut data = Vec::new();
    let (mut bad, mut zero) = (0, 0);
    if dim == 0 {
        return (kept, Array2::zeros((0, 0)), 0, rows.len());
    }
    for (i, r) in rows.chunks_exact(dim).enumerate() {
        if r.iter().any(|v| !v.is_finite()) {
            bad += 1;
            continue;
        }
        let norm = r.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
        if norm < 1e-9 {
            zero += 1;
            continue;
        }
        kept.push(i);
        data.extend(r.iter().map(|&v| (f64::from(v) / norm) as f32));
    }
    let x =
        Array2::from_shape_vec((kept.len(), dim), data).unwrap_or_else(|_| Array2::zeros((0, dim)));
    (kept, x, bad, zero)
}

/// The result of [`cluster_rows`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Groups found (0 when no row could be clustered).
    pub k: usize,
    /// Dimensions of a row.
    pub dim: usize,
    /// The group of every input row; `None` for rows left out (non-finite or zero).
    pub labels: Vec<Option<usize>>,
    /// k × dim centroids of the normalised rows, row-major.
    pub centroids: Vec<f64>,
    /// Group sizes.
    pub sizes: Vec<usize>,
    /// Mean silhouette per k tried (k, score; `NaN` when a group was too small).
    pub silhouettes: Vec<(usize, f64)>,
    /// Σ squared distance of the final fit.
    pub inertia_sum: f64,
    /// Mean squared distance of the final fit.
    pub inertia_mean: f64,
    /// What went wrong or was left out, for the log.
    pub warnings: Vec<String>,
}

/// Clusters `dim`-long rows (row-major): normalises them, chooses k by silhouette over
/// `k_min..=k_max` (see [the module docs](super)), then fits k-means with `n_runs` restarts.
/// Never panics.
#[allow(
    clippy::many_single_char_names,
    reason = "maths notation: n users, k groups, d dimensions, c centroids"
)]
#[allow(
    clippy::too_many_lines,
    reason = "each long function is one pipeline read top to bottom"
)]
#[allow(
    clippy::single_match_else,
    reason = "a match reads better for Some/None with bodies"
)]
pub fn cluster_rows(rows: &[f32], dim: usize, params: &TasteParams) -> Clustering {
    let n_in = rows.len().checked_div(dim).unwrap_or(0);
    let mut warnings = Vec::new();
    let (kept, x, bad, zero) = normalised_rows(rows, dim);
    if bad > 0 {
        warnings.push(format!(
            "{bad} vectors with NaN or infinite values left out"
        ));
    }
    if zero > 0 {
        warnings.push(format!("{zero} all-zero vectors left out"));
    }
    let mut out = Clustering {
        k: 0,
        dim,
        labels: vec![None; n_in],
        centroids: Vec::new(),
        sizes: Vec::new(),
        silhouettes: Vec::new(),
        inertia_sum: 0.0,
        inertia_mean: 0.0,
        warnings,
    };
    let n = x.nrows();
    if n == 0 {
        out.warnings.push("no usable vectors: no groups".to_owned());
        return out;
    }
    let tol = absolute_tolerance(&x, params.tolerance);
    let min_size = |m: usize| -> usize {
        let share = (params.min_group_share * m as f64).ceil() as usize;
        let abs = (params.min_group_size * m).div_ceil(n);
        share.max(abs).max(1)
    };
    let k_max = params.k_max.min(n / min_size(n).max(1)).min(n);
    let k_min = params.k_min.max(2);
    let mut k = 1;
    if k_max < k_min {
        out.warnings.push(format!(
            "{n} users are too few for {k_min} groups of at least {} each: one group",
            min_size(n)
        ));
    } else {
        let sweep_idx = sample_indices(n, params.sweep_sample.max(k_max), params.seed);
        let sweep = x.select(ndarray::Axis(0), &sweep_idx);
        let m = sweep.nrows();
        let sil_n = params.silhouette_sample.clamp(2, m.max(2)).min(m);
        let sil_x = sweep
            .slice_axis(ndarray::Axis(0), ndarray::Slice::from(0..sil_n))
            .to_owned();
        let mut best: Option<f64> = None;
        for kk in k_min..=k_max {
            let Some(fit) = fit_kmeans(
                &sweep,
                kk,
                params.sweep_runs.max(1),
                params.seed ^ (kk as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                tol,
                params.max_iterations,
            ) else {
                out.silhouettes.push((kk, f64::NAN));
                continue;
            };
            let mut sizes = vec![0usize; kk];
            for &l in &fit.labels {
                sizes[l] += 1;
            }
            if sizes.iter().any(|&s| s < min_size(m)) {
                out.silhouettes.push((kk, f64::NAN));
                continue;
            }
            let s = silhouette(&sil_x, &fit.labels[..sil_n], kk);
            out.silhouettes.push((kk, s));
            best = Some(best.map_or(s, |b: f64| b.max(s)));
        }
        match best {
            None => out.warnings.push(
                "every k from the sweep gave a group below the minimum size (users too alike): one group"
                    .to_owned(),
            ),
            Some(b) if b < params.min_silhouette => out.warnings.push(format!(
                "no clear taste structure (best silhouette {b:.3} < {:.3}): one group",
                params.min_silhouette
            )),
            Some(b) => {
                k = out
                    .silhouettes
                    .iter()
                    .find(|(_, s)| s.is_finite() && *s >= b - params.silhouette_slack)
                    .map_or(1, |&(kk, _)| kk);
            }
        }
    }
    let fit = if k >= 2 {
        fit_kmeans(
            &x,
            k,
            params.n_runs.max(1),
            params.seed,
            tol,
            params.max_iterations,
        )
    } else {
        None
    };
    let (mut centroids, mut labels) = match fit {
        Some(f) => (f.centroids, f.labels),
        None => {
            k = 1;
            let mut c = vec![0f64; dim];
            for row in x.rows() {
                for (ci, &v) in c.iter_mut().zip(row.iter()) {
                    *ci += f64::from(v) / n as f64;
                }
            }
            (c, vec![0; n])
        }
    };
    // Fold groups below the minimum size into their members' next-nearest groups.
    loop {
        let mut sizes = vec![0usize; k];
        for &l in &labels {
            sizes[l] += 1;
        }
        let Some(small) = (0..k)
            .filter(|&g| sizes[g] < min_size(n))
            .min_by_key(|&g| sizes[g])
        else {
            break;
        };
        if k == 1 {
            break;
        }
        out.warnings.push(format!(
            "a group of {} users was below the minimum size and merged",
            sizes[small]
        ));
        centroids.drain(small * dim..(small + 1) * dim);
        k -= 1;
        for (l, row) in labels.iter_mut().zip(x.rows()) {
            if *l >= small {
                if *l > small {
                    *l -= 1;
                    continue;
                }
                if let Some(r) = row.as_slice() {
                    *l = nearest_f32(r, &centroids, dim);
                }
            }
        }
    }
    let mut sizes = vec![0usize; k];
    let mut inertia_sum = 0.0;
    for (row, &l) in x.rows().into_iter().zip(&labels) {
        sizes[l] += 1;
        if let Some(r) = row.as_slice() {
            inertia_sum += sq_dist_f32(r, &centroids[l * dim..(l + 1) * dim]);
        }
    }
    for (&i, &l) in kept.iter().zip(&labels) {
        out.labels[i] = Some(l);
    }
    out.k = k;
    out.centroids = centroids;
    out.sizes = sizes;
    out.inertia_sum = inertia_sum;
    out.inertia_mean = inertia_sum / n as f64;
    out
}

/// The nearest of `dim`-long `centroids` to `row`: (index, squared distance).
fn nearest(row: &[f64], centroids: &[f64], dim: usize) -> (usize, f64) {
    centroids
        .chunks_exact(dim.max(1))
        .enumerate()
        .map(|(i, c)| (i, sq_dist(row, c)))
        .fold((0, f64::INFINITY), |b, c| if c.1 < b.1 { c } else { b })
}

/// `Σ (a − b)²` of an f32 row and an f64 centroid, in f64.
fn sq_dist_f32(a: &[f32], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - y).powi(2))
        .sum()
}

/// The index of the nearest of `dim`-long f64 `centroids` to an f32 row (first of equals).
fn nearest_f32(row: &[f32], centroids: &[f64], dim: usize) -> usize {
    centroids
        .chunks_exact(dim.max(1))
        .enumerate()
        .map(|(i, c)| (i, sq_dist_f32(row, c)))
        .fold((0, f64::INFINITY), |b, c| if c.1 < b.1 { c } else { b })
        .0
}

pub(super) fn unit(v: &[f32]) -> Option<Vec<f64>> {
    let n = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    (n.is_finite() && n > 1e-9).then(|| v.iter().map(|&x| f64::from(x) / n).collect())
}

/// Clusters the users of `vectors` into taste groups (see [the module docs](super)), matching
/// them to `previous` when given so keys and names carry over. Never panics; see
/// [`TasteGroups::warnings`].
#[allow(
    clippy::needless_range_loop,
    reason = "index loops over parallel per-user arrays"
)]
#[allow(
    clippy::single_match_else,
    reason = "a match reads better for Some/None with bodies"
)]
#[allow(
    clippy::too_many_lines,
    reason = "one pipeline: cluster, attach, match, name"
)]
pub fn cluster_taste(
    vectors: &TasteVectors,
    previous: Option<&TasteGroups>,
    params: &TasteParams,
) -> TasteGroups {
    let n = vectors.users.len();
    let mut warnings = vectors.warnings.clone();
    let content_units: Vec<Option<Vec<f64>>> = vectors
        .content
        .chunks_exact(CONTENT_DIM)
        .map(unit)
        .collect();
    let factor_users = vectors.factor_users();
    let use_factors = vectors.factor_dim > 0 && factor_users >= params.min_factor_users.max(2);
    if !use_factors && vectors.factor_dim > 0 && n > 0 {
        warnings.push(format!(
            "only {factor_users} users have enough history for factor vectors (< {}): clustering genre/decade profiles",
            params.min_factor_users
        ));
    }
    // The clustered rows and which user each is.
    let (space, dim, members): (TasteSpace, usize, Vec<usize>) = if use_factors {
        (
            TasteSpace::Factors(vectors.factor_dim),
            vectors.factor_dim,
            (0..n).filter(|&u| vectors.has_factor[u]).collect(),
        )
    } else {
        (TasteSpace::Content, CONTENT_DIM, (0..n).collect())
    };
    let mut rows = Vec::with_capacity(members.len() * dim);
    for &u in &members {
        match space {
            TasteSpace::Factors(d) => rows.extend_from_slice(&vectors.factors[u * d..(u + 1) * d]),
            TasteSpace::Content => {
                rows.extend_from_slice(&vectors.content[u * CONTENT_DIM..(u + 1) * CONTENT_DIM]);
            }
        }
    }
    let mut c = cluster_rows(&rows, dim, params);
    warnings.append(&mut c.warnings);
    let mut label: Vec<Option<usize>> = vec![None; n];
    for (&u, &l) in members.iter().zip(&c.labels) {
        label[u] = l;
    }
    // Nobody could be clustered (everyone's taste is the average, e.g. two people who rated
    // the same films alike): they are one group.
    let (k, space) = if c.k == 0 && n > 0 {
        warnings.push(format!(
            "{n} users with the same taste (no usable vector) form one group"
        ));
        label.fill(Some(0));
        (1, TasteSpace::Content)
    } else {
        (c.k, space)
    };
    // Content centroids of the clustered members, then attach everyone else by content.
    let content_centroids = |label: &[Option<usize>]| -> Vec<Vec<f64>> {
        let mut cc = vec![vec![0f64; CONTENT_DIM]; k];
        for (u, l) in label.iter().enumerate() {
            if let (Some(l), Some(v)) = (l, &content_units[u]) {
                for (a, b) in cc[*l].iter_mut().zip(v) {
                    *a += b;
                }
            }
        }
        cc.into_iter()
            .map(|v| {
                let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                if n > 1e-12 {
                    v.iter().map(|x| x / n).collect()
                } else {
                    v
                }
            })
            .collect()
    };
    let mut cc = content_centroids(&label);
    let flat_cc: Vec<f64> = cc.iter().flatten().copied().collect();
    let mut attached = 0;
    let mut average = Vec::new();
    for u in 0..n {
        if label[u].is_some() || k == 0 {
            continue;
        }
        match &content_units[u] {
            Some(v) => {
                label[u] = Some(nearest(v, &flat_cc, CONTENT_DIM).0);
                attached += 1;
            }
            None => average.push(u),
        }
    }
    if attached > 0 && use_factors {
        warnings.push(format!(
            "{attached} users with short histories joined a group by genre/decade profile"
        ));
    }
    // A zero vector is the average taste (or no like or dislike at all): the largest group.
    if !average.is_empty() {
        let mut sizes = vec![0usize; k];
        for l in label.iter().flatten() {
            sizes[*l] += 1;
        }
        let largest = (0..k).max_by_key(|&j| (sizes[j], std::cmp::Reverse(j)));
        for &u in &average {
            label[u] = largest;
        }
        warnings.push(format!(
            "{} users with no usable vector (the average taste) joined the largest group",
            average.len()
        ));
    }
    // Match to the previous groups by content centroid.
    let mut key_of: Vec<Option<GroupKey>> = vec![None; k];
    let mut name_of: Vec<Option<String>> = vec![None; k];
    let mut next_key = previous.map_or(1, |p| p.next_key.max(1));
    if let Some(prev) = previous {
        let mut pairs = Vec::new();
        for (j, new_c) in cc.iter().enumerate() {
            for (i, old) in prev.groups.iter().enumerate() {
                if old.content_centroid.len() == CONTENT_DIM {
                    let old_c: Vec<f64> =
                        old.content_centroid.iter().map(|&x| f64::from(x)).collect();
                    let d = sq_dist(new_c, &old_c).sqrt();
                    if d <= params.match_max_distance {
                        pairs.push((d, j, i));
                    }
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut used_old = vec![false; prev.groups.len()];
        for (_, j, i) in pairs {
            if key_of[j].is_none() && !used_old[i] {
                used_old[i] = true;
                key_of[j] = Some(prev.groups[i].key);
                name_of[j] = Some(prev.groups[i].name.clone());
            }
        }
        // Stickiness: a user stays in their old group unless their taste really moved.
        if k > 1 {
            let prev_idx: HashMap<UserId, GroupKey> = prev.assignments().collect();
            let key_to_new: HashMap<GroupKey, usize> = key_of
                .iter()
                .enumerate()
                .filter_map(|(j, k)| Some(((*k)?, j)))
                .collect();
            let centroid_of = |u: usize| -> Option<(Vec<f64>, &[f64], usize)> {
                if matches!(space, TasteSpace::Factors(_)) && vectors.has_factor[u] {
                    Some((
                        unit(&vectors.factors[u * dim..(u + 1) * dim])?,
                        c.centroids.as_slice(),
                        dim,
                    ))
                } else {
                    Some((content_units[u].clone()?, flat_cc.as_slice(), CONTENT_DIM))
                }
            };
            let mut stayed = 0usize;
            for u in 0..n {
                let (Some(cur), Some(old_key)) = (label[u], prev_idx.get(&vectors.users[u])) else {
                    continue;
                };
                let Some(&j) = key_to_new.get(old_key) else {
                    continue;
                };
                if j == cur {
                    continue;
                }
                if let Some((v, cents, d)) = centroid_of(u) {
                    let best = sq_dist(&v, &cents[cur * d..(cur + 1) * d]);
                    let old = sq_dist(&v, &cents[j * d..(j + 1) * d]);
                    if old <= best + params.stickiness {
                        label[u] = Some(j);
                        stayed += 1;
                    }
                }
            }
            if stayed > 0 {
                cc = content_centroids(&label);
            }
        }
    }
    // Sizes, likes and favourites per group.
    let mut sizes = vec![0usize; k];
    let mut fav: Vec<HashMap<u32, f32>> = vec![HashMap::new(); k];
    for (u, l) in label.iter().enumerate() {
        if let Some(l) = *l {
            sizes[l] += 1;
            for &(i, s) in &vectors.likes[u] {
                *fav[l].entry(i).or_default() += s;
            }
        }
    }
    let names = name_groups(vectors, &label, k);
    // Keys and names: matched groups keep theirs; new ones get fresh keys and unused names.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(sizes[j]), j));
    let mut taken: Vec<String> = name_of.iter().flatten().cloned().collect();
    let mut groups = Vec::with_capacity(k);
    let mut new_index = vec![0u32; k];
    for (pos, &j) in order.iter().enumerate() {
        new_index[j] = pos as u32;
        let key = key_of[j].unwrap_or_else(|| {
            next_key += 1;
            next_key - 1
        });
        let name = match name_of[j].take() {
            Some(n) => n,
            None => {
                let mut name = names[j].0.clone();
                let mut extra = names[j].2.iter();
                while taken.contains(&name) {
                    name = match extra.next() {
                        Some(e) => format!("{} ({e})", names[j].0),
                        None => format!("{name} +"),
                    };
                }
                taken.push(name.clone());
                name
            }
        };
        let mut favourites: Vec<(MovieId, f32)> = fav[j]
            .iter()
            .map(|(&i, &s)| (vectors.film_ids[i as usize], s))
            .collect();
        favourites.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        favourites.truncate(FAVOURITES_KEPT);
        let centroid = match (space, c.centroids.get(j * dim..(j + 1) * dim)) {
            (TasteSpace::Factors(_), Some(centroid)) => {
                centroid.iter().map(|&x| x as f32).collect()
            }
            _ => cc[j].iter().map(|&x| x as f32).collect(),
        };
        groups.push(TasteGroup {
            key,
            name,
            size: sizes[j],
            centroid,
            content_centroid: cc[j].iter().map(|&x| x as f32).collect(),
            traits: names[j].1.clone(),
            favourites,
        });
    }
    let (users, assignments): (Vec<UserId>, Vec<u32>) = label
        .iter()
        .enumerate()
        .filter_map(|(u, l)| Some((vectors.users[u], new_index[(*l)?])))
        .unzip();
    TasteGroups {
        space,
        groups,
        users,
        assignments,
        silhouettes: c
            .silhouettes
            .iter()
            .map(|&(k, s)| (k, s.is_finite().then_some(s as f32)))
            .collect(),
        inertia_mean: c.inertia_mean as f32,
        next_key,
        warnings,
    }
}

/// Computes taste groups from the model, the catalog and the event log: [`taste_vectors`]
/// then [`cluster_taste`]. Call after each training and store the result with the snapshot.
pub fn compute_groups<'e>(
    snapshot: &ModelSnapshot,
    catalog: &[Movie],
    events: impl IntoIterator<Item = &'e FeedbackEvent>,
    previous: Option<&TasteGroups>,
    params: &TasteParams,
) -> TasteGroups {
    cluster_taste(
        &taste_vectors(snapshot, catalog, events, params),
        previous,
        params,
    )
}

/// [`compute_groups`] from the combined log of the people given, by id (see
/// [`taste_vectors_of`]).
pub fn compute_groups_of<'d>(
    snapshot: &ModelSnapshot,
    catalog: &[Movie],
    people: impl IntoIterator<Item = (UserId, &'d [Combined])>,
    previous: Option<&TasteGroups>,
    params: &TasteParams,
) -> TasteGroups {
    cluster_taste(
        &taste_vectors_of(snapshot, catalog, people, params),
        previous,
        params,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recommend::snapshot::{TrainParams, train};
    use crate::domain::taste::adjusted_rand_index;
    use crate::domain::taste::planted::{
        content_params, event, planted_users, planted_world, small,
    };

    fn labels(c: &Clustering) -> Vec<usize> {
        c.labels.iter().map(|l| l.unwrap_or(usize::MAX)).collect()
    }

    #[test]
    fn planted_groups_are_recovered_with_ari_above_0_9() {
        for (groups, seed) in [(4, 1), (6, 2), (8, 3)] {
            let (rows, truth) = planted_users(400, groups, 24, 0.3, seed);
            let c = cluster_rows(&rows, 24, &small());
            let ari = adjusted_rand_index(&truth, &labels(&c));
            assert!(ari >= 0.9, "{groups} groups: ARI {ari}, k {}", c.k);
        }
    }

    #[test]
    fn the_chosen_k_is_the_planted_k() {
        for (groups, seed) in [(4, 11), (5, 12), (7, 13), (8, 14)] {
            let (rows, _) = planted_users(400, groups, 24, 0.3, seed);
            let c = cluster_rows(&rows, 24, &small());
            assert_eq!(c.k, groups, "{groups}: silhouettes {:?}", c.silhouettes);
        }
    }

    #[test]
    fn fewer_users_than_k_gives_fewer_groups_without_panicking() {
        let (rows, _) = planted_users(3, 3, 8, 0.1, 5);
        let c = cluster_rows(&rows, 8, &small());
        assert_eq!(c.k, 1);
        assert!(c.labels.iter().all(Option::is_some));
        assert!(!c.warnings.is_empty());
        let empty = cluster_rows(&[], 8, &small());
        assert_eq!(empty.k, 0);
        let identical = cluster_rows(&[1.0, 2.0].repeat(200), 2, &small());
        assert_eq!(identical.k, 1, "{:?}", identical.warnings);
        assert!(!identical.warnings.is_empty());
        let zeros = cluster_rows(&[0.0; 40], 4, &small());
        assert_eq!(zeros.k, 0);
        assert!(zeros.labels.iter().all(Option::is_none));
    }

    #[test]
    fn nan_vectors_are_left_out_not_fatal() {
        let (mut rows, truth) = planted_users(300, 4, 16, 0.3, 8);
        for i in (0..300).step_by(50) {
            rows[i * 16 + 3] = f32::NAN;
        }
        rows[16 * 7 + 1] = f32::INFINITY;
        let c = cluster_rows(&rows, 16, &small());
        assert_eq!(c.k, 4);
        assert!(c.labels[0].is_none() && c.labels[7].is_none() && c.labels[1].is_some());
        assert!(
            c.warnings.iter().any(|w| w.contains("NaN")),
            "{:?}",
            c.warnings
        );
        let (t, l): (Vec<usize>, Vec<usize>) = truth
            .iter()
            .zip(&c.labels)
            .filter_map(|(&t, l)| Some((t, (*l)?)))
            .unzip();
        assert!(adjusted_rand_index(&t, &l) > 0.9);
    }

    /// `user`'s ratings of `films`, all `stars`.
    fn ratings(user: i64, films: std::ops::RangeInclusive<i64>, stars: f64) -> Vec<FeedbackEvent> {
        use crate::domain::events::FeedbackKind;
        films
            .map(|film| {
                event(
                    user * 100 + film,
                    user,
                    film,
                    FeedbackKind::Rating,
                    Some(stars),
                )
            })
            .collect()
    }

    #[test]
    fn two_people_are_one_group_and_both_on_the_map_whatever_they_rated() {
        use crate::domain::taste::project;
        let (catalog, events) = planted_world(30, 1, false);
        let snap = train(&catalog, &events, &TrainParams::default()).expect("trains");
        let params = content_params();
        // Both are placed, in one group (two people are too few for two groups).
        let placed = |events: &[FeedbackEvent]| {
            let vectors = taste_vectors(&snap, &catalog, events, &params);
            let groups = cluster_taste(&vectors, None, &params);
            assert_eq!(
                (groups.groups().len(), groups.user_count()),
                (1, 2),
                "{:?}",
                groups.warnings()
            );
            let map = project(&vectors, &groups, 100, Some(UserId(1001)), 1);
            assert_eq!(map.points.len(), 2);
            map
        };
        // The same five films, alike: their taste is the average.
        placed(&[ratings(1001, 1..=5, 5.0), ratings(1002, 1..=5, 5.0)].concat());
        // One liked them all, the other none: on opposite sides.
        let map = placed(&[ratings(1001, 1..=5, 5.0), ratings(1002, 1..=5, 1.0)].concat());
        let (a, b) = (map.points[0], map.points[1]);
        assert!(
            (a.1 - b.1).abs() + (a.2 - b.2).abs() > 0.5,
            "apart on the map: {map:?}"
        );
        // Two different tastes: apart too.
        let map = placed(&[ratings(1001, 1..=5, 5.0), ratings(1002, 25..=29, 4.5)].concat());
        assert_ne!(
            (map.points[0].1, map.points[0].2),
            (map.points[1].1, map.points[1].2)
        );
    }

    #[test]
    fn a_user_keeps_their_group_name_after_reclustering() {
        let (catalog, events) = planted_world(150, 4, false);
        let snap = train(&catalog, &events, &TrainParams::default()).expect("trains");
        let first = compute_groups(&snap, &catalog, &events, None, &content_params());
        assert_eq!(first.groups().len(), 3, "{:?}", first.warnings());
        // More events and another seed: the clusters come out in another order.
        let (_, more) = planted_world(160, 5, false);
        let second = compute_groups(
            &snap,
            &catalog,
            &more,
            Some(&first),
            &TasteParams {
                seed: 99,
                ..content_params()
            },
        );
        let mut same = 0;
        let mut total = 0;
        for (u, key) in first.assignments() {
            if let Some(g) = second.group_of(u) {
                total += 1;
                same += usize::from(
                    g.key == key
                        && Some(g.name.as_str()) == first.group(key).map(|g| g.name.as_str()),
                );
            }
        }
        assert!(total > 100 && same * 100 >= total * 95, "{same}/{total}");
        let back = TasteGroups::from_bytes(&second.to_bytes()).expect("round trip");
        assert_eq!(back, second);
        assert_eq!(second.group_favourites(second.groups()[0].key, 3).len(), 3);
        assert!(TasteGroups::from_bytes(b"nope").is_err());
    }
}
