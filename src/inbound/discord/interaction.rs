//! One interaction and how far it was acknowledged: every interaction is acknowledged within
//! Discord's 3 seconds (deferred, or answered from memory), and a failure later is told to the
//! person in whatever way the acknowledgement still allows, never by overwriting a public
//! message with an error.

use super::render::Out;
use crate::app::{Caller, Person, Source};
use crate::domain::ids::GuildId as DomainGuild;
use serenity::all::{
    ChannelId, CommandInteraction, ComponentInteraction, Context, CreateInteractionResponse,
    CreateInteractionResponseMessage, EditInteractionResponse, GuildId, Member, Message,
    MessageFlags, ModalInteraction, User,
};
use std::future::Future;
use std::time::{Duration, Instant};

/// How long a click's change may take to commit before the click is acknowledged without its
/// result: Discord wants an answer within 3 s of sending the interaction, and the gateway and
/// the answer's own trip take some of that.
pub const ACK_BUDGET: Duration = Duration::from_millis(1_500);

/// The honest answer to a click whose change is not committed yet.
pub const STILL_SAVING: &str =
    "Saving that is taking longer than usual; I'll confirm here once it is stored.";

/// Clicks on one message (a watch party, a list) are worked one at a time, in the order they
/// reached this process, from the write through the answer: every answer shows the state as
/// committed, and answers leave in the order of the commits, so an older view never replaces
/// a newer one. Keys hash onto a fixed set of locks (two messages rarely share one).
#[derive(Debug)]
pub struct Serial {
    stripes: Vec<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

impl Default for Serial {
    fn default() -> Self {
        Serial {
            stripes: (0..64)
                .map(|_| std::sync::Arc::new(tokio::sync::Mutex::new(())))
                .collect(),
        }
    }
}

impl Serial {
    /// Waits for the turn of `key` (first come, first served) and holds it until the guard
    /// is dropped.
    pub async fn turn(&self, key: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let stripe = usize::try_from(key.unsigned_abs() % self.stripes.len() as u64).unwrap_or(0);
        self.stripes[stripe].clone().lock_owned().await
    }
}

/// A click's work (boxed: the app's futures are large).
pub type Work<'a, T> = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// What a click's answer does, once its change is committed.
#[derive(Debug)]
pub enum Answer {
    /// Replaces the clicked message (the lobby, the vote, the feedback buttons).
    Update(Out),
    /// A message only for the clicker; the clicked message stays as it is.
    Private(Out),
}

/// What a person sees when something failed on Marquee's side. It does not promise that
/// nothing was lost: a failure may come after part of the work was done, or before any of it.
pub const SORRY: &str = "Something went wrong on my side (not yours), so this may not have been saved. Please try again in a moment.";

/// What a person sees when the database is out of reach: nothing could be stored, so it says
/// so, and when to try again (an outage usually passes within a minute).
pub const DATABASE_DOWN: &str =
    "I can't reach my database right now, so this was not saved. Please try again in a minute.";

/// A Discord snowflake as stored (ids fit in 63 bits).
pub fn snowflake(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// The caller behind an interaction or a reaction.
pub fn caller(
    user: &User,
    member: Option<&Member>,
    (guild, channel): (Option<GuildId>, ChannelId),
    delivery: Option<u64>,
) -> Caller {
    let name = user.global_name.as_deref().unwrap_or(&user.name);
    Caller {
        person: Person::Discord {
            id: user.id.get(),
            name: name.to_owned(),
        },
        source: Source::Discord,
        server: guild.map(|g| DomainGuild(snowflake(g.get()))),
        channel: Some(snowflake(channel.get())),
        delivery_key: delivery.map(|d| d.to_string()),
        manages_server: member
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_guild() || p.administrator()),
        operator: false,
    }
}

/// The bot itself, for its own bookkeeping commands (the message a winner was announced in,
/// the event made for a party); such commands never look a person up.
pub fn system_caller(server: DomainGuild) -> Caller {
    Caller {
        person: Person::Discord {
            id: 0,
            name: "Marquee".to_owned(),
        },
        source: Source::Discord,
        server: Some(server),
        channel: None,
        delivery_key: None,
        manages_server: false,
        operator: false,
    }
}

/// The three kinds of interaction that can be answered with a message.
#[derive(Clone, Copy, Debug)]
pub enum Ix<'a> {
    Command(&'a CommandInteraction),
    Component(&'a ComponentInteraction),
    Modal(&'a ModalInteraction),
}

/// How far an interaction got, so a failure is reported in the right way.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Acked {
    No,
    /// Deferred: the placeholder is public.
    Public,
    /// Deferred, or answered, only for the caller.
    Private,
    /// Acknowledged as an update of the clicked message (which may be public, e.g. a vote):
    /// a failure is told in a private follow-up, never by overwriting that message.
    Updated,
}

impl Ix<'_> {
    /// The caller of this interaction.
    pub fn caller(self) -> Caller {
        match self {
            Ix::Command(i) => caller(
                &i.user,
                i.member.as_deref(),
                (i.guild_id, i.channel_id),
                Some(i.id.get()),
            ),
            Ix::Component(i) => caller(
                &i.user,
                i.member.as_ref(),
                (i.guild_id, i.channel_id),
                Some(i.id.get()),
            ),
            Ix::Modal(i) => caller(
                &i.user,
                i.member.as_ref(),
                (i.guild_id, i.channel_id),
                Some(i.id.get()),
            ),
        }
    }

    /// Answers the interaction.
    pub async fn respond(
        self,
        ctx: &Context,
        response: CreateInteractionResponse,
    ) -> serenity::Result<()> {
        match self {
            Ix::Command(i) => i.create_response(&ctx.http, response).await,
            Ix::Component(i) => i.create_response(&ctx.http, response).await,
            Ix::Modal(i) => i.create_response(&ctx.http, response).await,
        }
    }

    /// Answers at once with `out` (a message from memory), recording it in `acked`.
    pub async fn answer(self, ctx: &Context, out: &Out, acked: &mut Acked) -> serenity::Result<()> {
        self.respond(ctx, CreateInteractionResponse::Message(out.response()))
            .await?;
        *acked = if out.ephemeral {
            Acked::Private
        } else {
            Acked::Public
        };
        Ok(())
    }

    /// A "thinking…" placeholder for a new message, public or only for the caller; records in
    /// `acked` how the interaction was acknowledged, so an error later is reported the right way.
    pub async fn defer(
        self,
        ctx: &Context,
        ephemeral: bool,
        acked: &mut Acked,
    ) -> serenity::Result<()> {
        self.respond(
            ctx,
            CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(ephemeral),
            ),
        )
        .await?;
        *acked = if ephemeral {
            Acked::Private
        } else {
            Acked::Public
        };
        Ok(())
    }

    /// Runs `work`, which commits a click's change, and only then lets the click be answered:
    /// `(result, false)` when it finished within [`ACK_BUDGET`] of `since` (nothing was sent
    /// yet: answer with [`Ix::deliver`]). Slower, the click is acknowledged with an honest
    /// private "still saving" note, the work goes on, and `(result, true)` comes when it is
    /// done. Nothing ever tells the clicker a change succeeded before it was committed.
    pub async fn persist_then_answer<T>(
        self,
        ctx: &Context,
        since: Instant,
        acked: &mut Acked,
        mut work: Work<'_, T>,
    ) -> anyhow::Result<(T, bool)> {
        let deadline = tokio::time::Instant::from_std(since + ACK_BUDGET);
        if let Ok(done) = tokio::time::timeout_at(deadline, &mut work).await {
            return Ok((done?, false));
        }
        tracing::info!(
            kind = self.kind(),
            "a click is slow to commit; acknowledged as still saving"
        );
        // The work goes on even if the note cannot be sent (the interaction expired, Discord
        // is slow): a change under way is finished, never dropped half-way.
        let noted = self
            .answer(ctx, &Out::text(STILL_SAVING, true), acked)
            .await;
        if let Err(e) = &noted {
            tracing::warn!(error = %e, "could not send the still-saving note");
        }
        Ok((work.await?, true))
    }

    /// Answers a click whose change is committed: an update of the clicked message (the
    /// acknowledgement itself when `late` is false), or a private message. When the click was
    /// acknowledged late with a "still saving" note, the clicked message is edited in its
    /// channel and the note says the change is stored.
    pub async fn deliver(
        self,
        ctx: &Context,
        acked: &mut Acked,
        late: bool,
        answer: &Answer,
    ) -> serenity::Result<()> {
        match (late, answer) {
            (false, Answer::Update(out)) => {
                self.respond(ctx, CreateInteractionResponse::UpdateMessage(out.update()))
                    .await?;
                *acked = Acked::Updated;
            }
            (false, Answer::Private(out)) => {
                let mut out = out.clone();
                out.ephemeral = true;
                self.answer(ctx, &out, acked).await?;
            }
            (true, Answer::Private(out)) => {
                self.edit(ctx, out).await?;
            }
            (true, Answer::Update(out)) => match self {
                Ix::Component(c)
                    if !c
                        .message
                        .flags
                        .is_some_and(|f| f.contains(MessageFlags::EPHEMERAL)) =>
                {
                    c.channel_id
                        .edit_message(&ctx.http, c.message.id, out.message_edit())
                        .await?;
                    self.edit(ctx, &Out::text("Stored; the message above shows it.", true))
                        .await?;
                }
                // A private message can only be changed through its own interaction: the
                // answer comes in the note instead.
                _ => {
                    self.edit(ctx, out).await?;
                }
            },
        }
        Ok(())
    }

    /// Acknowledges a click as an update of the message clicked on (no placeholder).
    pub async fn acknowledge(self, ctx: &Context, acked: &mut Acked) -> serenity::Result<()> {
        self.respond(ctx, CreateInteractionResponse::Acknowledge)
            .await?;
        *acked = Acked::Updated;
        Ok(())
    }

    /// Replaces the deferred placeholder (or the clicked message) with `out`.
    pub async fn edit(self, ctx: &Context, out: &Out) -> serenity::Result<Message> {
        self.edit_with(ctx, out.edit()).await
    }

    /// Replaces the deferred placeholder (or the clicked message) with a built edit.
    pub async fn edit_with(
        self,
        ctx: &Context,
        edit: EditInteractionResponse,
    ) -> serenity::Result<Message> {
        match self {
            Ix::Command(i) => i.edit_response(&ctx.http, edit).await,
            Ix::Component(i) => i.edit_response(&ctx.http, edit).await,
            Ix::Modal(i) => i.edit_response(&ctx.http, edit).await,
        }
    }

    /// Deletes the deferred placeholder.
    pub async fn delete(self, ctx: &Context) -> serenity::Result<()> {
        match self {
            Ix::Command(i) => i.delete_response(&ctx.http).await,
            Ix::Component(i) => i.delete_response(&ctx.http).await,
            Ix::Modal(i) => i.delete_response(&ctx.http).await,
        }
    }

    /// A further message after the first answer.
    pub async fn followup(self, ctx: &Context, out: &Out) -> serenity::Result<Message> {
        let f = out.followup();
        match self {
            Ix::Command(i) => i.create_followup(&ctx.http, f).await,
            Ix::Component(i) => i.create_followup(&ctx.http, f).await,
            Ix::Modal(i) => i.create_followup(&ctx.http, f).await,
        }
    }

    /// Shows `out` in a deferred interaction: a private answer in place of a public
    /// placeholder is sent as a private follow-up (the placeholder is deleted).
    pub async fn show(self, ctx: &Context, acked: Acked, out: &Out) -> serenity::Result<()> {
        if acked == Acked::Public && out.ephemeral {
            self.delete(ctx).await?;
            self.followup(ctx, out).await?;
        } else {
            self.edit(ctx, out).await?;
        }
        Ok(())
    }

    fn kind(self) -> &'static str {
        match self {
            Ix::Command(_) => "command",
            Ix::Component(_) => "button or menu",
            Ix::Modal(_) => "form",
        }
    }

    /// Tells the user something failed, in whatever way the interaction still allows: that the
    /// database is out of reach and nothing was saved, or (anything else) that it may not have
    /// been saved. The details go to the log only.
    pub async fn report(self, ctx: &Context, acked: Acked, error: &anyhow::Error) {
        let text = if let Some(why) = crate::app::database_unreachable(error) {
            tracing::warn!(why = %why, kind = self.kind(), "interaction failed: the database is unreachable");
            DATABASE_DOWN
        } else {
            tracing::error!(error = %format!("{error:#}"), kind = self.kind(), "interaction failed");
            SORRY
        };
        let out = Out::text(text, true);
        let sent = match acked {
            Acked::No => {
                self.respond(ctx, CreateInteractionResponse::Message(out.response()))
                    .await
            }
            Acked::Private => self.edit(ctx, &out).await.map(|_| ()),
            Acked::Updated => self.followup(ctx, &out).await.map(|_| ()),
            Acked::Public => {
                let _ = self.delete(ctx).await;
                self.followup(ctx, &out).await.map(|_| ())
            }
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not tell the user about the failure");
        }
    }
}
