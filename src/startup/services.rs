//! Everything a request needs, built once in `startup` and passed down by
//! reference: configuration, clock, stores and keys. No global statics.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::keys::{KeyRing, Sealer};
use crate::store::{
    AuditLog, ClientRepository, ConsentRepository, EphemeralStore, HealthCheck, KeyRepository, LogoutOutbox,
    RefreshTokenRepository, RegistrationTokenRepository, Retention, SecondFactorRepository, UserRepository,
};

pub struct Services {
    pub settings: Settings,
    /// Messages in every language and the operator's branding.
    pub look: Arc<crate::ui::Look>,
    /// The gateway's access rules, checked and compiled at start.
    pub gateway_rules: Arc<crate::gateway::Rules>,
    /// Identity assertions this node signed recently (reused for a while).
    pub gateway_assertions: Arc<crate::gateway::assertion::AssertionCache>,
    pub clock: SharedClock,
    pub users: Arc<dyn UserRepository>,
    pub clients: Arc<dyn ClientRepository>,
    pub consents: Arc<dyn ConsentRepository>,
    pub groups: Arc<dyn crate::store::GroupRepository>,
    pub audit: Arc<dyn AuditLog>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub keys: Arc<KeyRing>,
    /// Seals what the browser carries for us (requests in flight, the device cookie).
    pub sealer: Arc<Sealer>,
    pub key_store: Arc<dyn KeyRepository>,
    pub outbox: Arc<dyn LogoutOutbox>,
    pub refresh_tokens: Arc<dyn RefreshTokenRepository>,
    pub registration_tokens: Arc<dyn RegistrationTokenRepository>,
    pub second_factors: Arc<dyn SecondFactorRepository>,
    pub retention: Arc<dyn Retention>,
    /// Mail waiting to be sent, and how it leaves.
    pub mail: Arc<dyn crate::store::MailOutbox>,
    pub mail_transport: Arc<crate::mail::transport::Transport>,
    /// The WebAuthn relying party (from the issuer); `None` when the issuer's
    /// host is an IP address, which WebAuthn does not accept.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// For calls to apps (back-channel logout), guarded against SSRF.
    pub outbound: reqwest::Client,
    /// Upstream identity providers (`[[upstreams]]`), discovered when first used.
    pub upstreams: Arc<crate::federation::Upstreams>,
    pub links: Arc<dyn crate::store::LinkedIdentityRepository>,
    /// The LDAP directory people sign in with, when `ldap.enabled`.
    pub directory: Option<Arc<crate::directory::Directory>>,
    /// For documents apps registered (`jwks_uri`): size-limited, one fetch
    /// per URL at a time, outcomes kept.
    pub fetcher: crate::outbound::Fetcher,
    /// Dependencies `/readyz` checks, by name.
    pub health: Vec<(&'static str, Arc<dyn HealthCheck>)>,
    /// Set when the process was told to stop: `/readyz` then says so, while
    /// requests are still served for `http.shutdown_drain_secs`.
    pub draining: std::sync::atomic::AtomicBool,
}

impl Services {
    /// Where authorization requests wait while the person signs in.
    pub fn parking(&self) -> crate::oidc::authorize::Parking<'_> {
        crate::oidc::authorize::Parking {
            sealer: &self.sealer,
            completions: crate::store::records::Completions::new(&*self.ephemeral),
            clock: &*self.clock,
            ttl_secs: self.settings.authorize.request_ttl_secs,
        }
    }

    /// Writes an audit event to SQL and to the log (see [`crate::audit`]).
    pub async fn audit(&self, event: crate::domain::AuditEvent) {
        crate::audit::record(&*self.audit, event).await
    }

    /// Starting, finding, joining and ending SSO sessions.
    pub fn sessions(&self) -> crate::session::Sessions<'_> {
        crate::session::Sessions {
            records: crate::store::records::SessionRecords::new(&*self.ephemeral),
            lifetime: crate::domain::SessionLifetime {
                idle_secs: self.settings.session.idle_timeout_secs,
                absolute_secs: self.settings.session.absolute_timeout_secs,
            },
            clock: &*self.clock,
            audit: &*self.audit,
        }
    }

    /// The session gateway's decisions and passes.
    pub fn gateway(&self) -> crate::gateway::Gateway<'_> {
        crate::gateway::Gateway {
            rules: &self.gateway_rules,
            access_tokens: self.access_tokens(),
            settings: &self.settings.gateway,
            passes: crate::store::records::GatewayPasses::new(&*self.ephemeral),
            sessions: self.sessions(),
            lifetime: crate::domain::SessionLifetime {
                idle_secs: self.settings.session.idle_timeout_secs,
                absolute_secs: self.settings.session.absolute_timeout_secs,
            },
            users: &*self.users,
            groups: &*self.groups,
            audit: &*self.audit,
            clock: &*self.clock,
            issuer: &self.settings.issuer,
            keys: &self.keys,
            assertions: &self.gateway_assertions,
        }
    }

    /// Signing in with an upstream provider's account.
    pub fn federation(&self) -> crate::federation::Federation<'_> {
        crate::federation::Federation {
            upstreams: &self.upstreams,
            answers: crate::store::records::UpstreamAnswers::new(&*self.ephemeral),
            invitations: crate::store::records::MailedLinks::new(
                &*self.ephemeral,
                crate::store::records::LinkPurpose::Invitation,
            ),
            sealer: &self.sealer,
            keys: &self.keys,
            links: &*self.links,
            users: &*self.users,
            groups: &*self.groups,
            audit: &*self.audit,
            clock: &*self.clock,
            redirect_uri: format!("{}/login/upstream-callback", self.settings.issuer),
        }
    }

    /// What an upstream's logout token touches.
    pub fn upstream_logout(&self) -> crate::federation::UpstreamLogout<'_> {
        crate::federation::UpstreamLogout {
            upstreams: &self.upstreams,
            answers: crate::store::records::UpstreamAnswers::new(&*self.ephemeral),
            links: &*self.links,
            fanout: self.fanout(),
            audit: &*self.audit,
        }
    }

    /// What the gateway needs for a request with HTTP Basic.
    pub fn gateway_basic(&self) -> crate::gateway::BasicCheck<'_> {
        crate::gateway::BasicCheck {
            login: self.password_login(),
            factors: self.second_factors(),
            credentials: crate::store::records::GatewayCredentials::new(&*self.ephemeral),
            marks: crate::store::records::VersionMarks::new(&*self.ephemeral, crate::store::records::CachedKind::User),
            sealer: &self.sealer,
        }
    }

    /// Issuing, finding and revoking access tokens.
    pub fn access_tokens(&self) -> crate::oidc::access_token::AccessTokens<'_> {
        let ttl = std::time::Duration::from_secs(self.settings.tokens.access_token_ttl_secs);
        crate::oidc::access_token::AccessTokens {
            records: crate::store::records::AccessTokenRecords::new(&*self.ephemeral, ttl),
            signer: self.signer(),
        }
    }

    /// Client authentication at the token, introspection and revocation endpoints.
    pub fn client_authenticator(&self) -> crate::oidc::token::client_auth::ClientAuthenticator<'_> {
        use crate::oidc::token::client_assertion::AssertionVerifier;
        use crate::oidc::token::failed_auth::FailedClientAuth;
        use crate::store::records::{AssertionIds, Counters};
        crate::oidc::token::client_auth::ClientAuthenticator {
            clients: &*self.clients,
            assertions: AssertionVerifier {
                fetcher: &self.fetcher,
                seen: AssertionIds::new(&*self.ephemeral),
                clock: &*self.clock,
                issuer: &self.settings.issuer,
            },
            failures: FailedClientAuth {
                counters: Counters::new(&*self.ephemeral),
                limits: &self.settings.rate_limits,
            },
            clock: &*self.clock,
        }
    }

    pub fn token_endpoint(&self) -> crate::oidc::token::TokenEndpoint<'_> {
        crate::oidc::token::TokenEndpoint {
            auth: self.client_authenticator(),
            counters: crate::store::records::Counters::new(&*self.ephemeral),
            limits: &self.settings.rate_limits,
            grants: crate::oidc::token::Grants {
                codes: crate::store::records::Codes::new(&*self.ephemeral),
                users: &*self.users,
                groups: &*self.groups,
                sessions: self.sessions(),
                refresh_tokens: &*self.refresh_tokens,
                access_tokens: self.access_tokens(),
                grace: crate::store::records::RefreshGrace::new(&*self.ephemeral),
                issued: crate::store::records::IssuedRefreshTokens::new(&*self.ephemeral),
                audit: &*self.audit,
                settings: &self.settings.tokens,
            },
        }
    }

    /// What an RP-initiated logout request is checked against.
    pub fn logout_check(&self) -> crate::oidc::logout::request::LogoutCheck<'_> {
        crate::oidc::logout::request::LogoutCheck {
            clients: &*self.clients,
            keys: &self.keys,
            issuer: &self.settings.issuer,
        }
    }

    pub fn userinfo(&self) -> crate::oidc::userinfo::UserInfo<'_> {
        crate::oidc::userinfo::UserInfo {
            access_tokens: self.access_tokens(),
            users: &*self.users,
            groups: &*self.groups,
        }
    }

    /// Ending sessions and telling their apps.
    pub fn fanout(&self) -> crate::oidc::logout::fanout::Fanout<'_> {
        crate::oidc::logout::fanout::Fanout {
            clients: &*self.clients,
            outbox: &*self.outbox,
            sessions: self.sessions(),
            access_tokens: self.access_tokens(),
            refresh_tokens: &*self.refresh_tokens,
            settings: &self.settings.logout,
        }
    }

    /// Back-channel delivery, for a pass of one's own (tests, tools).
    pub fn delivery(&self) -> crate::oidc::logout::delivery::Delivery<'_> {
        crate::oidc::logout::delivery::Delivery {
            outbox: &*self.outbox,
            clients: &*self.clients,
            signer: self.signer(),
            http: &self.outbound,
            addresses: crate::outbound::AddressPolicy::from_settings(&self.settings.outbound),
            settings: &self.settings.logout,
        }
    }

    /// What the back-channel delivery worker owns while it runs.
    pub fn courier(&self) -> crate::oidc::logout::delivery::Courier {
        crate::oidc::logout::delivery::Courier {
            outbox: self.outbox.clone(),
            clients: self.clients.clone(),
            keys: self.keys.clone(),
            clock: self.clock.clone(),
            issuer: self.settings.issuer.clone(),
            http: self.outbound.clone(),
            outbound: self.settings.outbound.clone(),
            settings: self.settings.logout.clone(),
        }
    }

    /// Validating and answering authorization requests.
    pub fn authorizer(&self) -> crate::oidc::authorize::Authorizer<'_> {
        crate::oidc::authorize::Authorizer {
            clients: &*self.clients,
            users: &*self.users,
            consents: &*self.consents,
            keys: &self.keys,
            issuer: &self.settings.issuer,
            parking: self.parking(),
            codes: crate::store::records::Codes::new(&*self.ephemeral),
            fanout: self.fanout(),
            clock: &*self.clock,
            code_ttl_secs: self.settings.tokens.code_ttl_secs,
            mfa: &self.settings.mfa,
            require_verified_email: self.settings.account.require_verified_email,
            groups: &*self.groups,
        }
    }

    /// Operations on groups (CLI, console).
    pub fn group_admin(&self) -> crate::admin::GroupAdmin<'_> {
        crate::admin::GroupAdmin {
            groups: &*self.groups,
            users: &*self.users,
            clients: &*self.clients,
            audit: &*self.audit,
            clock: &*self.clock,
        }
    }

    /// Operations on clients (CLI, portal, registration API).
    pub fn client_admin(&self) -> crate::admin::ClientAdmin<'_> {
        crate::admin::ClientAdmin {
            clients: &*self.clients,
            refresh_tokens: &*self.refresh_tokens,
            access_tokens: self.access_tokens(),
            audit: &*self.audit,
            clock: &*self.clock,
            http_uris: self.settings.registration.http_uris,
        }
    }

    /// Operations on people (CLI, and the console to come).
    pub fn user_admin(&self) -> crate::admin::UserAdmin<'_> {
        crate::admin::UserAdmin {
            users: &*self.users,
            fanout: self.fanout(),
            refresh_tokens: &*self.refresh_tokens,
            audit: &*self.audit,
            clock: &*self.clock,
        }
    }

    /// Initial access tokens for the registration API.
    pub fn registration_token_admin(&self) -> crate::admin::RegistrationTokenAdmin<'_> {
        crate::admin::RegistrationTokenAdmin {
            tokens: &*self.registration_tokens,
            audit: &*self.audit,
            clock: &*self.clock,
        }
    }

    /// The signing-key schedule.
    pub fn key_rotation(&self) -> crate::keys::rotation::KeyRotation<'_> {
        crate::keys::rotation::KeyRotation {
            store: &*self.key_store,
            ring: &self.keys,
            clock: &*self.clock,
            settings: &self.settings.keys,
        }
    }

    /// What the background key schedule owns while it runs.
    pub fn key_schedule(&self) -> crate::keys::rotation::KeySchedule {
        crate::keys::rotation::KeySchedule {
            store: self.key_store.clone(),
            ring: self.keys.clone(),
            clock: self.clock.clone(),
            settings: self.settings.keys.clone(),
        }
    }

    /// The registration API's protocol checks (RFC 7591/7592).
    pub fn registration_api(&self) -> crate::oidc::registration::RegistrationApi<'_> {
        crate::oidc::registration::RegistrationApi {
            clients: &*self.clients,
            tokens: &*self.registration_tokens,
            counters: crate::store::records::Counters::new(&*self.ephemeral),
            settings: &self.settings.registration,
            issuer: &self.settings.issuer,
            clock: &*self.clock,
        }
    }

    pub fn introspection(&self) -> crate::oidc::introspection::Introspection<'_> {
        crate::oidc::introspection::Introspection {
            auth: self.client_authenticator(),
            access_tokens: self.access_tokens(),
            refresh_tokens: &*self.refresh_tokens,
            sessions: self.sessions(),
            groups: &*self.groups,
        }
    }

    pub fn revocation(&self) -> crate::oidc::revocation::Revocation<'_> {
        crate::oidc::revocation::Revocation {
            auth: self.client_authenticator(),
            access_tokens: self.access_tokens(),
            refresh_tokens: &*self.refresh_tokens,
        }
    }

    /// What signs tokens as this issuer.
    pub fn signer(&self) -> crate::oidc::signer::TokenSigner<'_> {
        crate::oidc::signer::TokenSigner {
            keys: &self.keys,
            clock: &*self.clock,
            issuer: &self.settings.issuer,
        }
    }

    /// Password sign-in, with its throttle and audit trail.
    pub fn password_login(&self) -> crate::auth::login::PasswordLogin<'_> {
        crate::auth::login::PasswordLogin {
            users: &*self.users,
            store: &*self.ephemeral,
            audit: &*self.audit,
            sealer: &self.sealer,
            clock: &*self.clock,
            settings: &self.settings.login,
            notices: self.notices(),
            directory: self
                .directory
                .as_deref()
                .map(|directory| crate::auth::directory::DirectoryLogin {
                    directory,
                    settings: &self.settings.ldap,
                    links: &*self.links,
                    groups: &*self.groups,
                    audit: &*self.audit,
                }),
        }
    }

    /// Second factors: setting them up, checking codes, recovery codes.
    pub fn second_factors(&self) -> crate::auth::second_factor::SecondFactors<'_> {
        crate::auth::second_factor::SecondFactors {
            factors: &*self.second_factors,
            keks: self.keys.kek(),
            sealer: &self.sealer,
            store: &*self.ephemeral,
            audit: &*self.audit,
            clock: &*self.clock,
            mfa: &self.settings.mfa,
            login: &self.settings.login,
            service_name: self.settings.service_name(),
            notices: self.notices(),
        }
    }

    /// Security notices to people.
    pub fn notices(&self) -> crate::mail::notices::Notices<'_> {
        crate::mail::notices::Notices {
            outbox: self.mail_outbox(),
            users: &*self.users,
            settings: &self.settings.account.notices,
            service: self.settings.service_name(),
        }
    }

    /// Pruning what has served its purpose.
    /// "Forgot your password?".
    pub fn password_reset(&self) -> crate::account::password_reset::PasswordReset<'_> {
        crate::account::password_reset::PasswordReset {
            users: &*self.users,
            links: crate::store::records::MailedLinks::new(
                &*self.ephemeral,
                crate::store::records::LinkPurpose::PasswordReset,
            ),
            identities: &*self.links,
            counters: crate::store::records::Counters::new(&*self.ephemeral),
            mail: self.mail_outbox(),
            factors: self.second_factors(),
            admin: self.user_admin(),
            audit: &*self.audit,
            clock: &*self.clock,
            settings: &self.settings.password_reset,
            notices: self.settings.account.notices.password_changed,
            issuer: &self.settings.issuer,
            service: self.settings.service_name(),
        }
    }

    /// A person changing their own account.
    pub fn profile(&self) -> crate::account::profile::Profile<'_> {
        crate::account::profile::Profile {
            users: &*self.users,
            links: crate::store::records::MailedLinks::new(
                &*self.ephemeral,
                crate::store::records::LinkPurpose::VerifyEmail,
            ),
            identities: &*self.links,
            counters: crate::store::records::Counters::new(&*self.ephemeral),
            mail: self.mail_outbox(),
            fanout: self.fanout(),
            audit: &*self.audit,
            clock: &*self.clock,
            settings: &self.settings.account,
            issuer: &self.settings.issuer,
            service: self.settings.service_name(),
        }
    }

    /// Invitations and open sign-up.
    pub fn signup(&self) -> crate::account::signup::Signup<'_> {
        use crate::store::records::{LinkPurpose, MailedLinks};
        crate::account::signup::Signup {
            users: &*self.users,
            invitations: MailedLinks::new(&*self.ephemeral, LinkPurpose::Invitation),
            confirmations: MailedLinks::new(&*self.ephemeral, LinkPurpose::SignUp),
            counters: crate::store::records::Counters::new(&*self.ephemeral),
            mail: self.mail_outbox(),
            audit: &*self.audit,
            clock: &*self.clock,
            settings: &self.settings.signup,
            issuer: &self.settings.issuer,
            service: self.settings.service_name(),
        }
    }

    /// Queuing mail.
    pub fn mail_outbox(&self) -> crate::mail::Outbox<'_> {
        crate::mail::Outbox {
            store: &*self.mail,
            kek: self.keys.kek(),
            clock: &*self.clock,
            settings: &self.settings.mail,
        }
    }

    /// What the mail worker of this node owns.
    pub fn postman(&self) -> crate::mail::worker::Postman {
        crate::mail::worker::Postman {
            outbox: self.mail.clone(),
            keys: self.keys.clone(),
            clock: self.clock.clone(),
            transport: self.mail_transport.clone(),
            settings: self.settings.mail.clone(),
        }
    }

    pub fn pruner(&self) -> crate::admin::retention::Pruner<'_> {
        crate::admin::retention::Pruner {
            store: &*self.retention,
            clock: &*self.clock,
            settings: &self.settings.retention,
        }
    }

    /// Passkeys and security keys.
    pub fn passkeys(&self) -> crate::auth::webauthn::Passkeys<'_> {
        crate::auth::webauthn::Passkeys {
            webauthn: self.webauthn.as_deref(),
            sealer: &self.sealer,
            factors: &*self.second_factors,
            ceremonies: crate::store::records::Ceremonies::new(&*self.ephemeral),
            audit: &*self.audit,
            clock: &*self.clock,
            notices: self.notices(),
        }
    }

    /// Sign-ins between their first factor and their last step.
    pub fn sign_in_steps(&self) -> crate::auth::sign_in::SignInSteps<'_> {
        crate::auth::sign_in::SignInSteps {
            pending: crate::store::records::PendingSignIns::new(&*self.ephemeral),
            clock: &*self.clock,
            settings: &self.settings.mfa,
        }
    }
}
