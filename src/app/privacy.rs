//! The privacy rights people are owed (GDPR access, portability and erasure; Discord's
//! developer terms): `/privacy show` (what is kept about you in this server), `export` (all of
//! it as JSON a person can read) and `forget` (asked to confirm, then deleted in this server or
//! in every server). Forgetting also removes the person from the running model and from every
//! stored snapshot, and remembers a keyed hash of who they are, so that an old reaction of
//! theirs delivered again is not stored again.

use crate::app::command::{Caller, Person, PrivacyCommand};
use crate::app::reply::{PrivacySummary, Reply};
use crate::app::services::{Services, scope_of};
use crate::app::training;
use crate::domain::events::FeedbackKind;
use crate::domain::ids::UserId;
use crate::domain::ports::{PersonalData, PrivacyRepo as _, StoreResult, UserKind, UserRepo as _};
use crate::domain::time::format_utc;
use hmac::{Hmac, Mac as _};
use serde_json::json;
use std::fmt::Write as _;

/// The name of the key of the forgotten-people hashes in the secrets table.
const HASH_KEY: &str = "forgotten-hash-key";

fn kind_and_id(person: &Person) -> (UserKind, String) {
    match person {
        Person::Discord { id, .. } => (UserKind::Discord, id.to_string()),
        Person::Local(name) => (UserKind::Console, name.trim().to_owned()),
        Person::MovieLens(id) => (UserKind::MovieLens, id.to_string()),
    }
}

/// The stored user of the caller in their server, without creating one.
pub(crate) async fn existing_user(s: &Services, caller: &Caller) -> StoreResult<Option<UserId>> {
    let (kind, id) = kind_and_id(&caller.person);
    let scope = scope_of(caller);
    Ok(s.store
        .users_of_person(kind, &id)
        .await?
        .into_iter()
        .find(|(_, server)| *server == scope)
        .map(|(user, _)| user))
}

/// A keyed hash of who `person` is (HMAC-SHA256 with a random key kept in the database), so a
/// forgotten person can be recognised without keeping their id.
///
/// # Errors
/// Storage fails.
pub async fn person_hash(s: &Services, person: &Person) -> anyhow::Result<String> {
    let mut candidate = [0u8; 32];
    getrandom::fill(&mut candidate).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key = s.store.secret(HASH_KEY, &candidate).await?;
    let (kind, id) = kind_and_id(person);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key)
        .map_err(|e| anyhow::anyhow!("the hash key cannot be used: {e}"))?;
    mac.update(format!("{}:{id}", kind.as_str()).as_bytes());
    Ok(mac
        .finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        }))
}

/// Whether a reaction from `caller` on a list shown at `shown_at_ms` comes from before they
/// asked to be forgotten (an old event delivered again: not stored).
///
/// # Errors
/// Storage fails.
pub async fn predates_forgetting(
    s: &Services,
    caller: &Caller,
    shown_at_ms: i64,
) -> anyhow::Result<bool> {
    let Some(server) = caller.server else {
        return Ok(false);
    };
    let hash = person_hash(s, &caller.person).await?;
    Ok(s.store
        .forgotten_at(&hash, server)
        .await?
        .is_some_and(|at| shown_at_ms <= at))
}

/// One privacy command.
///
/// # Errors
/// Storage fails.
pub async fn handle(
    s: &Services,
    caller: &Caller,
    command: PrivacyCommand,
) -> anyhow::Result<Reply> {
    let user = existing_user(s, caller).await?;
    match command {
        PrivacyCommand::Show => {
            let data = match user {
                Some(u) => s.store.personal_data(u).await?,
                None => PersonalData::default(),
            };
            let elsewhere = other_servers(s, caller).await?;
            Ok(Reply::PrivacySummary(Box::new(summary(&data, elsewhere))))
        }
        PrivacyCommand::Export => {
            let data = match user {
                Some(u) => s.store.personal_data(u).await?,
                None => PersonalData::default(),
            };
            let taste_group = match user {
                Some(u) => training::latest_taste(&s.store).await?.and_then(|t| {
                    t.of(scope_of(caller))
                        .and_then(|g| g.group_of(u))
                        .map(|g| g.name.clone())
                }),
                None => None,
            };
            let json = export(s, caller, &data, taste_group.as_deref())?;
            Ok(Reply::PrivacyExport {
                file_name: "marquee-my-data.json".to_owned(),
                json,
                empty: summary(&data, 0) == PrivacySummary::default(),
            })
        }
        PrivacyCommand::Forget {
            everywhere,
            confirmed,
        } => forget(s, caller, user, everywhere, confirmed).await,
    }
}

/// How many other servers keep something about the caller.
async fn other_servers(s: &Services, caller: &Caller) -> StoreResult<usize> {
    let (kind, id) = kind_and_id(&caller.person);
    let here = scope_of(caller);
    Ok(s.store
        .users_of_person(kind, &id)
        .await?
        .into_iter()
        .filter(|(_, server)| server.is_some() && *server != here)
        .count())
}

fn summary(data: &PersonalData, other_servers: usize) -> PrivacySummary {
    let count = |kinds: &[FeedbackKind]| {
        data.events
            .iter()
            .filter(|e| kinds.contains(&e.event.kind))
            .count()
    };
    PrivacySummary {
        ratings: count(&[FeedbackKind::Rating]),
        reviews: data.reviews.len(),
        reactions: count(&[FeedbackKind::Reaction, FeedbackKind::ReactionRemoved]),
        marks: count(&[
            FeedbackKind::Seen,
            FeedbackKind::NotInterested,
            FeedbackKind::Button,
            FeedbackKind::WatchedTogether,
        ]),
        films_shown: data.films_shown,
        watch_parties: data.parties.len(),
        conversations: data.conversations.len(),
        experiments: data.experiments.len(),
        other_servers,
    }
}

/// Everything about the caller in this server, as JSON a person can read.
fn export(
    s: &Services,
    caller: &Caller,
    data: &PersonalData,
    taste_group: Option<&str>,
) -> anyhow::Result<String> {
    let title = |movie| s.films.title(movie);
    let events: Vec<serde_json::Value> = data
        .events
        .iter()
        .map(|e| {
            let e = &e.event;
            json!({
                "when": format_utc(e.created_at_ms),
                "film": title(e.movie),
                "what": e.kind.as_str(),
                "value": e.value,
                "emoji": e.raw,
                "from": e.source,
            })
        })
        .collect();
    let reviews: Vec<serde_json::Value> = data
        .reviews
        .iter()
        .map(|r| {
            json!({
                "when": format_utc(r.created_at_ms),
                "film": title(r.movie),
                "text": r.body,
                "read_as_stars": r.rating,
                "vader_compound": r.scores.compound,
            })
        })
        .collect();
    let parties: Vec<serde_json::Value> = data
        .parties
        .iter()
        .map(|p| {
            json!({
                "started": format_utc(p.created_at_ms),
                "hosted": p.hosted,
                "status": p.status.as_str(),
                "winner": p.winner.map(title),
                "your_votes": p.votes.iter().map(|m| title(*m)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let conversations: Vec<serde_json::Value> = data
        .conversations
        .iter()
        .map(|c| serde_json::from_str(c).unwrap_or_else(|_| json!(c)))
        .collect();
    let history_choices: Vec<serde_json::Value> = data
        .history_choices
        .iter()
        .map(|(row, chosen)| {
            let row: serde_json::Value = serde_json::from_str(row).unwrap_or_else(|_| json!(row));
            let chosen = match chosen {
                None => json!(null),
                Some(0) => json!("none of them"),
                Some(m) => json!(title(crate::domain::ids::MovieId(*m))),
            };
            json!({"row": row["row"], "candidates": row["choices"], "your_choice": chosen})
        })
        .collect();
    let experiments: Vec<serde_json::Value> = data
        .experiments
        .iter()
        .map(|(key, variant)| json!({"experiment": key, "variant": variant}))
        .collect();
    let doc = json!({
        "about": "Everything Marquee keeps about you in this server. See PRIVACY.md.",
        "exported": format_utc(s.now_ms()),
        "name": data.display_name,
        "server": scope_of(caller).map(|g| g.0),
        "feedback": events,
        "reviews": reviews,
        "films_shown_to_you": data.films_shown,
        "watch_parties": parties,
        "conversations": conversations,
        "history_rows_to_choose_for": history_choices,
        "experiments": experiments,
        "watch_party_fairness_debt": data.fairness_debt,
        "taste_group": taste_group,
    });
    Ok(serde_json::to_string_pretty(&doc)?)
}

async fn forget(
    s: &Services,
    caller: &Caller,
    user: Option<UserId>,
    everywhere: bool,
    confirmed: bool,
) -> anyhow::Result<Reply> {
    let (kind, id) = kind_and_id(&caller.person);
    let users: Vec<UserId> = if everywhere {
        s.store
            .users_of_person(kind, &id)
            .await?
            .into_iter()
            .filter(|(_, server)| server.is_some())
            .map(|(u, _)| u)
            .collect()
    } else {
        user.into_iter().collect()
    };
    let where_ = if everywhere {
        "in every server"
    } else {
        "in this server"
    };
    if users.is_empty() {
        return Ok(Reply::Text(format!(
            "I keep nothing about you {where_}, so there is nothing to delete."
        )));
    }
    if !confirmed {
        let mut what = Vec::new();
        for u in &users {
            let data = s.store.personal_data(*u).await?;
            what.push(summary(&data, 0));
        }
        let total = |f: fn(&PrivacySummary) -> usize, one: &str, many: &str| {
            let n = what.iter().map(f).sum::<usize>();
            format!("{n} {}", if n == 1 { one } else { many })
        };
        return Ok(Reply::ConfirmForget {
            everywhere,
            summary: format!(
                "This deletes, {where_}: {}, {}, {}, {}, {}, your conversations and experiment groups. It cannot be undone.",
                total(|w| w.ratings, "rating", "ratings"),
                total(|w| w.reviews, "review", "reviews"),
                total(|w| w.reactions, "reaction", "reactions"),
                total(|w| w.marks, "other mark", "other marks"),
                total(|w| w.watch_parties, "watch party", "watch parties"),
            ),
        });
    }
    s.store.forget_users(&users).await?;
    scrub_models(s, &users).await?;
    s.forget_cached(&caller.person);
    let hash = person_hash(s, &caller.person).await?;
    let server = if everywhere {
        None
    } else {
        Some(caller.server.unwrap_or(crate::app::command::LOCAL_SERVER))
    };
    s.store
        .remember_forgotten(&hash, server, s.now_ms())
        .await?;
    Ok(Reply::Forgotten(format!(
        "Done: everything I kept about you {where_} is deleted, also from my models. If you use Marquee again, it starts from nothing."
    )))
}

/// Takes `users` out of the running model and out of every stored snapshot (the newest is
/// rewritten without them; older ones are deleted).
pub(crate) async fn scrub_models(s: &Services, users: &[UserId]) -> anyhow::Result<()> {
    if let Some(models) = s.loaded_models() {
        models.forget(users);
    }
    training::scrub_stored(&s.store, users, s.now_ms()).await
}
