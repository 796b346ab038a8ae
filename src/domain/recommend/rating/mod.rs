//! Star-rating models (explicit feedback), measured offline by `marquee eval rating` and never
//! served: the bot recommends with [`super::snapshot`]. They stay to keep the comparison
//! reproducible.
//!
//! - [`knn`]: item-kNN on baseline residuals with shrunk Pearson similarity (KNNBaseline,
//!   Koren 2008).
//! - [`user_knn`]: user-kNN on baseline residuals, the user-based twin of [`knn`].
//! - [`mf`]: biased matrix factorisation / SVD++ by SGD (Koren 2008, Koren/Bell/Volinsky 2009).
//! - [`ensemble`]: the rating blend fitted on a validation split carved from train.

pub mod ensemble;
pub mod knn;
pub mod mf;
pub mod user_knn;
