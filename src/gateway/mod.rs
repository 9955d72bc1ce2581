//! The session gateway: a reverse proxy asks about each request to an app
//! that speaks no OpenID Connect, and Sesame answers from the same SSO
//! session its OIDC apps use. The browser holds a *pass* for the protected
//! domains (the portal cookie: a token of its own, never the session
//! cookie), which names the session; a decision reads the pass and the
//! session, so a session ended any way (logout from an app, the account
//! page, an operator) denies the very next request. The rules themselves
//! are in [`rules`]; the signed identity assertion in [`assertion`].

pub mod assertion;
mod basic;
pub mod rules;

use std::time::Duration;

pub use basic::{BasicCheck, basic_credentials};
pub use rules::{Asked, Policy, RuleError, Rules, Subject, Verdict};
use url::Url;

use crate::clock::Clock;
use crate::config::GatewaySettings;
use crate::domain::{AuditEvent, Level, SessionLifetime};
use crate::session::{LiveSession, Sessions};
pub use crate::store::records::GatewayIdentity;
use crate::store::records::{GatewayPass, GatewayPasses};
use crate::store::{AuditLog, GroupRepository, StoreError, UserRepository};

/// What a decision touches.
pub struct Gateway<'a> {
    pub rules: &'a Rules,
    /// For requests that carry a person's access token instead of a pass.
    pub access_tokens: crate::oidc::access_token::AccessTokens<'a>,
    pub settings: &'a GatewaySettings,
    pub passes: GatewayPasses<'a>,
    pub sessions: Sessions<'a>,
    pub lifetime: SessionLifetime,
    pub users: &'a dyn UserRepository,
    pub groups: &'a dyn GroupRepository,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    pub issuer: &'a str,
    /// Signs identity assertions (when `settings.assertion`)…
    pub keys: &'a crate::keys::KeyRing,
    /// …and this node reuses them for a while.
    pub assertions: &'a assertion::AssertionCache,
}

/// The answer to the proxy: the verdict, and who it is when allowed.
#[derive(Debug)]
pub struct Answer {
    pub verdict: Verdict,
    pub identity: Option<GatewayIdentity>,
    /// The signed identity assertion, when allowed and configured.
    pub assertion: Option<String>,
}

/// Why a request could not be decided: no answer, so the proxy fails closed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing the identity assertion: {0}")]
    Assertion(String),
    #[error(transparent)]
    Internal(#[from] crate::error::InternalError),
}

impl crate::error::Availability for GatewayError {
    fn is_unavailable(&self) -> bool {
        match self {
            GatewayError::Store(e) => e.is_unavailable(),
            GatewayError::Internal(e) => e.is_unavailable(),
            GatewayError::Assertion(_) => false,
        }
    }
}

/// Who a decision is about: the account, what the app is told, how
/// strongly they signed in, and whether by an HTTP Basic credential.
struct Holder {
    user_id: uuid::Uuid,
    identity: GatewayIdentity,
    level: Level,
    by_basic: bool,
}

/// Where a person may be sent back to after signing in: a URL on a host
/// under one of the protected domains, and that domain (the pass cookie's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub domain: String,
}

impl Gateway<'_> {
    /// Decides `asked` for whoever holds `pass` (the portal cookie's token).
    pub async fn decide(&self, asked: &Asked<'_>, pass: Option<&str>) -> Result<Answer, GatewayError> {
        let holder = match pass {
            Some(token) => self.holder(token).await?,
            None => None,
        };
        self.answer(asked, holder).await
    }

    /// Decides `asked` for the person an access token Sesame issued speaks
    /// for (a script or an API client instead of a browser): live, and for
    /// `origin` (`https://wiki.example.com`), the protected app — a token
    /// for another app or for Sesame itself counts for nobody here.
    pub async fn decide_bearer(&self, asked: &Asked<'_>, token: &str, origin: &str) -> Result<Answer, GatewayError> {
        let holder = self.bearer_holder(token, origin).await?;
        self.answer(asked, holder).await
    }

    async fn bearer_holder(&self, token: &str, origin: &str) -> Result<Option<Holder>, StoreError> {
        let Some(record) = self.access_tokens.find(token).await? else {
            return Ok(None);
        };
        let for_here = record
            .audience
            .iter()
            .any(|aud| aud.trim_end_matches('/') == origin.trim_end_matches('/'));
        let Some(user_id) = record.user_id.filter(|_| for_here) else {
            return Ok(None);
        };
        // A token that lives with its session is as strong as the session;
        // an offline one was granted on one factor at least.
        let level = match &record.session {
            Some(handle) => match self.sessions.find_by_handle(handle).await? {
                Some(live) => Level::of_amr(&live.session.amr),
                None => return Ok(None),
            },
            None => Level::OneFactor,
        };
        Ok(self.identity_of(user_id).await?.map(|identity| Holder {
            user_id,
            identity,
            level,
            by_basic: false,
        }))
    }

    async fn answer(&self, asked: &Asked<'_>, holder: Option<Holder>) -> Result<Answer, GatewayError> {
        let subject = holder.as_ref().map(|holder| Subject {
            username: &holder.identity.username,
            groups: &holder.identity.groups,
            level: holder.level,
            by_basic: holder.by_basic,
        });
        let verdict = self.rules.decide(asked, subject.as_ref());
        crate::observability::gateway_decision(verdict.rule(), verdict.outcome());
        // A signed-in person refused is worth the audit log; strangers
        // knocking are counted in metrics only (a scanner must not be able
        // to fill the log).
        if let (Verdict::Deny { rule }, Some(holder)) = (verdict, &holder) {
            let rule = rule.map_or("no rule".to_string(), |r| format!("rule {r}"));
            let event = AuditEvent::new("gateway_denied", self.clock.now()).detail(format!(
                "{} {} {}{} ({rule})",
                holder.identity.username, asked.method, asked.host, asked.path
            ));
            crate::audit::record(self.audit, event).await;
        }
        let holder = match verdict {
            Verdict::Allow { .. } => holder,
            _ => None,
        };
        let assertion = match &holder {
            Some(holder) if self.settings.assertion => Some(self.assertion(asked.host, holder)?),
            _ => None,
        };
        Ok(Answer {
            verdict,
            identity: holder.map(|holder| holder.identity),
            assertion,
        })
    }

    /// The signed identity assertion about `holder` for `host`.
    fn assertion(&self, host: &str, holder: &Holder) -> Result<String, GatewayError> {
        let now = self.clock.now();
        let keys = self.keys.current();
        let kid = keys
            .active_kid(crate::keys::Alg::PasetoV4, now)
            .ok_or_else(|| GatewayError::Assertion("no active v4.public key".into()))?;
        if let Some(token) = self.assertions.reuse(holder.user_id, host, &holder.identity, kid, now) {
            return Ok(token);
        }
        let claims = assertion::claims(self.issuer, host, holder.user_id, &holder.identity, now)
            .map_err(|e| GatewayError::Assertion(e.to_string()))?;
        let token = keys
            .sign_paseto(&claims, now)
            .map_err(|e| GatewayError::Assertion(e.to_string()))?;
        self.assertions
            .keep(holder.user_id, host, &holder.identity, kid, now, &token);
        Ok(token)
    }

    /// Who holds a pass: its session live, the identity read again when
    /// older than `identity_refresh_secs`; `None` for a pass of an ended
    /// session or a removed or disabled account.
    async fn holder(&self, token: &str) -> Result<Option<Holder>, StoreError> {
        let Some(mut pass) = self.passes.get(token).await? else {
            return Ok(None);
        };
        let Some(live) = self.sessions.find_by_handle(&pass.session).await? else {
            self.passes.remove(token).await?;
            return Ok(None);
        };
        let now = self.clock.now();
        if now - pass.read_at >= self.settings.identity_refresh_secs as i64 {
            let Some(identity) = self.identity_of(live.session.user_id).await? else {
                self.passes.remove(token).await?;
                return Ok(None);
            };
            pass.identity = identity;
            pass.read_at = now;
            self.passes.update(token, &pass, self.ttl(&live)).await?;
        }
        Ok(Some(Holder {
            user_id: pass.user_id,
            identity: pass.identity,
            level: Level::of_amr(&live.session.amr),
            by_basic: false,
        }))
    }

    /// What the apps are told about `user_id`; `None` for a removed or
    /// disabled account.
    async fn identity_of(&self, user_id: uuid::Uuid) -> Result<Option<GatewayIdentity>, StoreError> {
        let Some(user) = self.users.find_user(user_id).await?.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        self.identity_from(user).await.map(Some)
    }

    /// What the apps are told about an account already read.
    async fn identity_from(&self, user: crate::domain::User) -> Result<GatewayIdentity, StoreError> {
        let groups = self.groups.groups_of(user.id).await?;
        Ok(GatewayIdentity {
            username: user.username.to_string(),
            email: user.email.filter(|_| user.email_verified),
            name: user.display_name,
            groups: groups.iter().map(ToString::to_string).collect(),
        })
    }

    /// A pass lives no longer than its session could.
    fn ttl(&self, live: &LiveSession) -> Duration {
        let left = live.session.expires_at(self.lifetime) - self.clock.now();
        Duration::from_secs(left.max(1) as u64)
    }

    /// A new pass for the session; `None` when its account is gone.
    pub async fn issue_pass(&self, live: &LiveSession) -> Result<Option<String>, StoreError> {
        let Some(identity) = self.identity_of(live.session.user_id).await? else {
            return Ok(None);
        };
        let pass = GatewayPass {
            session: live.handle.clone(),
            user_id: live.session.user_id,
            identity,
            read_at: self.clock.now(),
        };
        self.passes.issue(&pass, self.ttl(live)).await.map(Some)
    }

    /// Where a person signs in for `original` (the URL they asked for),
    /// reaching `level`.
    pub fn sign_in_url(&self, original: &str, level: Level) -> String {
        let rd: String = url::form_urlencoded::byte_serialize(original.as_bytes()).collect();
        let step_up = if level >= Level::TwoFactors { "&level=2" } else { "" };
        format!("{}/gateway/start?rd={rd}{step_up}", self.issuer)
    }

    /// `rd` as a place to send a person back to, when it is an http(s) URL
    /// on a host under one of the protected domains (never anywhere else:
    /// no open redirect).
    pub fn target(&self, rd: &str) -> Option<Target> {
        let url = Url::parse(rd).ok()?;
        let https = self.issuer.starts_with("https://");
        let scheme_ok = url.scheme() == "https" || (!https && url.scheme() == "http");
        if !scheme_ok || url.username() != "" || url.password().is_some() {
            return None;
        }
        let host = url.host_str()?.to_ascii_lowercase();
        let domain = self
            .settings
            .domains
            .iter()
            .filter(|d| under(&host, d))
            // The most specific domain that holds the host.
            .max_by_key(|d| d.len())?;
        Some(Target {
            url: url.to_string(),
            domain: domain.clone(),
        })
    }
}

/// Whether `host` is `domain` or a host below it.
pub fn under(host: &str, domain: &str) -> bool {
    let domain = domain.trim_start_matches('.').to_ascii_lowercase();
    host == domain || (host.len() > domain.len() + 1 && host.ends_with(&format!(".{domain}")))
}

/// Checks the gateway's settings against the issuer: every domain must
/// hold Sesame's own host (else the portal cookie cannot be set for it).
pub fn check_settings(settings: &GatewaySettings, issuer: &str) -> Result<Rules, String> {
    let rules = Rules::compile(&settings.rules).map_err(|e| e.to_string())?;
    if !settings.enabled {
        return Ok(rules);
    }
    let host = Url::parse(issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    if settings.domains.is_empty() {
        return Err("gateway.domains: name the parent domain of the protected apps (e.g. [\"example.com\"])".into());
    }
    for domain in &settings.domains {
        if !under(&host, domain) {
            return Err(format!(
                "gateway.domains: {domain:?} does not hold Sesame's own host {host:?}, so the portal cookie \
                 cannot be set for it"
            ));
        }
    }
    for name in [
        &settings.headers.user,
        &settings.headers.email,
        &settings.headers.name,
        &settings.headers.groups,
        &settings.headers.assertion,
    ] {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!("gateway.headers: {name:?} is not a header name"));
        }
    }
    if settings.cookie_name.is_empty()
        || !settings
            .cookie_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(format!(
            "gateway.cookie_name: {:?} is not a cookie name",
            settings.cookie_name
        ));
    }
    Ok(rules)
}
