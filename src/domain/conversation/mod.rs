//! Conversational recommendations: free text such as "something like Alien but
//! funnier, from the 90s" becomes a structured [`wish::Wish`], critiques refine it over a few
//! turns ([`wish::apply_critique`]), and [`rank::rank_for_wish`] turns it into explained picks.
//! Pure: no I/O, no clock (the caller passes the current year).

mod critique;
mod lexicon;
mod parse;
pub mod rank;
pub mod together;
mod tokens;
pub mod turn;
pub mod wish;

pub use rank::{WishPick, rank_for_wish, rank_for_wish_with};
pub use together::Together;
pub use turn::{Turn, change_from, turn_kind};
pub use wish::{Audience, Critique, Wish, apply_critique, parse_wish};
