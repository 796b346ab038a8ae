//! `marquee privacy show|export|forget`: the console's answers, on standard output.

use super::args::{self, PrivacyWho};
use super::refused;
use crate::app::{App, Caller, Command, Person, PrivacyCommand, Reply};
use std::process::ExitCode;

/// The person and the request a `marquee privacy …` names.
pub(super) fn parse(command: args::PrivacyCommand) -> (PrivacyWho, PrivacyCommand) {
    match command {
        args::PrivacyCommand::Show { who } => (who, PrivacyCommand::Show),
        args::PrivacyCommand::Export { who } => (who, PrivacyCommand::Export),
        args::PrivacyCommand::Forget {
            who,
            everywhere,
            yes,
        } => (
            who,
            PrivacyCommand::Forget {
                everywhere,
                confirmed: yes,
            },
        ),
    }
}

/// The person a privacy request is about.
pub(super) fn person(who: &PrivacyWho) -> Person {
    match who.discord_user {
        Some(id) => Person::Discord {
            id,
            name: String::new(),
        },
        None => Person::Local(who.user.clone()),
    }
}

/// Runs one privacy request and prints the answer.
pub(super) async fn privacy(
    app: &App,
    caller: &Caller,
    command: PrivacyCommand,
) -> anyhow::Result<ExitCode> {
    let reply = app.handle(caller, Command::Privacy(command)).await?;
    if let Some(code) = refused(&reply) {
        return Ok(code);
    }
    let mut out = std::io::stdout().lock();
    crate::inbound::console::render(&mut out, &reply, app.reactions())?;
    Ok(match reply {
        // Not deleted yet: the person must say --yes.
        Reply::ConfirmForget { .. } => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    })
}
