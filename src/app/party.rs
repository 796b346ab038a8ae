//! Watch parties: one fair pick for a group, voted on. The state lives in storage (see
//! [`crate::domain::ports::PartyRepo`]), so a restart in the middle of a vote loses nothing and
//! an overdue vote is closed by whichever process looks first; the shortlist and the tally are
//! the pure [`crate::domain::group`].
//!
//! Flow: `start` (a lobby with its host, plus anyone named) → `join` / `leave` → `pick` (the
//! host: the shortlist is computed and the vote opens) → `vote` (approval: press to approve,
//! press again to withdraw) → closed when every member has voted, at the deadline, or by the
//! host → the winner is announced, stored as watched together, and fairness debts updated.

use crate::app::command::{Caller, LOCAL_SERVER, PartyCommand, PartyStart, Person};
use crate::app::lab::Lab;
use crate::app::reply::{
    Guess, Lobby, PartyOptions, PastNight, PickLine, Reply, ShortFilm, VoteState, Winner,
};
use crate::app::services::{Services, Who};
use crate::domain::catalog::Genre;
use crate::domain::events::{FeedbackEvent, FeedbackKind, NewFeedbackEvent};
use crate::domain::group::shortlist::{PartyFilters, Voter, shortlist};
use crate::domain::group::{self, Member, Strategy};
use crate::domain::ids::{GuildId, PartyId, UserId};
use crate::domain::ports::{
    FeedbackRepo as _, NewParty, Party, PartyCandidate, PartyClose, PartyRepo as _, PartyStatus,
    Surface,
};
use crate::domain::recommend::cold::Baseline;
use crate::domain::time::{MINUTE_MS, parse_when};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Default minutes a vote stays open.
pub const DEFAULT_VOTE_MINUTES: u32 = 15;
/// Members at most (Discord's button layout and a sensible movie night).
pub const MAX_MEMBERS: usize = 25;
/// How long a movie night lasts when the winner's runtime is unknown, in minutes.
pub const USUAL_NIGHT_MINUTES: i64 = 150;

/// What the details JSON of a stored candidate holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Details {
    reason: String,
    /// Member id → enjoyment in [0, 1].
    enjoyment: BTreeMap<i64, f64>,
    /// Members with no history when the shortlist was made.
    #[serde(default)]
    new: Vec<i64>,
}

fn details_of(c: &PartyCandidate) -> Details {
    serde_json::from_str(&c.details).unwrap_or_else(|e| {
        tracing::warn!(error = %e, party_film = %c.movie, "unreadable shortlist details");
        Details::default()
    })
}

fn options_of(party: &Party) -> PartyOptions {
    serde_json::from_str(&party.params).unwrap_or_else(|e| {
        tracing::warn!(error = %e, party = %party.id, "unreadable watch-party options");
        PartyOptions::default()
    })
}

fn stars(enjoyment: f64) -> f64 {
    ((0.5 + 4.5 * enjoyment.clamp(0.0, 1.0)) * 2.0).round() / 2.0
}

fn invalid(text: impl Into<String>) -> Reply {
    Reply::Invalid(text.into())
}

/// One watch-party action by `caller`.
///
/// # Errors
/// Storage or the model fails; every mistake and wrong moment is a [`Reply::Invalid`].
pub async fn handle(
    s: &Services,
    lab: &Lab,
    caller: &Caller,
    command: PartyCommand,
) -> anyhow::Result<Reply> {
    let server = caller.server.unwrap_or(LOCAL_SERVER);
    match command {
        PartyCommand::History => return history(s, server, 10).await,
        PartyCommand::Posted {
            party,
            vote,
            message,
        } => {
            s.store.set_party_message(party, vote, message).await?;
            return Ok(Reply::Done);
        }
        PartyCommand::EventCreated { party, event } => {
            s.store.set_scheduled_event(party, event).await?;
            return Ok(Reply::Done);
        }
        _ => {}
    }
    // A button: the party it names, checked before anything is stored (not even the presser).
    let pressed = match &command {
        PartyCommand::Join { party, message }
        | PartyCommand::Leave { party, message }
        | PartyCommand::Pick { party, message }
        | PartyCommand::Vote { party, message, .. }
        | PartyCommand::Close { party, message } => {
            match pressed_party(s, *party, server, *message).await? {
                Ok(party) => Some(party),
                Err(reply) => return Ok(reply),
            }
        }
        _ => None,
    };
    let user = match s.user(caller).await? {
        Ok(u) => u,
        Err(reply) => return Ok(reply),
    };
    let who = Who { user, caller };
    match (command, pressed) {
        (PartyCommand::Start(start), _) => self::start(s, lab, &who, server, start).await,
        (PartyCommand::Join { .. }, Some(party)) => join(s, &party, user).await,
        (PartyCommand::Leave { .. }, Some(party)) => leave(s, &party, user).await,
        (PartyCommand::Pick { .. }, Some(party)) => pick(s, party, user).await,
        (PartyCommand::Vote { position, .. }, Some(party)) => {
            // The click names the vote, so a retry or a second delivery never flips it back.
            let key = caller
                .delivery_key
                .as_ref()
                .map_or_else(|| s.fresh_key("vote"), |k| format!("vote:{k}"));
            vote(s, &party, user, (position, &key)).await
        }
        (PartyCommand::Close { .. }, Some(party)) => close_by_host(s, &party, user).await,
        _ => Ok(Reply::Done),
    }
}

/// What a press on a party that is not there (or not the presser's to press) is told.
pub const NO_PARTY: &str =
    "I can't find that watch party any more; start a new one with /watchparty start.";

/// The party a button names, when the press may act on it: a party of the caller's server,
/// pressed (on Discord) on its lobby or vote message once those are known. A party of another
/// server, or a button on another message, is refused as if the party did not exist, so
/// nothing about it is told.
async fn pressed_party(
    s: &Services,
    id: PartyId,
    server: GuildId,
    message: Option<i64>,
) -> anyhow::Result<Result<Party, Reply>> {
    let Some(party) = s.store.party(id).await?.filter(|p| p.guild == server) else {
        return Ok(Err(invalid(NO_PARTY)));
    };
    if let Some(pressed) = message {
        let shown: Vec<i64> = [party.lobby_message, party.vote_message]
            .into_iter()
            .flatten()
            .collect();
        if !shown.is_empty() && !shown.contains(&pressed) {
            return Ok(Err(invalid(NO_PARTY)));
        }
    }
    Ok(Ok(party))
}

/// The lobby as it stands now; once the vote is open (another click may have opened it since
/// `party` was read), the vote instead, so no one is shown an older view.
async fn lobby(s: &Services, party: &Party, note: String) -> anyhow::Result<Reply> {
    let party = &s
        .store
        .party(party.id)
        .await?
        .unwrap_or_else(|| party.clone());
    if party.status == PartyStatus::Voting {
        let mut state = vote_state(s, party).await?;
        state.note = note;
        return Ok(Reply::Vote(Box::new(state)));
    }
    let members = s.store.party_members(party.id).await?;
    Ok(Reply::Lobby(Box::new(Lobby {
        party: party.id,
        host: s.name(party.host).await?,
        members: s.names(&members).await?,
        strategy: party.strategy.parse().unwrap_or_default(),
        options: options_of(party),
        note,
    })))
}

/// The options of a new party, checked, or what is wrong with them.
fn check_options(start: &PartyStart, now_ms: i64) -> Result<PartyOptions, Reply> {
    let genre = start
        .genre
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());
    if let Some(g) = genre {
        if g.parse::<Genre>().is_err() {
            return Err(invalid(format!(
                "\"{g}\" is not a genre I know; try comedy, drama, sci-fi, horror…"
            )));
        }
    }
    if let Some(r) = start.max_runtime {
        if !(30..=600).contains(&r) {
            return Err(invalid(format!(
                "A runtime limit of {r} minutes is out of range: use 30 to 600."
            )));
        }
    }
    let vote_minutes = start
        .vote_minutes
        .filter(|m| *m > 0)
        .unwrap_or(DEFAULT_VOTE_MINUTES);
    if vote_minutes > 24 * 60 {
        return Err(invalid("A vote can stay open for a day at most."));
    }
    let when_ms = match start
        .when
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        None => None,
        Some(text) => {
            let when = parse_when(text, now_ms).map_err(Reply::Invalid)?;
            if when < now_ms {
                return Err(invalid(
                    "That time is in the past; give a time to come (e.g. 2026-12-05 20:00, or in 2h).",
                ));
            }
            Some(when)
        }
    };
    Ok(PartyOptions {
        max_runtime: start.max_runtime,
        genre: genre.map(str::to_owned),
        when_ms,
        anonymous: start.anonymous,
        vote_minutes,
        invited: Vec::new(),
    })
}

/// Opens a lobby hosted by the caller, with the people named already in it.
async fn start(
    s: &Services,
    lab: &Lab,
    host: &Who<'_>,
    server: GuildId,
    start: PartyStart,
) -> anyhow::Result<Reply> {
    let strategy = match start
        .strategy
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // No strategy asked for: the server's experiment variant may set one.
        None => lab
            .server_arm(s, server)
            .await?
            .and_then(|a| a.config.group_strategy)
            .and_then(|t| t.parse::<Strategy>().ok())
            .unwrap_or_default(),
        Some(t) => match t.parse::<Strategy>() {
            Ok(strategy) => strategy,
            Err(e) => return Ok(Reply::Invalid(e)),
        },
    };
    let mut options = match check_options(&start, s.now_ms()) {
        Ok(o) => o,
        Err(reply) => return Ok(reply),
    };
    // Consent: someone named on Discord is only invited, and counts once they press Join
    // (which also proves they are in this server); nothing is stored about them before.
    let mut others = Vec::new();
    let mut left_out = Vec::new();
    for invitee in start.invited {
        if invitee.person.same_as(&host.caller.person) {
            left_out.push("you host, so you are in already".to_owned());
        } else if invitee.bot {
            left_out.push(format!("{} is a bot", invitee.label));
        } else if invitee.member == Some(false) {
            left_out.push(format!("{} is not in this server", invitee.label));
        } else if let Person::Local(_) = invitee.person {
            match s.user(&host.caller.as_person(invitee.person)).await? {
                Ok(u) if u != host.user && !others.contains(&u) => others.push(u),
                Ok(_) => {}
                Err(reply) => return Ok(reply),
            }
        } else if !options.invited.contains(&invitee.label) {
            options.invited.push(invitee.label);
        }
    }
    options.invited.truncate(MAX_MEMBERS);
    let now = s.now_ms();
    let id = s
        .store
        .create_party(&NewParty {
            guild: server,
            channel: host.caller.channel.unwrap_or(0),
            host: host.user,
            strategy: strategy.name().to_owned(),
            params: serde_json::to_string(&options)?,
            created_at_ms: now,
            key: host
                .caller
                .delivery_key
                .as_ref()
                .map(|k| format!("party:{k}")),
        })
        .await?;
    for other in others.iter().take(MAX_MEMBERS - 1) {
        s.store.join_party(id, *other, now).await?;
    }
    let party = s
        .store
        .party(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("watch party {id} vanished"))?;
    let mut note =
        "Press Join to come along; the host presses Pick when everyone is in.".to_owned();
    if !left_out.is_empty() {
        note = format!("Left out: {}. {note}", left_out.join("; "));
    }
    lobby(s, &party, note).await
}

async fn join(s: &Services, party: &Party, user: UserId) -> anyhow::Result<Reply> {
    let id = party.id;
    if party.status != PartyStatus::Lobby {
        return Ok(invalid(
            "Too late to join this one: the shortlist is out. Catch the next movie night!",
        ));
    }
    if s.store.party_members(id).await?.len() >= MAX_MEMBERS {
        return Ok(invalid(format!(
            "This watch party is full ({MAX_MEMBERS} people)."
        )));
    }
    let new = s.store.join_party(id, user, s.now_ms()).await?;
    let name = s.name(user).await?;
    if !new && s.store.party(id).await?.map(|p| p.status) != Some(PartyStatus::Lobby) {
        // The host's Pick came first.
        return Ok(invalid(
            "Too late to join this one: the shortlist is out. Catch the next movie night!",
        ));
    }
    let note = if new {
        format!("{name} joined.")
    } else {
        format!("{name} is already in.")
    };
    lobby(s, party, note).await
}

/// `user` leaves (in the lobby or during the vote; their votes are withdrawn). If everyone left
/// has voted, the vote closes.
async fn leave(s: &Services, party: &Party, user: UserId) -> anyhow::Result<Reply> {
    let id = party.id;
    if matches!(party.status, PartyStatus::Closed | PartyStatus::Cancelled) {
        return Ok(invalid("That watch party is over."));
    }
    let left = s.store.leave_party(id, user, s.now_ms()).await?;
    let name = s.name(user).await?;
    if !left {
        return Ok(invalid(format!("{name}, you are not in this watch party.")));
    }
    if party.status == PartyStatus::Voting {
        return after_vote(s, party, format!("{name} left.")).await;
    }
    lobby(s, party, format!("{name} left.")).await
}

/// The host closes the lobby: the shortlist is computed and the vote opens.
async fn pick(s: &Services, party: Party, caller: UserId) -> anyhow::Result<Reply> {
    let id = party.id;
    if party.status != PartyStatus::Lobby {
        return Ok(invalid(
            "The shortlist is already out: vote with the buttons under it.",
        ));
    }
    if caller != party.host {
        let host = s.name(party.host).await?;
        return Ok(invalid(format!(
            "Only {host}, who started this watch party, can start the vote."
        )));
    }
    let members = s.store.party_members(id).await?;
    if members.len() < 2 {
        return Ok(invalid(
            "A watch party needs at least two people: ask someone to press Join (or use /recommend for a pick just for you).",
        ));
    }
    let options = options_of(&party);
    let strategy: Strategy = party.strategy.parse().unwrap_or_default();
    let (candidates, widened) = shortlist_for(s, party.guild, &members, strategy, &options).await?;
    if candidates.is_empty() {
        return Ok(invalid(
            "Between you, you have seen every film I know! Import a bigger catalog (marquee import) and try again.",
        ));
    }
    let deadline = s.now_ms() + i64::from(options.vote_minutes) * MINUTE_MS;
    // False when the vote was open already: an earlier try of this very Pick whose commit
    // acknowledgement was lost (the store retried it), or a second Pick of the host's that
    // came first. Either way the open vote is what to show.
    let opened = s.store.open_vote(id, &candidates, deadline).await?;
    let party = s.store.party(id).await?.unwrap_or(party);
    if !opened && party.status != PartyStatus::Voting {
        return Ok(invalid(
            "The shortlist is already out: vote with the buttons under it.",
        ));
    }
    let mut state = vote_state(s, &party).await?;
    state.widened = widened;
    "Vote for every film you'd happily watch (press again to take it back)."
        .clone_into(&mut state.note);
    Ok(Reply::Vote(Box::new(state)))
}

/// The stored shortlist for `members` (see [`crate::domain::group::shortlist`]), and the
/// filters it had to drop, said plainly.
async fn shortlist_for(
    s: &Services,
    server: GuildId,
    members: &[UserId],
    strategy: Strategy,
    options: &PartyOptions,
) -> anyhow::Result<(Vec<PartyCandidate>, Option<String>)> {
    let mut histories: Vec<Vec<FeedbackEvent>> = Vec::with_capacity(members.len());
    for m in members {
        histories.push(s.events_of(*m).await?);
    }
    let names = s.names(members).await?;
    let debts = s.store.fairness(server, members).await?;
    let voters: Vec<Voter<'_>> = members
        .iter()
        .zip(&histories)
        .zip(&names)
        .zip(&debts)
        .map(|(((user, history), name), debt)| Voter {
            user: *user,
            name,
            history,
            debt: *debt,
        })
        .collect();
    let asked = PartyFilters {
        genre: options.genre.as_deref().and_then(|g| g.parse().ok()),
        max_runtime: options.max_runtime,
    };
    let cold = s.cold_start().await?;
    let here = s.liked_in(server, None).await?;
    let baseline = Baseline {
        cold: &cold,
        here: &here,
        now_year: s.year(),
    };
    let models = s.models().await?;
    let taste = models.taste();
    let list = shortlist(
        &voters,
        strategy,
        asked,
        &models.snapshot(),
        taste.as_deref().and_then(|t| t.of(Some(server))),
        &baseline,
        |id| s.films.movie(id),
    )
    .map_err(|e| anyhow::anyhow!("ranking the shortlist: {e}"))?;
    let new: Vec<i64> = voters
        .iter()
        .filter(|v| v.history.is_empty())
        .map(|v| v.user.0)
        .collect();
    let candidates = list
        .films
        .into_iter()
        .enumerate()
        .map(|(i, film)| {
            let details = Details {
                reason: film.reason,
                enjoyment: members.iter().map(|m| m.0).zip(film.enjoyment).collect(),
                new: new.clone(),
            };
            Ok(PartyCandidate {
                movie: film.movie,
                position: u32::try_from(i)?,
                group_score: film.group_score,
                details: serde_json::to_string(&details)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((candidates, list.widened.map(str::to_owned)))
}

/// The shortlist as shown (tallies when `show_votes`), the votes of current members (member,
/// shortlist index) and the members.
async fn shown_shortlist(
    s: &Services,
    party: &Party,
    show_votes: bool,
) -> anyhow::Result<(Vec<ShortFilm>, Vec<(UserId, usize)>, Vec<UserId>)> {
    let candidates = s.store.party_candidates(party.id).await?;
    let members = s.store.party_members(party.id).await?;
    let names = s.names(&members).await?;
    let active: HashSet<UserId> = members.iter().copied().collect();
    let votes: Vec<(UserId, usize)> = s
        .store
        .party_votes(party.id)
        .await?
        .into_iter()
        .filter(|(u, _)| active.contains(u))
        .filter_map(|(u, m)| candidates.iter().position(|c| c.movie == m).map(|p| (u, p)))
        .collect();
    let films = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let details = details_of(c);
            let guesses = members
                .iter()
                .zip(&names)
                .map(|(m, n)| Guess {
                    member: n.clone(),
                    stars: if details.new.contains(&m.0) {
                        None
                    } else {
                        details.enjoyment.get(&m.0).map(|e| stars(*e))
                    },
                })
                .collect();
            ShortFilm {
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                movie: c.movie,
                title: s.films.title(c.movie),
                reason: details.reason,
                guesses,
                votes: show_votes.then(|| votes.iter().filter(|(_, p)| *p == i).count()),
            }
        })
        .collect();
    Ok((films, votes, members))
}

async fn vote_state(s: &Services, party: &Party) -> anyhow::Result<VoteState> {
    let options = options_of(party);
    let (shortlist, votes, members) = shown_shortlist(s, party, !options.anonymous).await?;
    let voters: HashSet<UserId> = votes.iter().map(|(u, _)| *u).collect();
    let voted: Vec<UserId> = members
        .iter()
        .copied()
        .filter(|m| voters.contains(m))
        .collect();
    Ok(VoteState {
        party: party.id,
        shortlist,
        members: s.names(&members).await?,
        voted: s.names(&voted).await?,
        deadline_ms: party.deadline_ms.unwrap_or_default(),
        anonymous: options.anonymous,
        strategy: party.strategy.parse().unwrap_or_default(),
        widened: None,
        note: String::new(),
    })
}

/// After a vote or a departure: closes the vote when every member has voted.
async fn after_vote(s: &Services, party: &Party, note: String) -> anyhow::Result<Reply> {
    let members = s.store.party_members(party.id).await?;
    let voters: HashSet<UserId> = s
        .store
        .party_votes(party.id)
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    if !members.is_empty() && members.iter().all(|m| voters.contains(m)) {
        if let Some(w) = close(s, party.id, "everyone voted").await? {
            return Ok(Reply::Closed(Box::new(w)));
        }
    }
    let party = s
        .store
        .party(party.id)
        .await?
        .unwrap_or_else(|| party.clone());
    if party.status != PartyStatus::Voting {
        // Closed meanwhile (the deadline, or another process): its closed view stands, and an
        // open vote is never drawn over it.
        return Ok(invalid(
            "This vote has just closed: the message shows the result.",
        ));
    }
    let mut state = vote_state(s, &party).await?;
    state.note = note;
    Ok(Reply::Vote(Box::new(state)))
}

/// `user` approves (or takes back approval of) shortlist film `position` (1-based).
async fn vote(
    s: &Services,
    party: &Party,
    user: UserId,
    (position, key): (u32, &str),
) -> anyhow::Result<Reply> {
    let id = party.id;
    match party.status {
        PartyStatus::Lobby => {
            return Ok(invalid(
                "The vote hasn't started: the host presses Pick first.",
            ));
        }
        PartyStatus::Closed | PartyStatus::Cancelled => {
            let winner = party
                .winner
                .and_then(|m| s.films.movie(m))
                .map_or_else(String::new, |m| format!(" {} won.", m.info.display_title()));
            return Ok(invalid(format!(
                "This vote is closed, your vote wasn't counted.{winner}"
            )));
        }
        PartyStatus::Voting => {}
    }
    if party.deadline_ms.is_some_and(|d| d <= s.now_ms()) {
        if let Some(w) = close(s, id, "the deadline passed").await? {
            return Ok(Reply::Closed(Box::new(w)));
        }
        return Ok(invalid("This vote is closed, your vote wasn't counted."));
    }
    if !s.store.party_members(id).await?.contains(&user) {
        return Ok(invalid(
            "You're not in this watch party, so your vote can't count; join the next one!",
        ));
    }
    let candidates = s.store.party_candidates(id).await?;
    let Some(c) = candidates.iter().find(|c| c.position + 1 == position) else {
        return Ok(invalid(format!(
            "There is no film number {position} on this shortlist."
        )));
    };
    let approved = s
        .store
        .toggle_vote(id, user, c.movie, (s.now_ms(), key))
        .await?;
    let name = s.name(user).await?;
    let title = s.films.title(c.movie);
    let note = if approved {
        format!("{name} voted for {title}.")
    } else {
        format!("{name} took back their vote for {title}.")
    };
    after_vote(s, party, note).await
}

/// The host ends the vote now; anyone else is told the vote closes by itself.
async fn close_by_host(s: &Services, party: &Party, user: UserId) -> anyhow::Result<Reply> {
    let id = party.id;
    if party.host != user {
        return Ok(invalid(
            "Only the host can close the vote early; it closes by itself when everyone has voted.",
        ));
    }
    Ok(match close(s, id, "the host closed it").await? {
        Some(w) => Reply::Closed(Box::new(w)),
        None => invalid("This vote is closed already."),
    })
}

/// Closes a vote: tallies it (ties go to the better group score), stores the winner as watched
/// together by every member, updates the server's fairness debts, and stores the announcement
/// so reactions on it rate the film. `None` when the vote was not open (closed already, by
/// another process or an earlier click).
async fn close(s: &Services, id: PartyId, why: &str) -> anyhow::Result<Option<Winner>> {
    let Some(party) = s.store.party(id).await? else {
        return Ok(None);
    };
    if party.status != PartyStatus::Voting {
        return Ok(None);
    }
    let (mut shortlist, votes, members) = shown_shortlist(s, &party, true).await?;
    let Some(tally) = group::tally(shortlist.len(), &votes) else {
        return Ok(None);
    };
    let winner = shortlist[tally.winner].movie;
    let now = s.now_ms();
    // The close and the fairness debts it settles are one write, named by this attempt: a
    // retry after a lost acknowledgement is told it closed the vote (and announces it), and
    // the debts move once.
    let debts = next_debts(s, &party, &members, tally.winner).await?;
    let close = PartyClose {
        id,
        winner,
        now_ms: now,
        debts,
        key: s.fresh_key(&format!("close:{id}")),
    };
    if !s.store.close_party(&close).await? {
        return Ok(None);
    }
    for (film, count) in shortlist.iter_mut().zip(&tally.counts) {
        film.votes = Some(*count);
    }
    // Watched together: seen by every member (a later rating or reaction refines it).
    for m in &members {
        let event = NewFeedbackEvent {
            user: *m,
            movie: winner,
            kind: FeedbackKind::WatchedTogether,
            value: None,
            weight: 0.0,
            raw: None,
            source: "watchparty".to_owned(),
            guild: Some(party.guild),
            message_id: None,
            created_at_ms: now,
            idempotency_key: Some(format!("party:{}:{m}", party.id)),
        };
        s.store.append_event(&event).await?;
        s.refresh(*m).await?;
    }
    let list = s.new_list_id();
    let film = s.films.movie(winner);
    let title = s.films.title(winner);
    let line = PickLine {
        position: 1,
        movie: winner,
        title: film.map_or_else(|| title.clone(), |m| m.info.title.clone()),
        year: film.and_then(|m| m.info.year),
        title_with_year: title.clone(),
        genres: Vec::new(),
        reason: String::new(),
    };
    s.record_list(
        party.host,
        (Some(party.guild), Some(party.channel)),
        (list, Surface::WatchParty),
        &[line],
    )
    .await?;
    let when_ms = options_of(&party).when_ms;
    let length = film
        .and_then(|m| m.info.runtime_min)
        .map_or(USUAL_NIGHT_MINUTES, i64::from);
    Ok(Some(Winner {
        party: party.id,
        movie: winner,
        title,
        shortlist,
        members: s.names(&members).await?,
        when_ms,
        ends_ms: when_ms.map(|w| w + length * MINUTE_MS),
        channel: party.channel,
        server: party.guild,
        vote_message: party.vote_message,
        list,
        why: why.to_owned(),
    }))
}

/// The members' fairness debts after a night that chose shortlist film `chosen`.
async fn next_debts(
    s: &Services,
    party: &Party,
    members: &[UserId],
    chosen: usize,
) -> anyhow::Result<Vec<(UserId, f64)>> {
    let details: Vec<Details> = s
        .store
        .party_candidates(party.id)
        .await?
        .iter()
        .map(details_of)
        .collect();
    let sats: Vec<f64> = members
        .iter()
        .map(|m| {
            let member = Member {
                user: *m,
                enjoyment: details
                    .iter()
                    .map(|d| d.enjoyment.get(&m.0).copied().unwrap_or(0.5))
                    .collect(),
                weight: 1.0,
            };
            group::satisfaction(&member, chosen)
        })
        .collect();
    if sats.is_empty() {
        return Ok(Vec::new());
    }
    let mean = sats.iter().sum::<f64>() / sats.len() as f64;
    let debts = s.store.fairness(party.guild, members).await?;
    let next: Vec<(UserId, f64)> = members
        .iter()
        .zip(debts.iter().zip(&sats))
        .map(|(m, (d, sat))| (*m, group::next_debt(*d, *sat, mean)))
        .collect();
    Ok(next)
}

/// Closes every vote whose deadline has passed; returns the ones this call closed (to be
/// announced).
///
/// # Errors
/// Storage fails.
pub async fn close_due(s: &Services) -> anyhow::Result<Vec<Winner>> {
    let mut closed = Vec::new();
    for party in s.store.parties_due(s.now_ms()).await? {
        if let Some(w) = close(s, party.id, "the deadline passed").await? {
            closed.push(w);
        }
    }
    Ok(closed)
}

/// The server's last `limit` watch parties.
async fn history(s: &Services, server: GuildId, limit: u32) -> anyhow::Result<Reply> {
    let parties = s.store.guild_parties(server, limit).await?;
    let mut nights = Vec::with_capacity(parties.len());
    for p in parties {
        let what = match (p.status, p.winner.and_then(|m| s.films.movie(m))) {
            (PartyStatus::Closed, Some(m)) => m.info.display_title(),
            (PartyStatus::Voting, _) => "(vote open)".to_owned(),
            (PartyStatus::Lobby, _) => "(gathering)".to_owned(),
            _ => "(called off)".to_owned(),
        };
        nights.push(PastNight {
            at_ms: p.closed_at_ms.unwrap_or(p.created_at_ms),
            what,
            members: s.store.party_members(p.id).await?.len(),
        });
    }
    Ok(Reply::History(nights))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_map_enjoyment_onto_half_steps() {
        assert!((stars(0.0) - 0.5).abs() < 1e-9);
        assert!((stars(1.0) - 5.0).abs() < 1e-9);
        assert!((stars(0.9) - 4.5).abs() < 1e-9);
        assert!((stars(0.5) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn party_options_are_checked_and_the_start_time_read_with_the_given_clock() {
        let now = 1_700_000_000_000;
        let ok = check_options(
            &PartyStart {
                when: Some("in 2h".into()),
                genre: Some(" comedy ".into()),
                ..PartyStart::default()
            },
            now,
        )
        .expect("valid");
        assert_eq!(ok.when_ms, Some(now + 2 * 60 * MINUTE_MS));
        assert_eq!(ok.vote_minutes, DEFAULT_VOTE_MINUTES);
        assert_eq!(ok.genre.as_deref(), Some("comedy"));
        for bad in [
            PartyStart {
                genre: Some("cowboy opera".into()),
                ..PartyStart::default()
            },
            PartyStart {
                max_runtime: Some(10),
                ..PartyStart::default()
            },
            PartyStart {
                vote_minutes: Some(24 * 60 + 1),
                ..PartyStart::default()
            },
            PartyStart {
                when: Some("2001-01-01 10:00".into()),
                ..PartyStart::default()
            },
            PartyStart {
                when: Some("tomorrow".into()),
                ..PartyStart::default()
            },
        ] {
            assert!(
                matches!(check_options(&bad, now), Err(Reply::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
