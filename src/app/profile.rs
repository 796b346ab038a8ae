//! What Marquee learned about people: a person's profile (`/profile`), their taste group
//! (`/taste`), the server's taste groups and the taste map (`/tastemap`).

use crate::app::reply::{GenreCount, Profile, Reply, TasteMap};
use crate::app::services::{Services, Who};
use crate::app::training;
use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
use crate::domain::feedback::{ImplicitRating, combine};
use crate::domain::ids::{GuildId, MovieId};
use crate::domain::ports::FeedbackRepo as _;
use crate::domain::taste::{
    Given, MapProgress, TasteGroups, TasteParams, cluster_taste, given_by_person, project,
    taste_vectors,
};
use anyhow::Context as _;
use std::collections::{BTreeMap, HashMap};

/// The answer to a person Marquee knows nothing about yet.
pub const NO_HISTORY: &str = "I don't know your taste yet: rate a film (/rate \"Alien\" 5), write a review, or react to a few /recommend picks, and ask again.";

/// The taste map's size in pixels.
const MAP_SIZE: (u32, u32) = (1000, 640);

/// A user's events grouped by film, in log order.
fn per_film(events: &[FeedbackEvent]) -> HashMap<MovieId, Vec<NewFeedbackEvent>> {
    let mut out: HashMap<MovieId, Vec<NewFeedbackEvent>> = HashMap::new();
    for e in events {
        out.entry(e.event.movie).or_default().push(e.event.clone());
    }
    out
}

/// `/profile`: top genres, taste group, favourites and counts.
///
/// # Errors
/// Storage or the model fails.
pub async fn profile(s: &Services, who: &Who<'_>) -> anyhow::Result<Reply> {
    let events = s.events_of(who.user).await?;
    if events.is_empty() {
        return Ok(Reply::Text(NO_HISTORY.to_owned()));
    }
    let views: Vec<(MovieId, ImplicitRating)> = per_film(&events)
        .iter()
        .map(|(movie, mine)| (*movie, combine(mine)))
        .collect();
    let mut genres: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut liked: Vec<(f64, String)> = Vec::new();
    for (movie, view) in &views {
        let (Some(value), Some(m)) = (view.value, s.films.movie(*movie)) else {
            continue;
        };
        if value >= 3.5 {
            for g in &m.info.genres {
                *genres.entry(g.name()).or_default() += 1;
            }
            liked.push((value, m.info.display_title()));
        }
    }
    let mut top_genres: Vec<GenreCount> = genres
        .into_iter()
        .map(|(genre, films)| GenreCount {
            genre: genre.to_owned(),
            films,
        })
        .collect();
    top_genres.sort_by(|a, b| b.films.cmp(&a.films).then_with(|| a.genre.cmp(&b.genre)));
    top_genres.truncate(3);
    liked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let count = |kind: FeedbackKind| events.iter().filter(|e| e.event.kind == kind).count();
    let reactions =
        count(FeedbackKind::Reaction).saturating_sub(count(FeedbackKind::ReactionRemoved));
    let taste = s.models().await?.taste();
    let taste_group = taste
        .as_deref()
        .and_then(|t| t.of(who.scope()))
        .and_then(|g| g.group_of(who.user))
        .map(|g| g.name.clone());
    Ok(Reply::Profile(Profile {
        top_genres,
        taste_group,
        favourites: liked.into_iter().take(3).map(|(_, t)| t).collect(),
        films: views.len(),
        ratings: count(FeedbackKind::Rating),
        reviews: count(FeedbackKind::Review),
        reactions,
        seen: views.iter().filter(|(_, v)| v.seen).count(),
        not_interested: views.iter().filter(|(_, v)| v.not_interested).count(),
    }))
}

/// `/taste`: the caller's taste group.
///
/// # Errors
/// Storage or the model fails.
pub async fn taste(s: &Services, who: &Who<'_>) -> anyhow::Result<Reply> {
    let taste = s.models().await?.taste();
    let known = taste
        .as_deref()
        .and_then(|t| t.of(who.scope()))
        .and_then(|g| g.group_of(who.user))
        .map(|group| Reply::Taste {
            group: group.name.clone(),
            members: group.size,
            traits: group.traits.clone(),
        });
    if let Some(reply) = known {
        return Ok(reply);
    }
    let events = s.events_of(who.user).await?;
    Ok(Reply::Text(if events.is_empty() {
        NO_HISTORY.to_owned()
    } else {
        format!(
            "You are not in a taste group yet: everyone here with at least {} films rated or marked seen is placed in one, within a minute of their newest feedback on the bot (`marquee train` on this machine). Keep rating!",
            TasteParams::default().min_signals
        )
    }))
}

/// The taste groups of `scope` (a server, or the shared base) at the last training (training
/// once when none was ever stored).
///
/// # Errors
/// Storage or training fails.
pub async fn groups(s: &Services, scope: Option<GuildId>) -> anyhow::Result<Reply> {
    let stored = if let Some(taste) = training::latest_taste(&s.store).await? {
        Some(taste)
    } else {
        training::retrain(s).await?;
        training::latest_taste(&s.store).await?
    };
    let groups = stored
        .and_then(|t| t.of(scope).cloned())
        .unwrap_or_else(TasteGroups::empty);
    Ok(Reply::TasteGroups(Box::new(groups)))
}

/// The taste map with the caller's point marked, once two people of the server have rated
/// enough films ([`MapProgress`]); before that, what is missing. The groups are the last
/// training's, or found now when the caller is not in them yet (they rated since), so a new
/// server sees its map at once.
///
/// # Errors
/// Storage, the model or drawing fails.
pub async fn taste_map(s: &Services, who: &Who<'_>) -> anyhow::Result<Reply> {
    let (scope, me) = (who.scope(), who.user);
    // Only this server's members are on its map.
    let events = s.store.events_of_server(scope).await?;
    let given = given_by_person(&events);
    if let Some(missing) = MapProgress::new(me, &given).sentence() {
        return Ok(Reply::Text(missing));
    }
    let mine = given.get(&me).copied().unwrap_or_default();
    let models = s.models().await?;
    let stored = models
        .taste()
        .and_then(|t| t.of(scope).cloned())
        .filter(|g| !g.groups().is_empty());
    let model = models.snapshot().clone();
    let movies = s.films.all().to_vec();
    let map = tokio::task::spawn_blocking(move || {
        let params = TasteParams::default();
        let vectors = taste_vectors(&model, &movies, &events, &params);
        let placed = vectors.users().binary_search(&me).is_ok();
        let groups = match stored {
            Some(groups) if !placed || groups.group_of(me).is_some() => groups,
            previous => cluster_taste(&vectors, previous.as_ref(), &params),
        };
        let projection = project(&vectors, &groups, 5_000, Some(me), 7);
        let png = crate::outbound::charts::taste_map::render_taste_map(
            &groups,
            &projection,
            Some(me),
            MAP_SIZE.0,
            MAP_SIZE.1,
        )?;
        let on_map = projection.points.iter().any(|p| p.0 == me);
        Ok::<_, anyhow::Error>(TasteMap {
            png,
            groups: groups.groups().len(),
            people: projection.points.len(),
            caption: map_caption(groups.groups().len(), on_map, mine, &params),
        })
    })
    .await
    .context("the drawing thread stopped")??;
    Ok(Reply::TasteMap(map))
}

/// What a drawn map shows: how to read it, why everyone is in one group (too few people),
/// and what the caller still needs to be on it.
fn map_caption(groups: usize, on_map: bool, mine: Given, params: &TasteParams) -> String {
    let mut caption = if groups > 1 {
        "Each dot is a person, each colour a taste group; the ringed dot is you.".to_owned()
    } else {
        format!(
            "Each dot is a person; the ringed dot is you. Everyone is in one taste group for now: groups can split once at least {} people here have rated a few films.",
            params.people_for_groups()
        )
    };
    if !on_map {
        let what = match params.min_signals.saturating_sub(mine.signals) {
            0 => "a few more films".to_owned(),
            1 => "1 more film".to_owned(),
            short => format!("{short} more films"),
        };
        caption = format!("{caption} You are not on it yet: rate {what}.");
    }
    caption
}
