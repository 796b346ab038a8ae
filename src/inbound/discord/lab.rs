//! `/experiment list|start|stop|status` for server admins (Manage Server): registered with
//! that default permission, and checked again here, since a server can change who sees a
//! command.

use super::render::{EmbedSpec, Out, escape};
use super::{Acked, Handler, Ix};
use crate::app::experiments::LabReply;
use crate::domain::experiment::Verdict;
use serenity::all::{
    CommandDataOptionValue, CommandInteraction, CommandOptionType, Context, CreateAttachment,
    CreateCommand, CreateCommandOption, CreateInteractionResponse, EditInteractionResponse,
    InteractionContext, Permissions,
};
use std::fmt::Write as _;

/// The `/experiment` command.
pub fn command() -> CreateCommand {
    let key = || {
        CreateCommandOption::new(CommandOptionType::String, "key", "the experiment's key")
            .required(true)
            .max_length(64)
    };
    CreateCommand::new("experiment")
        .description("Recommendation experiments: which variant do people like more? (admins)")
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .contexts(vec![InteractionContext::Guild])
        .add_option(CreateCommandOption::new(
            CommandOptionType::SubCommand,
            "list",
            "every experiment and its status",
        ))
        .add_option(
            CreateCommandOption::new(CommandOptionType::SubCommand, "start", "start one")
                .add_sub_option(key()),
        )
        .add_option(
            CreateCommandOption::new(CommandOptionType::SubCommand, "stop", "stop one")
                .add_sub_option(key()),
        )
        .add_option(
            CreateCommandOption::new(
                CommandOptionType::SubCommand,
                "status",
                "the verdict so far, with a chart",
            )
            .add_sub_option(key()),
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

impl Handler {
    /// `/experiment …` (admins only).
    pub(super) async fn experiment(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Command(cmd);
        let admin = cmd
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_guild() || p.administrator());
        if !admin {
            *acked = Acked::Private;
            let out = Out::text(
                "Only people with the Manage Server permission can run experiments.",
                true,
            );
            ix.respond(ctx, CreateInteractionResponse::Message(out.response()))
                .await?;
            return Ok(());
        }
        ix.defer(ctx, true, acked).await?;
        let Some(sub) = cmd.data.options.first() else {
            return Ok(());
        };
        let key = match &sub.value {
            CommandDataOptionValue::SubCommand(options) => options
                .iter()
                .find(|o| o.name == "key")
                .and_then(|o| o.value.as_str())
                .unwrap_or_default()
                .trim()
                .to_owned(),
            _ => String::new(),
        };
        self.session.reload_experiments().await?;
        let reply = match sub.name.as_str() {
            "start" => self.session.lab_switch(&key, true).await?,
            "stop" => self.session.lab_switch(&key, false).await?,
            "status" => self.session.lab_status(&key).await?,
            _ => self.session.lab_list().await?,
        };
        match reply {
            LabReply::List(rows) => {
                let description = if rows.is_empty() {
                    "No experiments are defined: add some to experiments.toml.".to_owned()
                } else {
                    rows.iter()
                        .map(|(k, status, split, layer, unit)| {
                            format!(
                                "**{}** · {status} · {split} · layer {layer}, per {unit}",
                                escape(k)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                let out = Out {
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
                };
                ix.edit(ctx, &out).await?;
            }
            LabReply::Changed(text) | LabReply::Refused(text) => {
                ix.edit(ctx, &Out::text(text, true)).await?;
            }
            LabReply::Status {
                key,
                report,
                days,
                chart,
            } => {
                let embed = status_embed(&key, &report, days)
                    .build()
                    .image("attachment://experiment.png");
                let edit = EditInteractionResponse::new()
                    .content("")
                    .embed(embed)
                    .new_attachment(CreateAttachment::bytes(chart, "experiment.png"))
                    .allowed_mentions(serenity::all::CreateAllowedMentions::new());
                ix.edit_with(ctx, edit).await?;
            }
        }
        Ok(())
    }
}
