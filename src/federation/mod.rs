//! Signing in with an account at an upstream provider (OpenID Connect, or
//! plain OAuth 2.0): Sesame is a relying party to it (`exchange.rs`: the
//! clients, the code exchange, the claims), and its logout reaches Sesame
//! (`logout.rs`). The upstream account is linked to a local account by the
//! upstream's issuer and subject only — never by an address, the way
//! accounts are taken over elsewhere — and a first sign-in creates a local
//! account when the upstream's `provisioning` allows it (or an invitation
//! is being accepted).

use std::sync::{Arc, Mutex};
use std::time::Duration;

mod exchange;
mod logout;

use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, ProviderMetadataWithLogout, Scope};
use serde_json::Value;
use uuid::Uuid;

use self::exchange::{error_chain, upstream_http};
pub use self::logout::{UpstreamLogout, UpstreamSignOut};
use crate::clock::Clock;
use crate::config::{Provisioning, UpstreamKind, UpstreamSettings};
use crate::domain::{AuditEvent, DIRECTORY_ISSUER, LinkedIdentity, UpstreamSession, User, Username};
use crate::keys::{Purpose, Sealer};
use crate::store::records::{LinkTarget, MailedLinks, UPSTREAM_SIGN_IN_TTL, UpstreamAnswers};
use crate::store::{AuditLog, GroupRepository, LinkedIdentityRepository, StoreError, UserRepository};

/// How long discovered metadata is used before it is fetched again.
const METADATA_SECS: i64 = 3600;

/// A token signed with a key the metadata does not hold fetches it again
/// (the upstream rotated its keys), but no more often than this: forged
/// tokens must not turn Sesame into a flood of requests to the upstream.
const KEYS_REFETCH_SECS: i64 = 60;

/// Why an upstream sign-in did not end in a local account.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("no upstream {0:?}")]
    UnknownUpstream(String),
    /// The upstream could not be reached, or answered nonsense.
    #[error("upstream {upstream} unavailable: {cause}")]
    Unavailable { upstream: String, cause: String },
    /// The upstream's answer does not hold (an error it sent, a token that
    /// does not verify).
    #[error("upstream {upstream} refused: {cause}")]
    Refused { upstream: String, cause: String },
    /// No sign-in waits for this `state` (expired, replayed or forged).
    #[error("unknown or expired upstream sign-in")]
    UnknownState,
    /// Linked to no local account, and this upstream creates none.
    #[error("no account is linked to this {upstream} account")]
    NotLinked { upstream: String },
    /// Linking: this upstream account is linked to another local account.
    #[error("this {upstream} account is linked to another account")]
    LinkedElsewhere { upstream: String },
    /// No such upstream account is linked to the person.
    #[error("no such linked account")]
    NoSuchLink,
    /// Unlinking would leave the account no way to sign in.
    #[error("the last way to sign in to this account")]
    LastWayIn,
    /// Confirming who is at the keyboard: the upstream did not say that
    /// the person signed in just now (no `auth_time`, an old one, or a
    /// plain OAuth 2.0 upstream, which cannot say).
    #[error("upstream {upstream} did not sign the person in afresh")]
    NotFresh { upstream: String },
    /// Sealing the sign-in failed (the key-encryption key): ours, not theirs.
    #[error("sealing the upstream sign-in: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::error::Availability for FederationError {
    fn is_unavailable(&self) -> bool {
        match self {
            FederationError::Store(e) => e.is_unavailable(),
            FederationError::Unavailable { .. } => true,
            _ => false,
        }
    }
}

/// One configured upstream and what was discovered about it.
struct Provider {
    settings: UpstreamSettings,
    discovered: Mutex<Option<(Arc<ProviderMetadataWithLogout>, i64)>>,
}

/// Every configured upstream, with an HTTP client of their own: they are
/// the operator's choice, so private addresses are allowed (a directory on
/// the internal network is the usual case), redirects are not.
pub struct Upstreams {
    providers: Vec<Provider>,
    http: reqwest::Client,
}

impl Upstreams {
    pub fn new(settings: &[UpstreamSettings], timeout: Duration) -> Result<Upstreams, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("Sesame/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Upstreams {
            providers: settings
                .iter()
                .map(|settings| Provider {
                    settings: settings.clone(),
                    discovered: Mutex::new(None),
                })
                .collect(),
            http,
        })
    }

    /// The upstreams, as the login page lists them.
    pub fn listed(&self) -> impl Iterator<Item = &UpstreamSettings> {
        self.providers.iter().map(|p| &p.settings)
    }

    /// The upstream an app's `login_hint` routes to: the one that lists the
    /// hint's email domain (`alice@corp.example` → `domains =
    /// ["corp.example"]`).
    pub fn for_login_hint(&self, hint: &str) -> Option<&str> {
        let (_, domain) = hint.trim().rsplit_once('@')?;
        self.listed()
            .find(|u| u.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
            .map(|u| u.name.as_str())
    }

    fn provider(&self, name: &str) -> Result<&Provider, FederationError> {
        self.providers
            .iter()
            .find(|p| p.settings.name == name)
            .ok_or_else(|| FederationError::UnknownUpstream(name.to_string()))
    }

    /// The upstream's metadata, discovered (again when older than an hour).
    async fn metadata(
        &self,
        provider: &Provider,
        now: i64,
    ) -> Result<Arc<ProviderMetadataWithLogout>, FederationError> {
        self.metadata_within(provider, now, METADATA_SECS).await
    }

    /// The upstream's metadata, discovered again when older than `max_age`.
    async fn metadata_within(
        &self,
        provider: &Provider,
        now: i64,
        max_age: i64,
    ) -> Result<Arc<ProviderMetadataWithLogout>, FederationError> {
        if let Some((metadata, at)) = provider.discovered.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && now - at < max_age
        {
            return Ok(metadata.clone());
        }
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: provider.settings.name.clone(),
            cause,
        };
        let issuer = IssuerUrl::new(provider.settings.issuer.clone()).map_err(|e| unavailable(e.to_string()))?;
        let http = self.http.clone();
        let metadata =
            ProviderMetadataWithLogout::discover_async(issuer, &|request| upstream_http(http.clone(), request))
                .await
                .map_err(|e| unavailable(error_chain(&e)))?;
        let metadata = Arc::new(metadata);
        *provider.discovered.lock().unwrap_or_else(|p| p.into_inner()) = Some((metadata.clone(), now));
        Ok(metadata)
    }

    /// Discovery answers (a plain OAuth 2.0 upstream's authorization
    /// endpoint answers at all), for `sesame upstream test`: where people
    /// sign in.
    pub async fn check(&self, name: &str, now: i64) -> Result<String, FederationError> {
        let provider = self.provider(name)?;
        if provider.settings.kind == UpstreamKind::OAuth2 {
            let endpoint = &provider.settings.authorization_endpoint;
            self.http
                .get(endpoint)
                .send()
                .await
                .map_err(|e| FederationError::Unavailable {
                    upstream: name.to_string(),
                    cause: error_chain(&e),
                })?;
            return Ok(endpoint.clone());
        }
        let metadata = self.metadata(provider, now).await?;
        Ok(metadata.authorization_endpoint().to_string())
    }
}

/// A sign-in at an upstream provider, sealed into the browser's cookie
/// while the person is there: what to check the answer with, and where to
/// go on.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct UpstreamSignIn {
    upstream: String,
    /// The digest of the `state` sent: the answer must bring it back.
    state: String,
    nonce: String,
    pkce_verifier: String,
    /// The authorization request waiting for the sign-in, if any.
    request_id: String,
    /// The page of Sesame's own to go to otherwise.
    next: String,
    intent: Intent,
    expires_at: i64,
}

/// What the person is doing at the upstream.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Intent {
    /// Signing in.
    SignIn,
    /// Linking the upstream account to this signed-in account (from the
    /// account page).
    LinkTo(Uuid),
    /// Accepting the operator's invitation with this link token: the
    /// upstream account creates the invited account (also where
    /// `provisioning = "invited"` creates no other).
    Accept(String),
    /// Confirming that the person signed in to this account is the one at
    /// the keyboard before a change that needs a recent sign-in, for an
    /// account with no password to type again: signed in afresh at the
    /// upstream (`prompt=login`, `max_age=0`) with an account linked to it.
    Confirm(Uuid),
}

/// What an upstream sign-in touches.
pub struct Federation<'a> {
    pub upstreams: &'a Upstreams,
    pub answers: UpstreamAnswers<'a>,
    /// Operators' invitations, which an upstream account may accept.
    pub invitations: MailedLinks<'a>,
    pub sealer: &'a Sealer,
    /// Signs client assertions for `private_key_jwt`.
    pub keys: &'a crate::keys::KeyRing,
    pub links: &'a dyn LinkedIdentityRepository,
    pub users: &'a dyn UserRepository,
    /// For the upstream's groups (`claims.groups`).
    pub groups: &'a dyn GroupRepository,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    /// Where every upstream sends people back: `<issuer>/login/upstream-callback`.
    pub redirect_uri: String,
}

/// Who unlinks an upstream account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlinker {
    /// The person, from their account page.
    Person,
    Operator,
}

/// A person's linked upstream accounts.
#[derive(Debug)]
pub struct Linked {
    pub links: Vec<LinkedIdentity>,
    /// Unlinking one leaves another way in (a password, or another link).
    pub can_unlink: bool,
    /// The person has a password to type: their own, or the directory's
    /// (an account the directory made).
    pub password: bool,
}

impl Linked {
    /// Each configured upstream with what is linked of it.
    pub fn by_upstream<'u>(
        &self,
        upstreams: &'u Upstreams,
    ) -> impl Iterator<Item = (&'u UpstreamSettings, Option<&LinkedIdentity>)> {
        upstreams
            .listed()
            .map(|upstream| (upstream, self.links.iter().find(|l| l.upstream == upstream.name)))
    }

    /// The configured upstreams that can confirm who is at the keyboard:
    /// OpenID Connect ones (a plain OAuth 2.0 upstream cannot say when the
    /// person signed in) with an account linked to this person.
    pub fn confirming<'u>(&self, upstreams: &'u Upstreams) -> Vec<&'u UpstreamSettings> {
        self.by_upstream(upstreams)
            .filter(|(upstream, link)| link.is_some() && upstream.kind == UpstreamKind::Oidc)
            .map(|(upstream, _)| upstream)
            .collect()
    }
}

/// What the person did at the upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Signed in to an account linked before.
    SignedIn,
    /// Signed in, and the account was created by this sign-in.
    Created,
    /// Linked the upstream account to `user`, signed in already.
    Linked,
    /// Signed in afresh to an upstream account linked to `user`, signed
    /// in already: they are at the keyboard (`Intent::Confirm`).
    Confirmed,
}

/// Who came back from an upstream, and where they were going.
#[derive(Debug)]
pub struct Federated {
    pub user: User,
    pub upstream: String,
    pub arrival: Arrival,
    /// The upstream's session the person signed in with.
    pub session: UpstreamSession,
    /// How they signed in (RFC 8176): `fed`, and what a trusted upstream
    /// reported.
    pub amr: Vec<String>,
    pub request_id: String,
    pub next: String,
}

impl Federation<'_> {
    /// Where to send the person to sign in at upstream `name`, and the value
    /// of the cookie that carries the sign-in (sealed) in this browser until
    /// the answer comes back with its fresh `state`.
    /// `intent`: signing in, linking, or accepting an invitation (which
    /// must be live now).
    pub async fn begin(
        &self,
        name: &str,
        (request_id, next): (&str, &str),
        intent: Intent,
    ) -> Result<(String, String), FederationError> {
        let provider = self.upstreams.provider(name)?;
        if let Intent::Accept(token) = &intent
            && self.invitations.peek(token, self.clock.now()).await?.is_none()
        {
            return Err(FederationError::UnknownState);
        }
        let confirming = matches!(intent, Intent::Confirm(_));
        if confirming && provider.settings.kind != UpstreamKind::Oidc {
            return Err(FederationError::NotFresh {
                upstream: name.to_string(),
            });
        }
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = provider.settings.scopes.iter().map(|s| Scope::new(s.clone()));
        let (url, state, nonce) = match provider.settings.kind {
            UpstreamKind::Oidc => {
                let metadata = self.upstreams.metadata(provider, self.clock.now()).await?;
                let client = self.client(provider, &metadata)?;
                let mut request = client.authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    CsrfToken::new_random,
                    Nonce::new_random,
                );
                if confirming {
                    // OIDC Core §3.1.2.1: sign the person in again, even
                    // with a session there, and say when (`auth_time`).
                    request = request.add_prompt(CoreAuthPrompt::Login).set_max_age(Duration::ZERO);
                }
                // openidconnect adds `openid` itself.
                let (url, state, nonce) = request
                    .add_scopes(scopes.filter(|s| s.as_str() != "openid"))
                    .set_pkce_challenge(challenge)
                    .url();
                (url, state, nonce.secret().clone())
            }
            UpstreamKind::OAuth2 => {
                let client = self.plain_client(provider)?;
                let request = client.authorize_url(CsrfToken::new_random).add_scopes(scopes);
                let (url, state) = request.set_pkce_challenge(challenge).url();
                (url, state, String::new())
            }
        };
        let now = self.clock.now();
        let waiting = UpstreamSignIn {
            upstream: name.to_string(),
            state: crate::crypto::digest(state.secret()),
            nonce,
            pkce_verifier: verifier.secret().clone(),
            request_id: request_id.to_string(),
            next: next.to_string(),
            intent,
            expires_at: now + UPSTREAM_SIGN_IN_TTL.as_secs() as i64,
        };
        let plaintext = serde_json::to_vec(&waiting).map_err(|e| FederationError::Internal(e.to_string()))?;
        let cookie = self
            .sealer
            .seal(Purpose::UpstreamSignIn, epoch(now), &plaintext)
            .map_err(|e| FederationError::Internal(e.to_string()))?;
        Ok((url.to_string(), cookie))
    }

    /// The sign-in the browser's cookie carries, when unaltered, unexpired
    /// and for `state`.
    fn waiting(&self, cookie: &str, state: &str) -> Option<UpstreamSignIn> {
        let now = self.clock.now();
        let (_, plaintext) = self.sealer.open(
            Purpose::UpstreamSignIn,
            cookie,
            epoch(now).saturating_sub(1)..=epoch(now) + 1,
        )?;
        let waiting: UpstreamSignIn = serde_json::from_slice(&plaintext).ok()?;
        let ours = crate::crypto::constant_time_eq(&waiting.state, &crate::crypto::digest(state));
        (ours && waiting.expires_at > now).then_some(waiting)
    }

    /// The upstream's answer: the sign-in the browser's cookie (`browser`)
    /// carries for this `state`, used once, its code exchanged and its ID
    /// token verified; then the linked local account, or a new one.
    /// `signed_in_as`: the browser's current account (a link is made only
    /// while the account that asked for it is still the one signed in).
    pub async fn finish(
        &self,
        state: &str,
        code: &str,
        (browser, signed_in_as): (&str, Option<Uuid>),
    ) -> Result<Federated, FederationError> {
        let waiting = self.waiting(browser, state).ok_or(FederationError::UnknownState)?;
        if !self.answers.first_use(state).await? {
            return Err(FederationError::UnknownState);
        }
        let provider = self.upstreams.provider(&waiting.upstream)?;
        let (claims, id_token) = match provider.settings.kind {
            UpstreamKind::Oidc => self.verified_claims(provider, code, &waiting).await?,
            UpstreamKind::OAuth2 => (self.plain_claims(provider, code, &waiting).await?, String::new()),
        };
        let upstream = waiting.upstream.clone();
        let refused = |cause: &str| FederationError::Refused {
            upstream: upstream.clone(),
            cause: cause.to_string(),
        };
        let issuer = claims["iss"].as_str().ok_or_else(|| refused("no iss"))?.to_string();
        let subject = claims["sub"].as_str().ok_or_else(|| refused("no sub"))?.to_string();
        let reported: Vec<String> = match claims.get("amr") {
            Some(Value::Array(methods)) => methods.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        let amr = crate::domain::federated_amr(&reported, provider.settings.trust_amr);
        let session = UpstreamSession {
            upstream: upstream.clone(),
            subject: subject.clone(),
            sid: claims.get("sid").and_then(Value::as_str).map(str::to_string),
            id_token,
        };
        let now = self.clock.now();
        if let Intent::LinkTo(owner) = waiting.intent {
            if signed_in_as != Some(owner) {
                return Err(FederationError::UnknownState);
            }
            let user = self.link(owner, (&upstream, &issuer, &subject), now).await?;
            return Ok(Federated {
                user,
                upstream,
                arrival: Arrival::Linked,
                session,
                amr,
                request_id: waiting.request_id,
                next: waiting.next,
            });
        }
        if let Intent::Confirm(owner) = waiting.intent {
            if signed_in_as != Some(owner) {
                return Err(FederationError::UnknownState);
            }
            let begun_at = waiting.expires_at - UPSTREAM_SIGN_IN_TTL.as_secs() as i64;
            if !signed_in_since(&claims, begun_at) {
                return Err(FederationError::NotFresh { upstream });
            }
            let user = match self.links.find_link(&issuer, &subject).await? {
                Some(link) if link.user_id == owner => self.users.find_user(owner).await?.filter(|u| !u.disabled),
                _ => None,
            }
            .ok_or_else(|| FederationError::NotLinked {
                upstream: upstream.clone(),
            })?;
            return Ok(Federated {
                user,
                upstream,
                arrival: Arrival::Confirmed,
                session,
                amr,
                request_id: waiting.request_id,
                next: waiting.next,
            });
        }
        let (user, created) = match self.links.find_link(&issuer, &subject).await? {
            Some(link) => {
                let user = self
                    .users
                    .find_user(link.user_id)
                    .await?
                    .filter(|u| !u.disabled)
                    .ok_or_else(|| refused("the linked account is disabled"))?;
                (user, false)
            }
            None => {
                let invited = match (&waiting.intent, provider.settings.provisioning) {
                    (_, Provisioning::Off) => return Err(FederationError::NotLinked { upstream }),
                    // Used once: the invitation is spent by the account it makes.
                    (Intent::Accept(token), _) => Some(
                        self.invitations
                            .take(token, now)
                            .await?
                            .ok_or(FederationError::UnknownState)?,
                    ),
                    (_, Provisioning::Allowed) => None,
                    (_, Provisioning::Invited) => return Err(FederationError::NotLinked { upstream }),
                };
                let user = self.provision(provider, &claims, invited, now).await?;
                let link = LinkedIdentity {
                    issuer: issuer.clone(),
                    subject: subject.clone(),
                    user_id: user.id,
                    upstream: upstream.clone(),
                    linked_at: now,
                };
                self.links.link(&link).await?;
                let event = AuditEvent::new("upstream_linked", now)
                    .user(user.id)
                    .detail(format!("{upstream} account linked; the account was created by it"));
                crate::audit::record(self.audit, event).await;
                (user, true)
            }
        };
        if !provider.settings.claims.groups.is_empty() {
            let names: Vec<String> = match claims.get(&provider.settings.claims.groups) {
                Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            let prefix = provider.settings.group_prefix();
            crate::auth::directory::sync_groups(self.groups, user.id, (&prefix, &names), now).await?;
        }
        Ok(Federated {
            user,
            upstream,
            arrival: if created { Arrival::Created } else { Arrival::SignedIn },
            session,
            amr,
            request_id: waiting.request_id,
            next: waiting.next,
        })
    }

    /// An operator links `subject` at the configured upstream `name` to
    /// `user` (an upstream account linked to someone else stays theirs).
    pub async fn link_by_operator(&self, user: &User, name: &str, subject: &str) -> Result<(), FederationError> {
        let provider = self.upstreams.provider(name)?;
        let subject = subject.trim();
        if subject.is_empty() {
            return Err(FederationError::Refused {
                upstream: name.to_string(),
                cause: "no subject".into(),
            });
        }
        let issuer = provider.settings.issuer.clone();
        self.link(user.id, (name, &issuer, subject), self.clock.now())
            .await
            .map(|_| ())
    }

    /// Links an upstream account to `owner`, who signed in to both (or
    /// whom an operator named); an upstream account linked to someone else
    /// stays theirs.
    async fn link(
        &self,
        owner: Uuid,
        (upstream, issuer, subject): (&str, &str, &str),
        now: i64,
    ) -> Result<User, FederationError> {
        let elsewhere = || FederationError::LinkedElsewhere {
            upstream: upstream.to_string(),
        };
        let user = self
            .users
            .find_user(owner)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| FederationError::UnknownState)?;
        match self.links.find_link(issuer, subject).await? {
            Some(link) if link.user_id == owner => return Ok(user),
            Some(_) => return Err(elsewhere()),
            None => {}
        }
        let link = LinkedIdentity {
            issuer: issuer.to_string(),
            subject: subject.to_string(),
            user_id: owner,
            upstream: upstream.to_string(),
            linked_at: now,
        };
        match self.links.link(&link).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(elsewhere()),
            Err(e) => return Err(e.into()),
        }
        let event = AuditEvent::new("upstream_linked", now)
            .user(owner)
            .detail(format!("{upstream} account linked"));
        crate::audit::record(self.audit, event).await;
        Ok(user)
    }

    /// Unlinks an upstream account from `user`. The person may do so while
    /// another way to sign in remains (a password, or another linked
    /// account); an operator always may.
    pub async fn unlink(
        &self,
        user: &User,
        (issuer, subject): (&str, &str),
        by: Unlinker,
    ) -> Result<(), FederationError> {
        let linked = self.linked_of(user).await?;
        let Some(link) = linked.links.iter().find(|l| l.issuer == issuer && l.subject == subject) else {
            return Err(FederationError::NoSuchLink);
        };
        if by == Unlinker::Person && !linked.can_unlink {
            return Err(FederationError::LastWayIn);
        }
        self.links.unlink(user.id, issuer, subject).await?;
        let by = match by {
            Unlinker::Person => "",
            Unlinker::Operator => " by an operator",
        };
        let event = AuditEvent::new("upstream_unlinked", self.clock.now())
            .user(user.id)
            .detail(format!("{} account unlinked{by}", link.upstream));
        crate::audit::record(self.audit, event).await;
        Ok(())
    }

    /// What `user` has linked, and whether the person may unlink it.
    pub async fn linked_of(&self, user: &User) -> Result<Linked, StoreError> {
        let links = self.links.links_of(user.id).await?;
        let has_password = self
            .users
            .find_credentials(&user.username)
            .await?
            .is_some_and(|(_, hash)| !hash.is_empty());
        let from_directory = links.iter().any(|l| l.issuer == DIRECTORY_ISSUER);
        Ok(Linked {
            can_unlink: has_password || links.len() > 1,
            password: has_password || from_directory,
            links,
        })
    }

    /// A new local account from the upstream's claims: its name mapped
    /// (another when taken — an existing account is never the one), no
    /// password.
    /// An invitation (`invited`) gives the account its id, its address
    /// (proven by the mailed link) and its roles.
    async fn provision(
        &self,
        provider: &Provider,
        claims: &Value,
        invited: Option<LinkTarget>,
        now: i64,
    ) -> Result<User, FederationError> {
        let mapping = &provider.settings.claims;
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let mut email = text(&mapping.email)
            .filter(|e| crate::domain::is_email_address(e))
            .map(str::to_string);
        let mut email_verified = email.is_some() && claims.get("email_verified") == Some(&Value::Bool(true));
        let (mut id, mut roles) = (Uuid::now_v7(), Vec::new());
        if let Some(invited) = invited {
            id = invited.user_id;
            roles = invited.account.map(|a| a.roles).unwrap_or_default();
            if let Some(address) = invited.email {
                (email, email_verified) = (Some(address), true);
            }
        }
        let display_name = text(&mapping.name)
            .filter(|n| crate::domain::is_display_name(n))
            .map(str::to_string);
        let upstream = &provider.settings.name;
        let subject = claims["sub"].as_str().unwrap_or_default();
        let wanted = text(&mapping.username).unwrap_or("").to_lowercase();
        let short = &crate::crypto::digest(subject)[..8].to_lowercase();
        let candidates = [
            wanted.clone(),
            format!("{wanted}-{upstream}"),
            format!("{upstream}-{short}"),
            format!("{upstream}-{}", &Uuid::new_v4().simple().to_string()[..12]),
        ];
        for candidate in candidates {
            let Ok(username) = Username::parse(&candidate) else {
                continue;
            };
            let user = User {
                id,
                username,
                email: email.clone(),
                email_verified,
                display_name: display_name.clone(),
                disabled: false,
                roles: roles.clone(),
                created_at: now,
                updated_at: now,
            };
            // No password signs in to it: an empty hash matches nothing.
            match self.users.create_user(&user, "").await {
                Ok(()) => return Ok(user),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(FederationError::Refused {
            upstream: upstream.clone(),
            cause: "no free username for a new account".into(),
        })
    }
}

/// Whether the verified ID token says the person signed in at the upstream
/// since `begun_at` (the time Sesame sent them there), give or take a
/// minute of clock difference between the two servers.
fn signed_in_since(claims: &Value, begun_at: i64) -> bool {
    const CLOCK_SKEW_SECS: i64 = 60;
    claims
        .get("auth_time")
        .and_then(Value::as_i64)
        .is_some_and(|auth_time| auth_time >= begun_at - CLOCK_SKEW_SECS)
}

/// Sealing epochs of ten minutes: a sign-in's cookie opens in its own and
/// the next.
fn epoch(now: i64) -> u64 {
    (now.max(0) as u64) / UPSTREAM_SIGN_IN_TTL.as_secs()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::signed_in_since;

    #[test]
    fn only_a_sign_in_since_the_person_was_sent_confirms() {
        let sent_at = 1_800_000_000;
        assert!(signed_in_since(&json!({ "auth_time": sent_at + 5 }), sent_at));
        // The upstream's clock a little behind ours.
        assert!(signed_in_since(&json!({ "auth_time": sent_at - 30 }), sent_at));
        // A session there from before: not the person at the keyboard now.
        assert!(!signed_in_since(&json!({ "auth_time": sent_at - 3600 }), sent_at));
        assert!(!signed_in_since(&json!({}), sent_at));
        assert!(!signed_in_since(&json!({ "auth_time": "recently" }), sent_at));
    }
}
