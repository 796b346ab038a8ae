//! `/experiment list|start|stop|status` for server admins: registered with the Manage Server
//! default permission; the app checks the permission again (a server can change who sees a
//! command), from the member's permissions in the interaction.

use super::render::{EmbedSpec, Out, escape};
use crate::app::reply::{ExperimentRow, ExperimentStatus};
use crate::app::{Command, LabCommand};
use crate::domain::experiment::Verdict;
use serenity::all::{
    CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateAttachment, CreateCommand,
    CreateCommandOption, EditInteractionResponse, Permissions,
};
use std::fmt::Write as _;

/// `/experiment`'s subcommands.
pub fn options(command: CreateCommand) -> CreateCommand {
    let key = || {
        CreateCommandOption::new(CommandOptionType::String, "key", "the experiment's key")
            .required(true)
            .max_length(64)
    };
    let everywhere = || {
        CreateCommandOption::new(
            CommandOptionType::Boolean,
            "everywhere",
            "in every server (the bot's operator only)",
        )
    };
    command
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .add_option(CreateCommandOption::new(
            CommandOptionType::SubCommand,
            "list",
            "every experiment and its status",
        ))
        .add_option(
            CreateCommandOption::new(CommandOptionType::SubCommand, "start", "start one")
                .add_sub_option(key())
                .add_sub_option(everywhere()),
        )
        .add_option(
            CreateCommandOption::new(CommandOptionType::SubCommand, "stop", "stop one")
                .add_sub_option(key())
                .add_sub_option(everywhere()),
        )
        .add_option(
            CreateCommandOption::new(
                CommandOptionType::SubCommand,
                "status",
                "the verdict so far, with a chart",
            )
            .add_sub_option(key())
            .add_sub_option(everywhere()),
        )
}

/// A report as an embed: one field per variant and the plain-words verdict.
fn status_embed(key: &str, report: &crate::domain::experiment::Report, days: f64) -> EmbedSpec {
    let fields = report
        .arms
        .iter()
        .map(|a| {
            let mut value = format!(
                "{} shown · likes {:.1}% ({:.1}–{:.1}%)\nnot interested {:.1}% · refreshed {:.1}% · {} rated",
                a.exposures,
                a.like_rate * 100.0,
                a.like_ci.0 * 100.0,
                a.like_ci.1 * 100.0,
                a.not_interested_rate * 100.0,
                a.refresh_rate * 100.0,
                a.ratings
            );
            if let Some(p) = a.chance_to_beat_control {
                let _ = write!(value, "\n{:.0}% chance to beat control", p * 100.0);
            }
            (escape(&a.name), value, false)
        })
        .collect();
    let flag = match report.verdict {
        Verdict::SampleRatioMismatch { .. } => "⚠️ ",
        Verdict::Winner { .. } => "🏆 ",
        _ => "",
    };
    EmbedSpec {
        title: format!("Experiment {key}"),
        description: format!("{flag}{}", report.summary),
        fields,
        footer: format!(
            "{days:.1} days · sample-ratio check p = {:.4} · intervals stay valid however often you look",
            report.srm_p_value
        ),
    }
    .fit()
}

/// The command an `/experiment` invocation stands for.
pub fn command(options: &[CommandDataOption]) -> Command {
    let Some(sub) = options.first() else {
        return Command::Lab(LabCommand::List);
    };
    let key = match &sub.value {
        CommandDataOptionValue::SubCommand(options) => super::spec::string(options, "key")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        _ => String::new(),
    };
    let everywhere = match &sub.value {
        CommandDataOptionValue::SubCommand(options) => {
            super::spec::find(options, "everywhere") == Some(&CommandDataOptionValue::Boolean(true))
        }
        _ => false,
    };
    Command::Lab(match sub.name.as_str() {
        "start" => LabCommand::Start { key, everywhere },
        "stop" => LabCommand::Stop { key, everywhere },
        "status" => LabCommand::Status { key, everywhere },
        _ => LabCommand::List,
    })
}

/// Every experiment, one line each.
pub fn list(rows: &[ExperimentRow]) -> Out {
    let description = if rows.is_empty() {
        "No experiments are defined: add some to experiments.toml.".to_owned()
    } else {
        rows.iter()
            .map(|r| {
                format!(
                    "**{}** · {} · {} · layer {}, per {}",
                    escape(&r.key),
                    r.status,
                    r.split,
                    r.layer,
                    r.unit
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    Out {
        embed: Some(
            EmbedSpec {
                title: "Experiments".to_owned(),
                description,
                ..EmbedSpec::default()
            }
            .fit(),
        ),
        ephemeral: true,
        ..Out::default()
    }
}

/// An experiment's analysis with its chart attached.
pub fn status(status: &ExperimentStatus) -> EditInteractionResponse {
    let embed = status_embed(&status.key, &status.report, status.days)
        .build()
        .image("attachment://experiment.png");
    EditInteractionResponse::new()
        .content("")
        .embed(embed)
        .new_attachment(CreateAttachment::bytes(
            status.chart.clone(),
            "experiment.png",
        ))
        .allowed_mentions(serenity::all::CreateAllowedMentions::new())
}
