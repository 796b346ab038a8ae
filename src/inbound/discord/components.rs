//! Buttons, menus and the review form: each click becomes a command for the app. Everything a
//! click needs is in its custom id ([`super::custom_id`]) or the message it sits on, so clicks
//! work after a restart and on any shard.

use super::Handler;
use super::custom_id::{ComponentId, QuizPress};
use super::interaction::{Acked, Answer, Ix, snowflake};
use super::render::{self, Out};
use crate::app::catalog::film_token;
use crate::app::{Command, Reply};
use crate::domain::feedback::Button;
use serenity::all::{
    ActionRowComponent, ComponentInteraction, ComponentInteractionDataKind, Context,
    ModalInteraction,
};

/// How a click's reply is shown: a refusal privately, leaving the clicked message as it was
/// (a click that may not act must not change what others see); anything else in its place.
fn answer(reply: &Reply, out: Out) -> Answer {
    if matches!(reply, Reply::Invalid(_)) {
        Answer::Private(out)
    } else {
        Answer::Update(out)
    }
}

/// The feedback buttons stay under the private message a list's menu opened, so a second
/// thought is one click away.
fn feedback_buttons(reply: &Reply, out: &mut Out) {
    if let Reply::Noted {
        list,
        position,
        title,
        ..
    } = reply
    {
        out.components = render::feedback_buttons(*list, *position, title).components;
    }
}

/// The first value chosen in a string menu.
pub(super) fn first_choice(c: &ComponentInteraction) -> Option<&str> {
    match &c.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => values.first().map(String::as_str),
        _ => None,
    }
}

impl Handler {
    pub(super) async fn on_component(&self, ctx: &Context, c: &ComponentInteraction) {
        let since = std::time::Instant::now();
        let mut acked = Acked::No;
        if let Err(e) = Box::pin(self.component(ctx, c, since, &mut acked)).await {
            Ix::Component(c).report(ctx, acked, &e).await;
        }
    }

    async fn component(
        &self,
        ctx: &Context,
        c: &ComponentInteraction,
        since: std::time::Instant,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Component(c);
        let Some(id) = ComponentId::parse(&c.data.custom_id) else {
            tracing::warn!(custom_id = %c.data.custom_id, "a component Marquee did not make");
            let out = Out::text("That button is not mine any more; try /help.", true);
            return Ok(ix.answer(ctx, &out, acked).await?);
        };
        let list = snowflake(c.message.id.get());
        match id {
            ComponentId::MoreLike => {
                ix.defer(ctx, false, acked).await?;
                let command = Command::MoreLike { list, position: 1 };
                let reply = self.app.handle(&self.caller(ix), command).await?;
                self.show(ctx, ix, *acked, &reply, None).await?;
            }
            ComponentId::Refresh(filters) => {
                ix.defer(ctx, false, acked).await?;
                let command = Command::Recommend {
                    filters: filters.clone(),
                    instead_of: Some(list),
                };
                let reply = self.app.handle(&self.caller(ix), command).await?;
                self.show(ctx, ix, *acked, &reply, Some(&filters)).await?;
            }
            ComponentId::NotInterested => {
                ix.defer(ctx, true, acked).await?;
                let command = Command::Feedback {
                    list,
                    position: 1,
                    button: Button::NotInterested,
                };
                let reply = self.app.handle(&self.caller(ix), command).await?;
                ix.edit(ctx, &render::reply(&reply)).await?;
            }
            ComponentId::Pick => {
                ix.defer(ctx, true, acked).await?;
                let reply = match first_choice(c).and_then(|v| v.parse::<u32>().ok()) {
                    Some(position) => {
                        let command = Command::FeedbackFor { list, position };
                        self.app.handle(&self.caller(ix), command).await?
                    }
                    None => Reply::Invalid("Pick a film from the menu.".to_owned()),
                };
                ix.edit(ctx, &render::reply(&reply)).await?;
            }
            ComponentId::Feedback {
                message,
                position,
                button,
            } => {
                let command = Command::Feedback {
                    list: message,
                    position,
                    button,
                };
                self.update_after(ctx, ix, (since, acked), command, feedback_buttons)
                    .await?;
            }
            ComponentId::FixStars(movie) => {
                let stars = first_choice(c)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(f64::NAN);
                let command = Command::Rate {
                    title: film_token(movie),
                    stars,
                };
                self.update_after(ctx, ix, (since, acked), command, |_, _| {})
                    .await?;
            }
            ComponentId::HistoryChoice(r) => self.choose(ctx, c, r, (since, acked)).await?,
            ComponentId::Party(party, action) => {
                self.party_button(ctx, c, (party, action), (since, acked))
                    .await?;
            }
            ComponentId::Ask(steer) => {
                ix.defer(ctx, false, acked).await?;
                let command = Command::Steer {
                    list: Some(list),
                    steer,
                };
                let reply = self.app.handle(&self.caller(ix), command).await?;
                self.show(ctx, ix, *acked, &reply, None).await?;
            }
            ComponentId::Forget { everywhere } => {
                let command = Command::Privacy(crate::app::PrivacyCommand::Forget {
                    everywhere,
                    confirmed: true,
                });
                let no_buttons = |_: &Reply, out: &mut Out| out.components.clear();
                self.update_after(ctx, ix, (since, acked), command, no_buttons)
                    .await?;
            }
            ComponentId::Quiz(press) => self.quiz_button(ctx, ix, press, (since, acked)).await?,
            ComponentId::ReviewForm(_) => {
                let out = Out::text("Use /review to write a review.", true);
                ix.answer(ctx, &out, acked).await?;
            }
        }
        Ok(())
    }

    /// A taste-quiz button: the offer opens a private quiz for the clicker; an answer or Stop
    /// replaces the quiz message once stored; "Show my picks" posts the clicker's list.
    async fn quiz_button(
        &self,
        ctx: &Context,
        ix: Ix<'_>,
        press: QuizPress,
        (since, acked): (std::time::Instant, &mut Acked),
    ) -> anyhow::Result<()> {
        match press {
            QuizPress::Start => {
                ix.defer(ctx, true, acked).await?;
                let command = Command::Quiz(crate::app::QuizStep::default());
                let reply = self.app.handle(&self.caller(ix), command).await?;
                ix.edit(ctx, &render::reply(&reply)).await?;
            }
            QuizPress::Answer(step) | QuizPress::Stop(step) => {
                self.update_after(ctx, ix, (since, acked), Command::Quiz(step), |_, _| {})
                    .await?;
            }
            QuizPress::Picks => {
                ix.defer(ctx, false, acked).await?;
                let command = Command::Recommend {
                    filters: crate::app::Filters::default(),
                    instead_of: None,
                };
                let reply = self.app.handle(&self.caller(ix), command).await?;
                self.show(ctx, ix, *acked, &reply, None).await?;
            }
        }
        Ok(())
    }

    /// Runs `command` and answers the click with its reply in place of the clicked message,
    /// once stored; `shape` adjusts the message first (its buttons).
    pub(super) async fn update_after(
        &self,
        ctx: &Context,
        ix: Ix<'_>,
        (since, acked): (std::time::Instant, &mut Acked),
        command: Command,
        shape: fn(&Reply, &mut Out),
    ) -> anyhow::Result<()> {
        let caller = self.caller(ix);
        let (reply, late) = ix
            .persist_then_answer(
                ctx,
                since,
                acked,
                Box::pin(self.app.handle(&caller, command)),
            )
            .await?;
        let mut out = render::reply(&reply);
        shape(&reply, &mut out);
        ix.deliver(ctx, acked, late, &answer(&reply, out)).await?;
        Ok(())
    }

    pub(super) async fn on_modal(&self, ctx: &Context, m: &ModalInteraction) {
        let mut acked = Acked::No;
        if let Err(e) = self.modal(ctx, m, &mut acked).await {
            Ix::Modal(m).report(ctx, acked, &e).await;
        }
    }

    /// The review form, sent.
    async fn modal(
        &self,
        ctx: &Context,
        m: &ModalInteraction,
        acked: &mut Acked,
    ) -> anyhow::Result<()> {
        let ix = Ix::Modal(m);
        ix.defer(ctx, true, acked).await?;
        let Some(ComponentId::ReviewForm(movie)) = ComponentId::parse(&m.data.custom_id) else {
            ix.edit(ctx, &Out::text("That form is not mine any more.", true))
                .await?;
            return Ok(());
        };
        let text: String = m
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .find_map(|c| match c {
                ActionRowComponent::InputText(t) if t.custom_id == super::REVIEW_FIELD => {
                    t.value.clone()
                }
                _ => None,
            })
            .unwrap_or_default();
        let command = Command::Review {
            title: film_token(movie),
            text,
        };
        let reply = self.app.handle(&self.caller(ix), command).await?;
        ix.edit(ctx, &render::reply(&reply)).await?;
        Ok(())
    }
}
