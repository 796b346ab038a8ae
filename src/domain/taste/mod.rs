//! Taste groups: users clustered by what they like, with stable keys and readable names.
//!
//! **Vectors.** A user with at least [`TasteParams::mf_min_likes`] liked films and a finite,
//! non-zero matrix-factorisation vector ([`ModelSnapshot::user_vector`]) is placed in the
//! *factor space*; every user with at least [`TasteParams::min_signals`] films with any state
//! also gets a *content vector*: the like-weighted share of each genre and decade in their
//! history (for someone who liked nothing they rated: minus the dislike-weighted shares), minus
//! the average user's shares. Rows are L2-normalised, so Euclidean k-means on them approximates
//! spherical (cosine) k-means.
//!
//! **Clustering.** k-means from `linfa-clustering` on f32 rows, with our own greedy k-means++
//! seeding (Arthur & Vassilvitskii 2007, "k-means++: the advantages of careful seeding"; the
//! greedy variant as in scikit-learn), seeded, best of several runs run in parallel, with a
//! slice-based distance ([`FastL2`]). k is chosen per data set by the mean silhouette
//! (Rousseeuw 1987, "Silhouettes: a graphical aid to the interpretation and validation of cluster
//! analysis") of a fixed subsample over `k_min..=k_max`, rejecting any k with a group below the
//! minimum size and taking the smallest k within [`TasteParams::silhouette_slack`] of the best.
//! The factor space is used when enough users have one, otherwise the content space; users
//! outside the clustered space join the group whose content centroid is nearest, and users whose
//! vector is zero (exactly the average taste) join the largest group, or form one group when
//! nobody has a usable vector. Fewer than [`TasteParams::people_for_groups`] users are one group.
//!
//! **Readiness.** A server's taste map needs two people with five rated films each
//! ([`MapProgress`]); it says what is missing until then.
//!
//! **Stable identity.** Groups are matched to the previous run's by the distance between their
//! content centroids (genre/decade profiles, which mean the same thing after every retraining,
//! unlike ALS factors whose axes change), greedily from the closest pair. A matched group keeps
//! its key and name; a user stays in their previous group unless another centroid is closer by
//! more than [`TasteParams::stickiness`].
//!
//! **Names** come from the features over-represented among the group's liked films (genres,
//! decades, keywords, directors), scored by `share × ln(lift)`, with fixed wording and fixed
//! tie-breaks, so the same data always gives the same names.
//!
//! Nothing here panics on bad input: too few users, identical users, zero or non-finite vectors
//! give fewer groups (or none) and a note in [`TasteGroups::warnings`].
//!
//! Agreement with planted groups is measured by the adjusted Rand index (Hubert & Arabie 1985,
//! "Comparing partitions"), [`adjusted_rand_index`].
//!
//! [`ModelSnapshot::user_vector`]: crate::domain::recommend::snapshot::ModelSnapshot::user_vector

mod cluster;
mod kmeans;
mod naming;
mod planted;
mod projection;
mod readiness;
mod servers;
mod vectors;

use serde::{Deserialize, Serialize};

use crate::domain::catalog::Genre;
use crate::domain::ids::{MovieId, UserId};

pub use cluster::{Clustering, cluster_rows, cluster_taste, compute_groups, compute_groups_of};
pub use kmeans::{
    FastL2, KMeansFit, absolute_tolerance, adjusted_rand_index, fit_kmeans, silhouette, sq_dist,
};
pub use planted::{planted_users, planted_world};
pub use projection::{TasteProjection, pca_2d, project};
pub use readiness::{Given, MAP_PEOPLE, MAP_RATINGS, MapProgress, given_by_person};
pub use servers::{ScopedGroups, ServerTaste};
pub use vectors::{TasteSpace, TasteVectors, taste_vectors, taste_vectors_of};

/// A group's stable identifier: kept across reclusterings when the group is matched.
pub type GroupKey = u32;

/// Decade bins of the content space: before 1930, then the 1930s … the 2020s (and later).
const DECADES: usize = 11;
/// Dimensions of the content space: genres, then decades.
pub const CONTENT_DIM: usize = Genre::ALL.len() + DECADES;

/// Hyper-parameters of taste grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasteParams {
    /// Smallest k tried (≥ 2).
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// k-means++ restarts of the final fit (best inertia wins).
    pub n_runs: usize,
    /// Restarts per k during the silhouette sweep.
    pub sweep_runs: usize,
    /// Users the k sweep fits on (a fixed random subsample).
    pub sweep_sample: usize,
    /// Users the silhouette is computed on (exact, O(m²)).
    pub silhouette_sample: usize,
    /// A k is kept only if its best silhouette is within this of the best k's; the smallest wins.
    pub silhouette_slack: f64,
    /// Below this best silhouette there is no group structure: one group.
    pub min_silhouette: f64,
    /// Smallest group, in users.
    pub min_group_size: usize,
    /// Smallest group, as a share of the clustered users.
    pub min_group_share: f64,
    /// Relative tolerance, as scikit-learn's `tol`: stop when the squared centroid shift is at
    /// most `tolerance × mean feature variance`.
    pub tolerance: f64,
    /// Lloyd iterations per run at most.
    pub max_iterations: u64,
    /// Films with any state a user needs to get a group at all.
    pub min_signals: usize,
    /// Liked films a user needs for their factor vector to be used.
    pub mf_min_likes: usize,
    /// Users with factor vectors needed to cluster in the factor space.
    pub min_factor_users: usize,
    /// A value at or above this (0.5–5 scale) is a like.
    pub like_threshold: f64,
    /// Like strength of a film seen without a rating.
    pub seen_strength: f32,
    /// Largest distance between unit content centroids for a new group to inherit an old one.
    pub match_max_distance: f64,
    /// A user keeps their previous group while its squared centroid distance is at most the
    /// nearest one's plus this.
    pub stickiness: f64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for TasteParams {
    fn default() -> Self {
        Self {
            k_min: 2,
            k_max: 10,
            n_runs: 10,
            sweep_runs: 10,
            sweep_sample: 10_000,
            silhouette_sample: 2_000,
            silhouette_slack: 0.005,
            min_silhouette: 0.02,
            min_group_size: 5,
            min_group_share: 0.03,
            tolerance: 1e-4,
            max_iterations: 300,
            min_signals: 3,
            mf_min_likes: 10,
            min_factor_users: 50,
            like_threshold: 3.0,
            seen_strength: 0.3,
            match_max_distance: 0.8,
            stickiness: 0.05,
            seed: 0x7A57_E006,
        }
    }
}

impl TasteParams {
    /// The fewest users that can be split into two groups: [`Self::k_min`] groups of
    /// [`Self::min_group_size`] (with fewer, everyone is in one group).
    pub fn people_for_groups(&self) -> usize {
        self.k_min.max(2) * self.min_group_size.max(1)
    }
}

/// One taste group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasteGroup {
    /// Stable key (kept when matched to a previous group).
    pub key: GroupKey,
    /// Readable name, e.g. "90s action".
    pub name: String,
    /// Members.
    pub size: usize,
    /// Centroid in the clustering space ([`TasteGroups::space`]), unit rows averaged.
    pub centroid: Vec<f32>,
    /// Mean normalised genre/decade profile of the members (used to match across runs).
    pub content_centroid: Vec<f32>,
    /// What distinguishes the group, strongest first (e.g. "sci-fi ×2.1", "Christopher Nolan").
    pub traits: Vec<String>,
    /// Films most liked by the members: (film, Σ like strength), best first.
    pub favourites: Vec<(MovieId, f32)>,
}

/// Every group of one clustering, with per-user assignments; stored with the model snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasteGroups {
    /// The space the groups were clustered in.
    pub space: TasteSpace,
    groups: Vec<TasteGroup>,
    /// Sorted by id, parallel to `assignments`.
    users: Vec<UserId>,
    /// Index into `groups` of each user.
    assignments: Vec<u32>,
    /// Mean silhouette per k tried (`None`: a group was below the minimum size).
    pub silhouettes: Vec<(usize, Option<f32>)>,
    /// Mean squared distance to the centroid in the clustering space.
    pub inertia_mean: f32,
    /// The next fresh key.
    next_key: GroupKey,
    warnings: Vec<String>,
}

const GROUPS_MAGIC: &[u8; 8] = b"MARQTST1";

impl TasteGroups {
    /// An empty grouping (no users).
    pub fn empty() -> Self {
        Self {
            space: TasteSpace::Content,
            groups: Vec::new(),
            users: Vec::new(),
            assignments: Vec::new(),
            silhouettes: Vec::new(),
            inertia_mean: 0.0,
            next_key: 1,
            warnings: Vec::new(),
        }
    }

    /// The groups, largest first.
    pub fn groups(&self) -> &[TasteGroup] {
        &self.groups
    }

    /// The group with this key.
    pub fn group(&self, key: GroupKey) -> Option<&TasteGroup> {
        self.groups.iter().find(|g| g.key == key)
    }

    /// The user's group, if they have one.
    pub fn group_of(&self, user: UserId) -> Option<&TasteGroup> {
        let i = self.users.binary_search(&user).ok()?;
        self.groups.get(*self.assignments.get(i)? as usize)
    }

    /// Every (user, group key) assignment, by user id.
    pub fn assignments(&self) -> impl Iterator<Item = (UserId, GroupKey)> + '_ {
        self.users
            .iter()
            .zip(&self.assignments)
            .filter_map(|(&u, &g)| Some((u, self.groups.get(g as usize)?.key)))
    }

    /// Users with a group.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The `k` films most liked by the group's members: (film, Σ like strength), best first
    /// (ties by id). Empty for an unknown key. At most 50 are kept per group.
    pub fn group_favourites(&self, group: GroupKey, k: usize) -> Vec<(MovieId, f32)> {
        self.group(group)
            .map(|g| g.favourites.iter().take(k).copied().collect())
            .unwrap_or_default()
    }

    /// The same groups without `user` (someone who asked to be forgotten): their assignment
    /// goes and their group counts one member fewer.
    pub fn forget(&mut self, user: UserId) {
        if let Ok(i) = self.users.binary_search(&user) {
            let group = self.assignments.remove(i) as usize;
            self.users.remove(i);
            if let Some(g) = self.groups.get_mut(group) {
                g.size = g.size.saturating_sub(1);
            }
        }
    }

    /// Notes for the log: users left out, degenerate input, merged groups.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Serialises for storage next to the model snapshot.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = GROUPS_MAGIC.to_vec();
        // Serialising plain data with serde_json cannot fail.
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out
    }

    /// Reads what [`Self::to_bytes`] wrote.
    ///
    /// # Errors
    /// The bytes are not a taste grouping, or are corrupt.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let body = bytes
            .strip_prefix(GROUPS_MAGIC.as_slice())
            .ok_or_else(|| "not a Marquee taste grouping".to_owned())?;
        let g: Self =
            serde_json::from_slice(body).map_err(|e| format!("corrupt taste grouping: {e}"))?;
        if g.users.len() != g.assignments.len()
            || g.assignments.iter().any(|&a| a as usize >= g.groups.len())
            || g.users.windows(2).any(|w| w[0] >= w[1])
        {
            return Err("corrupt taste grouping: inconsistent assignments".to_owned());
        }
        Ok(g)
    }
}
