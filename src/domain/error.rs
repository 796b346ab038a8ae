//! Errors the domain's ports report. Adapters map their own failures onto these.

/// What went wrong when the domain asked the outside world for something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The store was reachable but refused the data (a constraint, a malformed value).
    #[error("invalid data: {0}")]
    Invalid(String),
    /// The store could not be reached or gave up after retries; the caller may try later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else, with its context.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
