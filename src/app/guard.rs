//! What a click may act on. A button under a list ("More like #1", "Not interested", "Refresh",
//! the menu, an `/ask` critique) or a feedback button naming a list acts only for the person
//! the list was shown to, in the server it was shown in. Anyone else's press, a list of another
//! server and a list Marquee does not have are refused alike (nothing about the list is told),
//! before anything is stored: not the presser, not a list, not feedback, not an experiment's
//! figures. The console and the CLI go through the same check. Watch-party buttons are checked
//! by [`crate::app::party`] (the party's server and the message pressed).

use crate::app::command::{Caller, Command, ListId, Steer};
use crate::app::privacy::existing_user;
use crate::app::reply::Reply;
use crate::app::services::Services;
use crate::domain::ports::ImpressionRepo as _;

/// The answer to a press on a list that is not the presser's (or that Marquee does not have).
pub const NOT_YOUR_LIST: &str =
    "That list is someone else's, or one I no longer have — /recommend makes one for you.";

/// [`NOT_YOUR_LIST`] for an `/ask` answer.
pub const NOT_YOUR_ANSWER: &str =
    "That answer is someone else's, or one I no longer have — /ask makes one for you.";

/// The list `command` acts on, the refusal to give, and whether a message that shows no list
/// may be pressed (the clarifying question's buttons: they steer only the presser's own
/// conversation).
fn acted_on(command: &Command) -> Option<(ListId, &'static str, bool)> {
    match command {
        Command::Recommend {
            instead_of: Some(list),
            ..
        }
        | Command::MoreLike { list, .. }
        | Command::Feedback { list, .. }
        | Command::FeedbackFor { list, .. } => Some((*list, NOT_YOUR_LIST, false)),
        Command::Steer {
            list: Some(list),
            steer,
        } => {
            let by_position = matches!(steer, Steer::MoreLike(_) | Steer::Seen(_));
            Some((*list, NOT_YOUR_ANSWER, !by_position))
        }
        _ => None,
    }
}

/// The refusal of `command` when it acts on a list that was not shown to `caller` in their
/// server; `None` when it may go ahead (or acts on no list).
///
/// # Errors
/// Storage fails.
pub async fn list_refusal(
    s: &Services,
    caller: &Caller,
    command: &Command,
) -> anyhow::Result<Option<Reply>> {
    let Some((list, refusal, unlisted_ok)) = acted_on(command) else {
        return Ok(None);
    };
    let refused = || Ok(Some(Reply::Invalid(refusal.to_owned())));
    let shown = s.store.impressions_of_message(list).await?;
    let Some(first) = shown.first() else {
        return if unlisted_ok { Ok(None) } else { refused() };
    };
    if first.shown.guild != caller.server {
        return refused();
    }
    // Looked up, never created: a refused press stores nothing, not even the presser.
    match existing_user(s, caller).await? {
        Some(me) if shown.iter().all(|i| i.shown.user == me) => Ok(None),
        _ => refused(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::command::Filters;
    use crate::domain::feedback::Button;

    #[test]
    fn every_command_on_a_list_is_checked_and_the_others_are_not() {
        let list = 42;
        for command in [
            Command::Recommend {
                filters: Filters::default(),
                instead_of: Some(list),
            },
            Command::MoreLike { list, position: 1 },
            Command::Feedback {
                list,
                position: 2,
                button: Button::Love,
            },
            Command::FeedbackFor { list, position: 3 },
        ] {
            assert_eq!(
                acted_on(&command),
                Some((list, NOT_YOUR_LIST, false)),
                "{command:?}"
            );
        }
        let steer = |steer| Command::Steer {
            list: Some(list),
            steer,
        };
        assert_eq!(
            acted_on(&steer(Steer::MoreLike(2))),
            Some((list, NOT_YOUR_ANSWER, false))
        );
        assert_eq!(
            acted_on(&steer(Steer::Seen(1))),
            Some((list, NOT_YOUR_ANSWER, false))
        );
        assert_eq!(
            acted_on(&steer(Steer::Funnier)),
            Some((list, NOT_YOUR_ANSWER, true)),
            "a clarifying question's button sits on a message without a list"
        );
        for command in [
            Command::Recommend {
                filters: Filters::default(),
                instead_of: None,
            },
            Command::Steer {
                list: None,
                steer: Steer::Darker,
            },
            Command::Profile,
        ] {
            assert_eq!(acted_on(&command), None, "{command:?}");
        }
    }
}
