//! Signing in with an account at an upstream OpenID Connect provider:
//! Sesame is a relying party to it (the `openidconnect` crate: discovery,
//! code flow with PKCE, state and nonce, ID token verification, userinfo).
//! The upstream account is linked to a local account by the upstream's
//! issuer and subject only — never by an address, the way accounts are
//! taken over elsewhere — and a first sign-in creates a local account when
//! the upstream's `provisioning` allows it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

mod logout;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, Scope,
    TokenResponse,
};
use serde_json::Value;
use uuid::Uuid;

pub use self::logout::{UpstreamLogout, UpstreamSignOut};
use crate::clock::Clock;
use crate::config::{Provisioning, UpstreamClientAuth, UpstreamKind, UpstreamSettings};
use crate::domain::{AuditEvent, LinkedIdentity, UpstreamSession, User, Username};
use crate::keys::{Purpose, Sealer};
use crate::store::records::{LinkTarget, MailedLinks, UPSTREAM_SIGN_IN_TTL, UpstreamAnswers};
use crate::store::{AuditLog, GroupRepository, LinkedIdentityRepository, StoreError, UserRepository};

type UpstreamClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// A plain OAuth 2.0 upstream's client (authorization and token endpoints).
type PlainClient = oauth2::basic::BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

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

/// An error and its causes in one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// openidconnect's HTTP client contract over reqwest.
async fn upstream_http(
    client: reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder
        .body(response.bytes().await?.to_vec())
        .unwrap_or_else(|_| openidconnect::http::Response::new(Vec::new())))
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
}

/// Who came back from an upstream, and where they were going.
#[derive(Debug)]
pub struct Federated {
    pub user: User,
    pub upstream: String,
    /// The account was created by this sign-in.
    pub created: bool,
    /// The upstream account was linked to `user` (signed in already), not
    /// a sign-in.
    pub linked: bool,
    /// The upstream's session the person signed in with.
    pub session: UpstreamSession,
    /// How they signed in (RFC 8176): `fed`, and what a trusted upstream
    /// reported.
    pub amr: Vec<String>,
    pub request_id: String,
    pub next: String,
}

impl Federation<'_> {
    fn client(
        &self,
        provider: &Provider,
        metadata: &ProviderMetadataWithLogout,
    ) -> Result<UpstreamClient, FederationError> {
        let secret = provider.settings.client_secret.expose();
        let redirect = RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| FederationError::Unavailable {
            upstream: provider.settings.name.clone(),
            cause: e.to_string(),
        })?;
        let secret = (provider.settings.client_auth != UpstreamClientAuth::PrivateKeyJwt && !secret.is_empty())
            .then(|| ClientSecret::new(secret.to_string()));
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(provider.settings.client_id.clone()),
            secret,
        )
        .set_auth_type(auth_type(provider.settings.client_auth))
        .set_redirect_uri(redirect))
    }

    /// For `private_key_jwt`: a client assertion (RFC 7523 §2.2) for
    /// `audience` (the upstream's issuer identifier, the sole audience
    /// draft-ietf-oauth-rfc7523bis asks for), signed with Sesame's RS256
    /// key, living a minute.
    fn client_assertion(&self, provider: &Provider, audience: &str) -> Result<Option<String>, FederationError> {
        if provider.settings.client_auth != UpstreamClientAuth::PrivateKeyJwt {
            return Ok(None);
        }
        let now = self.clock.now();
        let id = &provider.settings.client_id;
        let claims = serde_json::json!({
            "iss": id, "sub": id, "aud": audience,
            "iat": now, "exp": now + 60, "jti": crate::crypto::random_token(),
        });
        self.keys
            .sign(&claims, "JWT", crate::domain::Alg::RS256, now)
            .map(Some)
            .map_err(|e| FederationError::Internal(e.to_string()))
    }

    /// A plain OAuth 2.0 upstream's client, from its configured endpoints.
    fn plain_client(&self, provider: &Provider) -> Result<PlainClient, FederationError> {
        let settings = &provider.settings;
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: settings.name.clone(),
            cause,
        };
        let mut client = oauth2::basic::BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_auth_uri(
                oauth2::AuthUrl::new(settings.authorization_endpoint.clone())
                    .map_err(|e| unavailable(e.to_string()))?,
            )
            .set_token_uri(
                oauth2::TokenUrl::new(settings.token_endpoint.clone()).map_err(|e| unavailable(e.to_string()))?,
            )
            .set_redirect_uri(RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| unavailable(e.to_string()))?);
        let secret = settings.client_secret.expose();
        if !secret.is_empty() && settings.client_auth != UpstreamClientAuth::PrivateKeyJwt {
            client = client.set_client_secret(ClientSecret::new(secret.to_string()));
        }
        Ok(client.set_auth_type(auth_type(settings.client_auth)))
    }

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
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = provider.settings.scopes.iter().map(|s| Scope::new(s.clone()));
        let (url, state, nonce) = match provider.settings.kind {
            UpstreamKind::Oidc => {
                let metadata = self.upstreams.metadata(provider, self.clock.now()).await?;
                let client = self.client(provider, &metadata)?;
                let request = client.authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    CsrfToken::new_random,
                    Nonce::new_random,
                );
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
                created: false,
                linked: true,
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
            created,
            linked: false,
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
        Ok(Linked {
            can_unlink: has_password || links.len() > 1,
            links,
        })
    }

    /// The ID token's claims (verified: signature, issuer, audience, expiry,
    /// nonce), with userinfo's over them when the upstream has it; and the
    /// ID token.
    async fn verified_claims(
        &self,
        provider: &Provider,
        code: &str,
        waiting: &UpstreamSignIn,
    ) -> Result<(Value, String), FederationError> {
        let name = &provider.settings.name;
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: name.clone(),
            cause,
        };
        let refused = |cause: String| FederationError::Refused {
            upstream: name.clone(),
            cause,
        };
        let metadata = self.upstreams.metadata(provider, self.clock.now()).await?;
        let client = self.client(provider, &metadata)?;
        let http = self.upstreams.http.clone();
        let send = |request| upstream_http(http.clone(), request);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(waiting.pkce_verifier.clone()));
        if let Some(assertion) = self.client_assertion(provider, metadata.issuer().as_str())? {
            request = request
                .add_extra_param("client_assertion_type", JWT_BEARER)
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = request
            .request_async(&send)
            .await
            .map_err(|e| token_failure(&provider.settings.name, e))?;
        let id_token = tokens.id_token().ok_or_else(|| refused("no ID token".into()))?;
        let verified = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(waiting.nonce.clone()))
            .map_err(|e| refused(error_chain(&e)))?;
        let id_token = id_token.to_string();
        let mut claims = payload(&id_token).ok_or_else(|| refused("unreadable ID token".into()))?;
        if let Ok(request) = client.user_info(tokens.access_token().clone(), Some(verified.subject().clone())) {
            let info: openidconnect::UserInfoClaims<OtherClaims, CoreGenderClaim> = request
                .request_async(&send)
                .await
                .map_err(|e| unavailable(error_chain(&e)))?;
            if let (Ok(Value::Object(info)), Value::Object(into)) = (serde_json::to_value(&info), &mut claims) {
                for (key, value) in info {
                    // The ID token's own identity stays what was verified.
                    if !matches!(key.as_str(), "iss" | "sub" | "aud") {
                        into.insert(key, value);
                    }
                }
            }
        }
        Ok((claims, id_token))
    }

    /// A plain OAuth 2.0 upstream's answer: the code exchanged (with the
    /// PKCE verifier), the person read from `userinfo_endpoint` with the
    /// access token; `sub` is the configured subject claim (a number is
    /// read as its digits), `iss` the configured issuer.
    async fn plain_claims(
        &self,
        provider: &Provider,
        code: &str,
        waiting: &UpstreamSignIn,
    ) -> Result<Value, FederationError> {
        let settings = &provider.settings;
        let unavailable = |cause: String| FederationError::Unavailable {
            upstream: settings.name.clone(),
            cause,
        };
        let refused = |cause: String| FederationError::Refused {
            upstream: settings.name.clone(),
            cause,
        };
        let client = self.plain_client(provider)?;
        let http = self.upstreams.http.clone();
        let send = |request| upstream_http(http.clone(), request);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(waiting.pkce_verifier.clone()));
        if let Some(assertion) = self.client_assertion(provider, &settings.token_endpoint)? {
            request = request
                .add_extra_param("client_assertion_type", JWT_BEARER)
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = request
            .request_async(&send)
            .await
            .map_err(|e| token_failure(&provider.settings.name, e))?;
        let response = self
            .upstreams
            .http
            .get(&settings.userinfo_endpoint)
            .bearer_auth(tokens.access_token().secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(error_chain(&e)))?;
        if !response.status().is_success() {
            return Err(refused(format!("userinfo answered {}", response.status())));
        }
        let mut claims: Value = response.json().await.map_err(|e| refused(error_chain(&e)))?;
        let Value::Object(map) = &mut claims else {
            return Err(refused("userinfo is not a JSON object".into()));
        };
        let subject = match map.get(&settings.claims.subject) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(refused(format!("userinfo has no {:?}", settings.claims.subject))),
        };
        map.insert("iss".into(), Value::String(settings.issuer.clone()));
        map.insert("sub".into(), Value::String(subject));
        Ok(claims)
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

/// Whatever userinfo says beyond the standard claims (`groups`, say): kept,
/// for the claim mapping to read.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: serde_json::Map<String, Value>,
}

impl openidconnect::AdditionalClaims for OtherClaims {}

/// The token endpoint said no (its answer is the upstream refusing), or
/// could not be asked.
fn token_failure<E, T>(upstream: &str, error: openidconnect::RequestTokenError<E, T>) -> FederationError
where
    E: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + 'static,
{
    match error {
        openidconnect::RequestTokenError::ServerResponse(answer) => FederationError::Refused {
            upstream: upstream.to_string(),
            cause: answer.to_string(),
        },
        other => FederationError::Unavailable {
            upstream: upstream.to_string(),
            cause: error_chain(&other),
        },
    }
}

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Where the client's credentials go: the form for a JWT (the client id
/// travels beside it), else as configured.
fn auth_type(auth: UpstreamClientAuth) -> oauth2::AuthType {
    match auth {
        UpstreamClientAuth::ClientSecretBasic => oauth2::AuthType::BasicAuth,
        UpstreamClientAuth::ClientSecretPost | UpstreamClientAuth::PrivateKeyJwt => oauth2::AuthType::RequestBody,
    }
}

/// Sealing epochs of ten minutes: a sign-in's cookie opens in its own and
/// the next.
fn epoch(now: i64) -> u64 {
    (now.max(0) as u64) / UPSTREAM_SIGN_IN_TTL.as_secs()
}

/// The payload of a JWT whose signature was verified already.
fn payload(jwt: &str) -> Option<Value> {
    let encoded = jwt.split('.').nth(1)?;
    serde_json::from_slice(&crate::crypto::base64url_decode(encoded)?).ok()
}
