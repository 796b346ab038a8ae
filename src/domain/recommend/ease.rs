//! EASE, "Embarrassingly Shallow Autoencoders for sparse data" (Steck 2019): the item-item
//! weights `B = I − P·diag(1/diag(P))`, `P = (XᵀX + λI)⁻¹`, zero diagonal, in closed form.
//! Scores are `x_u·B`. The inverse is a blocked Gauss–Jordan in f32 (see
//! [`super::linalg::spd_inverse_in_place`]), O(n³), so films are restricted to those with at
//! least `min_count` interactions; the others score 0.

use crate::domain::ids::{MovieId, UserId};

use super::data::{IdMap, Ratings};
use super::linalg::{axpy, spd_inverse_in_place};
use super::{Checked, DataError, FitError, ParamError, Params, Recommender, ensure};

/// Hyper-parameters of [`Ease`].
#[derive(Debug, Clone)]
pub struct EaseParams {
    /// λ on the Gram diagonal.
    pub lambda: f32,
    /// Films with fewer interactions are left out of the model (score 0).
    pub min_count: usize,
    /// Upper bound on modelled films (the most interacted-with are kept); bounds the O(n³) cost.
    pub max_items: usize,
}

impl Default for EaseParams {
    fn default() -> Self {
        Self {
            lambda: 500.0,
            min_count: 1,
            max_items: 4000,
        }
    }
}

impl Params for EaseParams {
    fn check(self) -> Result<Checked<Self>, ParamError> {
        ensure(
            self.lambda > 0.0 && self.lambda.is_finite(),
            "ease",
            "lambda",
            "> 0",
            self.lambda,
        )?;
        ensure(
            self.max_items >= 1 && self.max_items <= 20_000,
            "ease",
            "max_items",
            "1..=20000",
            self.max_items,
        )?;
        Ok(Checked(self))
    }
}

/// A fitted EASE model.
#[derive(Debug, Clone)]
pub struct Ease {
    pub users: IdMap<UserId>,
    pub items: IdMap<MovieId>,
    /// Film index → row of `b` (modelled films only).
    slot: Vec<Option<u32>>,
    /// Row → film index.
    modelled: Vec<u32>,
    /// n×n weights, row-major, n = modelled.len().
    b: Vec<f32>,
    /// Each user's films, for scoring (binary).
    user_items: super::data::Csr,
}

impl Checked<EaseParams> {
    /// Builds the Gram matrix of the modelled films (binary), inverts it, and forms `B`.
    ///
    /// # Errors
    /// [`DataError::Empty`] when `data` has no interactions.
    pub fn fit(&self, data: &Ratings) -> Result<Ease, FitError> {
        if data.nnz() == 0 {
            return Err(DataError::Empty("ease").into());
        }
        let p = &self.0;
        let mut order: Vec<u32> = (0..data.n_items() as u32)
            .filter(|&i| data.by_item.row_len(i as usize) >= p.min_count.max(1))
            .collect();
        // Most interactions first; ties at the cut go to the smaller film id, so the model does
        // not depend on the order of the input rows.
        order.sort_by_key(|&i| {
            (
                std::cmp::Reverse(data.by_item.row_len(i as usize)),
                data.items.id(i),
            )
        });
        order.truncate(p.max_items);
        order.sort_unstable();
        let n = order.len();
        let mut slot = vec![None; data.n_items()];
        for (s, &i) in order.iter().enumerate() {
            slot[i as usize] = Some(s as u32);
        }
        let mut g = vec![0f32; n * n];
        let mut rows: Vec<usize> = Vec::new();
        for u in 0..data.n_users() {
            let (is, _) = data.by_user.row(u);
            rows.clear();
            rows.extend(
                is.iter()
                    .filter_map(|&i| slot[i as usize])
                    .map(|s| s as usize),
            );
            for &a in &rows {
                let ga = &mut g[a * n..(a + 1) * n];
                for &b in &rows {
                    ga[b] += 1.0;
                }
            }
        }
        for d in 0..n {
            g[d * n + d] += p.lambda;
        }
        if !spd_inverse_in_place(&mut g, n, 48) {
            return Err(DataError::Empty("ease: the Gram matrix could not be inverted").into());
        }
        // B_ij = −P_ij / P_jj, B_ii = 0.
        let diag: Vec<f32> = (0..n).map(|d| g[d * n + d]).collect();
        for r in 0..n {
            let row = &mut g[r * n..(r + 1) * n];
            for (c, v) in row.iter_mut().enumerate() {
                *v = if c == r { 0.0 } else { -*v / diag[c] };
            }
        }
        Ok(Ease {
            users: data.users.clone(),
            items: data.items.clone(),
            slot,
            modelled: order,
            b: g,
            user_items: data.by_user.clone(),
        })
    }
}

impl Ease {
    /// Scores for a set of films the user interacted with (film indices).
    pub fn score_history(&self, history: &[u32], out: &mut [f32]) {
        let n = self.modelled.len();
        let mut acc = vec![0f32; n];
        for &i in history {
            if let Some(s) = self.slot.get(i as usize).copied().flatten() {
                let s = s as usize;
                axpy(&mut acc, 1.0, &self.b[s * n..(s + 1) * n]);
            }
        }
        out.fill(0.0);
        for (s, &i) in self.modelled.iter().enumerate() {
            out[i as usize] = super::finite_or(acc[s], 0.0);
        }
    }
}

impl Recommender for Ease {
    fn items(&self) -> &IdMap<MovieId> {
        &self.items
    }

    fn score_into(&self, user: UserId, out: &mut [f32]) {
        match self.users.get(user) {
            Some(u) => {
                let (is, _) = self.user_items.row(u as usize);
                self.score_history(is, out);
            }
            None => out.iter_mut().for_each(|o| *o = 0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ease_completes_a_space_fans_set() {
        let mut rows = Vec::new();
        for u in 0..24i64 {
            let base = if u < 12 { 0 } else { 10 };
            for m in base..base + 4 {
                rows.push((UserId(u), MovieId(m), 1.0));
            }
        }
        for m in 0..3 {
            rows.push((UserId(99), MovieId(m), 1.0));
        }
        let data = Ratings::from_triples(&rows).expect("finite");
        let m = EaseParams {
            lambda: 1.0,
            ..EaseParams::default()
        }
        .check()
        .expect("valid")
        .fit(&data)
        .expect("fits");
        let seen: HashSet<MovieId> = (0..3).map(MovieId).collect();
        let top = m.recommend(UserId(99), 5, &seen);
        assert_eq!(top[0].movie, MovieId(3));
        assert!(top.iter().all(|s| s.score.is_finite()));
    }

    #[test]
    fn the_films_kept_at_the_cut_do_not_depend_on_the_row_order() {
        // Films 0..6 all have two viewers; only three are modelled. The ones with the smallest
        // ids are kept, whichever order the rows come in.
        let mut rows = Vec::new();
        for m in 0..6i64 {
            rows.push((UserId(m), MovieId(m), 1.0));
            rows.push((UserId(m + 1), MovieId(m), 1.0));
        }
        let fit = |rows: &[(UserId, MovieId, f32)]| {
            let data = Ratings::from_triples(rows).expect("finite");
            let m = EaseParams {
                lambda: 1.0,
                max_items: 3,
                ..EaseParams::default()
            }
            .check()
            .expect("valid")
            .fit(&data)
            .expect("fits");
            let mut kept: Vec<MovieId> = m.modelled.iter().map(|&i| m.items.id(i)).collect();
            kept.sort_unstable();
            kept
        };
        let forward = fit(&rows);
        rows.reverse();
        assert_eq!(forward, fit(&rows));
        assert_eq!(forward, vec![MovieId(0), MovieId(1), MovieId(2)]);
    }
}
