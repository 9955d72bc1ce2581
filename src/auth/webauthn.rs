//! WebAuthn through `webauthn-rs`: registering passkeys (discoverable,
//! user-verified) and security keys from the account page, signing in with
//! a passkey and no username, and a security key (or passkey) as the second
//! step after a password. The relying-party id and origin come from the
//! issuer. Each ceremony's state waits in the ephemeral store, bound to the
//! browser that began it (the digest of its CSRF token) and taken once.
//!
//! Signature counters are a signal: a counter that goes backwards (a cloned
//! key, or a synchronised passkey) is audited, not refused, so nobody is
//! locked out of a passkey their phone and laptop share.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, CredentialID, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, SecurityKey,
    SecurityKeyAuthentication, SecurityKeyRegistration, Url, Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::clock::Clock;
use crate::crypto;
use crate::domain::{AMR_HWK, AMR_MFA, AMR_SWK, AMR_USER, AuditEvent, CredentialKind, User, WebauthnCredential};
use crate::error::InternalError;
use crate::keys::{Purpose, Sealer};
use crate::mail::notices::Notices;
use crate::store::records::Ceremonies;
use crate::store::{AuditLog, SecondFactorRepository, StoreError};

/// How a sealed ceremony's id begins (a stored one is a random token).
const SEALED: &str = "sealed.";
/// Sealed autofill challenges open for one to two of these.
const SEALED_EPOCH_SECS: i64 = 300;

/// The most credentials one account may register.
pub const MAX_CREDENTIALS: usize = 20;
/// The longest name a person may give a credential.
pub const MAX_NAME_CHARS: usize = 64;

/// Builds the relying party from the issuer: its host is the RP id and its
/// origin the only one accepted. `None` (with the reason) when the issuer's
/// host is an IP address, which WebAuthn does not accept as an RP id.
pub fn relying_party(issuer: &str) -> Result<Webauthn, String> {
    let url = Url::parse(issuer).map_err(|e| format!("the issuer is not a URL: {e}"))?;
    let Some(host) = url.domain() else {
        return Err("passkeys and security keys need the issuer to be a domain name, not an IP address".into());
    };
    let origin = Url::parse(&url.origin().ascii_serialization()).map_err(|e| e.to_string())?;
    WebauthnBuilder::new(host, &origin)
        .and_then(|builder| builder.rp_name(host).build())
        .map_err(|e| format!("WebAuthn: {e}"))
}

/// What the browser must do, as JSON for `navigator.credentials`.
#[derive(Debug, Serialize)]
pub struct Challenge {
    pub ceremony: String,
    pub options: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error("passkeys and security keys are not available on this server")]
    Unavailable,
    #[error("this attempt expired or was made in another browser; try again")]
    Expired,
    #[error("the authenticator's answer was not accepted")]
    Rejected,
    #[error("this key is registered already")]
    Duplicate,
    #[error("give it a name of at most 64 characters")]
    BadName,
    #[error("this account has as many keys as it may")]
    TooMany,
    #[error("WebAuthn: {0}")]
    Library(String),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl From<StoreError> for CeremonyError {
    fn from(e: StoreError) -> Self {
        CeremonyError::Internal(e.into())
    }
}

/// A ceremony in flight, as stored.
#[derive(Serialize, Deserialize)]
enum State {
    RegisterPasskey(PasskeyRegistration),
    RegisterSecurityKey(SecurityKeyRegistration),
    Discoverable(DiscoverableAuthentication),
    SecondFactorPasskey(PasskeyAuthentication),
    SecondFactorSecurityKey(SecurityKeyAuthentication),
}

#[derive(Serialize, Deserialize)]
struct Stored {
    /// The digest of the CSRF token of the browser that began it.
    browser: String,
    /// The account, for registration and second-factor ceremonies.
    user_id: Option<Uuid>,
    name: Option<String>,
    state: State,
}

/// Whose credential may answer an authentication ceremony.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answering {
    /// Anyone's passkey: a sign-in without a username.
    Anyone,
    /// A key of the account of a pending sign-in, as its second step.
    SecondStepOf(Uuid),
    /// A passkey of the signed-in account, confirming it is them (a
    /// ceremony begun like a sign-in's: any of the browser's passkeys).
    PasskeyOf(Uuid),
}

impl Answering {
    /// The account the ceremony was stored for.
    fn stored_for(self) -> Option<Uuid> {
        match self {
            Answering::SecondStepOf(user) => Some(user),
            Answering::Anyone | Answering::PasskeyOf(_) => None,
        }
    }

    fn may_answer(self, credential: &WebauthnCredential) -> bool {
        match self {
            Answering::Anyone => true,
            Answering::SecondStepOf(user) => credential.user_id == user,
            Answering::PasskeyOf(user) => credential.user_id == user && credential.kind == CredentialKind::Passkey,
        }
    }
}

/// Who a passkey sign-in or a second factor proved, and with what (RFC 8176).
#[derive(Debug)]
pub struct Proven {
    pub user_id: Uuid,
    pub amr: Vec<String>,
}

pub struct Passkeys<'a> {
    pub webauthn: Option<&'a Webauthn>,
    /// Seals the login page's autofill challenge.
    pub sealer: &'a Sealer,
    pub factors: &'a dyn SecondFactorRepository,
    pub ceremonies: Ceremonies<'a>,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    /// Mails the person when a key is added or removed.
    pub notices: Notices<'a>,
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, CeremonyError> {
    serde_json::to_value(value).map_err(|_| CeremonyError::Rejected)
}

fn credential_id_text(id: &CredentialID) -> String {
    crypto::base64url(id.as_ref())
}

/// The stored credential with its counter set to zero, for the second look
/// a counter regression gets (see the module note).
fn without_counter(stored: &str) -> Option<String> {
    fn zero(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map.iter_mut() {
                    if key == "counter" {
                        *inner = serde_json::Value::from(0);
                    } else {
                        zero(inner);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(zero),
            _ => {}
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(stored).ok()?;
    zero(&mut value);
    serde_json::to_string(&value).ok()
}

impl Passkeys<'_> {
    fn webauthn(&self) -> Result<&Webauthn, CeremonyError> {
        self.webauthn.ok_or(CeremonyError::Unavailable)
    }

    pub fn available(&self) -> bool {
        self.webauthn.is_some()
    }

    async fn record(&self, event: AuditEvent) {
        self.notices.after(&event).await;
        crate::audit::record(self.audit, event).await;
    }

    async fn begin(
        &self,
        csrf: &str,
        user_id: Option<Uuid>,
        name: Option<String>,
        state: State,
    ) -> Result<String, CeremonyError> {
        let stored = Stored {
            browser: crypto::digest(csrf),
            user_id,
            name,
            state,
        };
        Ok(self.ceremonies.start(&stored).await?)
    }

    /// The ceremony `id`, once, if the browser with `csrf` began it.
    async fn take(&self, id: &str, csrf: &str) -> Result<Stored, CeremonyError> {
        let stored: Stored = match id.strip_prefix(SEALED) {
            Some(sealed) => self.open_sealed(sealed).ok_or(CeremonyError::Expired)?,
            None => self.ceremonies.take(id).await?.ok_or(CeremonyError::Expired)?,
        };
        if !crypto::constant_time_eq(&stored.browser, &crypto::digest(csrf)) {
            return Err(CeremonyError::Expired);
        }
        Ok(stored)
    }

    pub async fn credentials(&self, user_id: Uuid) -> Result<Vec<WebauthnCredential>, StoreError> {
        self.factors.webauthn_credentials(user_id).await
    }

    /// Options to register a passkey or a security key named `name`.
    pub async fn start_registration(
        &self,
        user: &User,
        kind: CredentialKind,
        name: &str,
        csrf: &str,
    ) -> Result<Challenge, CeremonyError> {
        let webauthn = self.webauthn()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(CeremonyError::BadName);
        }
        let existing = self.credentials(user.id).await?;
        if existing.len() >= MAX_CREDENTIALS {
            return Err(CeremonyError::TooMany);
        }
        let exclude: Vec<CredentialID> = existing
            .iter()
            .filter_map(|c| crate::crypto::base64url_decode(&c.credential_id))
            .collect();
        let username = user.username.as_str();
        let display = user.display_name.as_deref().unwrap_or(username);
        let failed = |e: WebauthnError| CeremonyError::Library(e.to_string());
        let (options, state): (CreationChallengeResponse, State) = match kind {
            CredentialKind::Passkey => {
                let (options, state) = webauthn
                    .start_passkey_registration(user.id, username, display, Some(exclude))
                    .map_err(failed)?;
                (options, State::RegisterPasskey(state))
            }
            CredentialKind::SecurityKey => {
                let (options, state) = webauthn
                    .start_securitykey_registration(user.id, username, display, Some(exclude), None, None)
                    .map_err(failed)?;
                (options, State::RegisterSecurityKey(state))
            }
        };
        let mut options = to_json(&options)?;
        if kind == CredentialKind::Passkey
            && let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection")
        {
            // A passkey signs in without a username: the authenticator must
            // keep it (a discoverable credential).
            selection["residentKey"] = "required".into();
            selection["requireResidentKey"] = true.into();
        }
        if kind == CredentialKind::SecurityKey
            && let Some(extensions) = options
                .pointer_mut("/publicKey/extensions")
                .and_then(|e| e.as_object_mut())
        {
            // A second factor need not verify the person itself (the password
            // did the knowing); asking a key to protect the credential with
            // user verification while only preferring it is refused by
            // browsers as inconsistent.
            extensions.remove("credentialProtectionPolicy");
            extensions.remove("enforceCredentialProtectionPolicy");
        }
        let ceremony = self.begin(csrf, Some(user.id), Some(name.to_string()), state).await?;
        Ok(Challenge { ceremony, options })
    }

    /// Stores the credential the browser created.
    pub async fn finish_registration(
        &self,
        user: &User,
        ceremony: &str,
        csrf: &str,
        response: &str,
    ) -> Result<WebauthnCredential, CeremonyError> {
        let webauthn = self.webauthn()?;
        let stored = self.take(ceremony, csrf).await?;
        if stored.user_id != Some(user.id) {
            return Err(CeremonyError::Expired);
        }
        let response: RegisterPublicKeyCredential =
            serde_json::from_str(response).map_err(|_| CeremonyError::Rejected)?;
        let (kind, credential_id, credential) = match &stored.state {
            State::RegisterPasskey(state) => {
                let passkey = webauthn
                    .finish_passkey_registration(&response, state)
                    .map_err(|_| CeremonyError::Rejected)?;
                let json = serde_json::to_string(&passkey).map_err(|_| CeremonyError::Rejected)?;
                (CredentialKind::Passkey, credential_id_text(passkey.cred_id()), json)
            }
            State::RegisterSecurityKey(state) => {
                let key = webauthn
                    .finish_securitykey_registration(&response, state)
                    .map_err(|_| CeremonyError::Rejected)?;
                let json = serde_json::to_string(&key).map_err(|_| CeremonyError::Rejected)?;
                (CredentialKind::SecurityKey, credential_id_text(key.cred_id()), json)
            }
            _ => return Err(CeremonyError::Expired),
        };
        let now = self.clock.now();
        let credential = WebauthnCredential {
            id: Uuid::now_v7(),
            user_id: user.id,
            kind,
            name: stored.name.unwrap_or_else(|| kind.label().to_string()),
            credential_id,
            credential,
            created_at: now,
            last_used_at: None,
        };
        match self.factors.insert_webauthn(&credential).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(CeremonyError::Duplicate),
            Err(e) => return Err(e.into()),
        }
        crate::observability::second_factor(kind.as_str(), "enrolled");
        let event = AuditEvent::new("second_factor_added", now)
            .user(user.id)
            .detail(format!("{} \"{}\"", kind.label(), credential.name));
        self.record(event).await;
        Ok(credential)
    }

    /// Options for "Sign in with a passkey": no username, any discoverable
    /// credential of this site. Anyone may ask, so nothing is stored: the
    /// ceremony is sealed into the answer (see [`Self::sealed_passkey_sign_in`]).
    pub fn start_passkey_sign_in(&self, csrf: &str) -> Result<Challenge, CeremonyError> {
        self.seal_discoverable(csrf, false)
    }

    /// A passkey challenge for the login page to carry (autofill, which
    /// starts a ceremony on every view of the page): sealed into the page
    /// instead of stored, so an anonymous visitor costs no store entry. The
    /// finish mark written after a verified answer makes it single-use.
    pub fn sealed_passkey_sign_in(&self, csrf: &str) -> Result<Challenge, CeremonyError> {
        self.seal_discoverable(csrf, true)
    }

    /// A discoverable-credential ceremony sealed to this browser (its CSRF
    /// token); `conditional` keeps the library's conditional mediation
    /// (autofill), otherwise the page chooses per call.
    fn seal_discoverable(&self, csrf: &str, conditional: bool) -> Result<Challenge, CeremonyError> {
        let webauthn = self.webauthn()?;
        let (mut options, state): (RequestChallengeResponse, _) = webauthn
            .start_discoverable_authentication()
            .map_err(|_| CeremonyError::Unavailable)?;
        if !conditional {
            options.mediation = None;
        }
        let stored = Stored {
            browser: crypto::digest(csrf),
            user_id: None,
            name: None,
            state: State::Discoverable(state),
        };
        let plaintext = serde_json::to_vec(&stored).map_err(|_| CeremonyError::Rejected)?;
        let sealed = self
            .sealer
            .seal(Purpose::PasskeyChallenge, self.epoch(), &plaintext)
            .map_err(|e| CeremonyError::Internal(e.into()))?;
        Ok(Challenge {
            ceremony: format!("{SEALED}{sealed}"),
            options: to_json(&options)?,
        })
    }

    fn epoch(&self) -> u64 {
        self.clock.now().div_euclid(SEALED_EPOCH_SECS).max(1) as u64
    }

    fn open_sealed(&self, sealed: &str) -> Option<Stored> {
        let epoch = self.epoch();
        // The next epoch too: the node that sealed it may run a little ahead.
        let (_, plaintext) = self
            .sealer
            .open(Purpose::PasskeyChallenge, sealed, epoch - 1..=epoch + 1)?;
        serde_json::from_slice(&plaintext).ok()
    }

    /// Options for a second step with the account's keys: its security keys
    /// when it has any, else its passkeys.
    pub async fn start_second_factor(&self, user_id: Uuid, csrf: &str) -> Result<Challenge, CeremonyError> {
        let webauthn = self.webauthn()?;
        let credentials = self.credentials(user_id).await?;
        let keys: Vec<SecurityKey> = credentials
            .iter()
            .filter(|c| c.kind == CredentialKind::SecurityKey)
            .filter_map(|c| serde_json::from_str(&c.credential).ok())
            .collect();
        let passkeys: Vec<Passkey> = credentials
            .iter()
            .filter(|c| c.kind == CredentialKind::Passkey)
            .filter_map(|c| serde_json::from_str(&c.credential).ok())
            .collect();
        let (options, state) = if !keys.is_empty() {
            let (options, state) = webauthn
                .start_securitykey_authentication(&keys)
                .map_err(|_| CeremonyError::Rejected)?;
            (options, State::SecondFactorSecurityKey(state))
        } else if !passkeys.is_empty() {
            let (options, state) = webauthn
                .start_passkey_authentication(&passkeys)
                .map_err(|_| CeremonyError::Rejected)?;
            (options, State::SecondFactorPasskey(state))
        } else {
            return Err(CeremonyError::Rejected);
        };
        let ceremony = self.begin(csrf, Some(user_id), None, state).await?;
        Ok(Challenge {
            ceremony,
            options: to_json(&options)?,
        })
    }

    /// Finishes a passkey sign-in, a second step or a confirmation; `who`
    /// says whose credential may answer.
    pub async fn finish_authentication(
        &self,
        ceremony: &str,
        csrf: &str,
        response: &str,
        who: Answering,
        client_ip: &str,
    ) -> Result<Proven, CeremonyError> {
        let stored = self.take(ceremony, csrf).await?;
        if stored.user_id != who.stored_for() {
            return Err(CeremonyError::Expired);
        }
        let response: PublicKeyCredential = serde_json::from_str(response).map_err(|_| CeremonyError::Rejected)?;
        let credential_id = crypto::base64url(response.get_credential_id());
        let now = self.clock.now();
        let found = self.factors.find_webauthn(&credential_id).await?;
        // A passkey's user handle is the account id: it must name the
        // account the credential belongs to.
        let handle_matches = |c: &WebauthnCredential| match (&stored.state, self.webauthn) {
            (State::Discoverable(_), Some(webauthn)) => webauthn
                .identify_discoverable_authentication(&response)
                .is_ok_and(|(user, _)| user == c.user_id),
            _ => true,
        };
        let Some(credential) = found.filter(|c| who.may_answer(c) && handle_matches(c)) else {
            self.refused(None, client_ip, now).await;
            return Err(CeremonyError::Rejected);
        };
        let outcome = match self.verify(&stored.state, &response, &credential.credential) {
            Err(WebauthnError::CredentialPossibleCompromise) => {
                let event = AuditEvent::new("webauthn_counter_regressed", now)
                    .user(credential.user_id)
                    .ip(client_ip)
                    .detail(format!(
                        "\"{}\": its signature counter did not go up (a cloned key, or a synchronised passkey)",
                        credential.name
                    ));
                self.record(event).await;
                let reset = without_counter(&credential.credential).ok_or(CeremonyError::Rejected)?;
                self.verify(&stored.state, &response, &reset)
            }
            other => other,
        };
        let Ok(updated) = outcome else {
            self.refused(Some(credential.user_id), client_ip, now).await;
            return Err(CeremonyError::Rejected);
        };
        // A sealed ceremony is not taken from the store: its first verified
        // answer marks it finished, and a replay of that answer is refused.
        if let Some(sealed) = ceremony.strip_prefix(SEALED)
            && !self.ceremonies.first_finish(sealed).await?
        {
            return Err(CeremonyError::Expired);
        }
        self.factors.webauthn_used(credential.id, &updated, now).await?;
        let method = match credential.kind {
            CredentialKind::Passkey => AMR_SWK,
            CredentialKind::SecurityKey => AMR_HWK,
        };
        crate::observability::second_factor(credential.kind.as_str(), "accepted");
        let event = AuditEvent::new("second_factor_accepted", now)
            .user(credential.user_id)
            .ip(client_ip)
            .detail(format!("{} \"{}\"", credential.kind.label(), credential.name));
        self.record(event).await;
        let amr = match who {
            // A passkey alone: possession of the key and the person verified
            // by the authenticator, two factors (WebAuthn's user verification).
            Answering::Anyone | Answering::PasskeyOf(_) => {
                vec![method.to_string(), AMR_USER.to_string(), AMR_MFA.to_string()]
            }
            Answering::SecondStepOf(_) => Vec::from([method.to_string()]),
        };
        Ok(Proven {
            user_id: credential.user_id,
            amr,
        })
    }

    /// Verifies `response` against the stored credential; the credential as
    /// it should be stored now (its counter moved on).
    fn verify(&self, state: &State, response: &PublicKeyCredential, stored: &str) -> Result<String, WebauthnError> {
        let webauthn = self.webauthn.ok_or(WebauthnError::Configuration)?;
        match state {
            State::Discoverable(state) => {
                let mut passkey: Passkey = serde_json::from_str(stored).map_err(|_| WebauthnError::Configuration)?;
                let result = webauthn.finish_discoverable_authentication_v2(response, state.clone(), &passkey)?;
                if !result.user_verified() {
                    return Err(WebauthnError::UserNotVerified);
                }
                passkey.update_credential(&result);
                as_stored(&passkey)
            }
            State::SecondFactorPasskey(state) => {
                let mut passkey: Passkey = serde_json::from_str(stored).map_err(|_| WebauthnError::Configuration)?;
                let result = webauthn.finish_passkey_authentication(response, state)?;
                passkey.update_credential(&result);
                as_stored(&passkey)
            }
            State::SecondFactorSecurityKey(state) => {
                let mut key: SecurityKey = serde_json::from_str(stored).map_err(|_| WebauthnError::Configuration)?;
                let result = webauthn.finish_securitykey_authentication(response, state)?;
                key.update_credential(&result);
                as_stored(&key)
            }
            _ => Err(WebauthnError::Configuration),
        }
    }

    async fn refused(&self, user: Option<Uuid>, client_ip: &str, now: i64) {
        crate::observability::second_factor("webauthn", "refused");
        let event = AuditEvent::new("second_factor_refused", now)
            .ip(client_ip)
            .detail("passkey or security key");
        let event = match user {
            Some(id) => event.user(id),
            None => event,
        };
        self.record(event).await;
    }

    /// Removes one of the person's credentials.
    pub async fn remove(&self, user_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let removed = self.factors.delete_webauthn(user_id, id).await?;
        let none_left = self.credentials(user_id).await?.is_empty() && self.factors.find_totp(user_id).await?.is_none();
        if none_left {
            // Recovery codes stand in for a factor; with none left they go too.
            self.factors.delete_recovery_codes(user_id).await?;
        }
        if removed {
            crate::observability::second_factor("webauthn", "removed");
            let event = AuditEvent::new("second_factor_removed", self.clock.now())
                .user(user_id)
                .detail("a passkey or security key, by the account holder");
            self.record(event).await;
        }
        Ok(removed)
    }
}

/// A credential as stored.
fn as_stored<T: Serialize>(credential: &T) -> Result<String, WebauthnError> {
    serde_json::to_string(credential).map_err(|_| WebauthnError::Configuration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_issuers_domain() {
        assert!(relying_party("https://id.example.com").is_ok());
        assert!(relying_party("http://localhost:8080").is_ok());
        assert!(
            relying_party("http://127.0.0.1:8080")
                .unwrap_err()
                .contains("domain name")
        );
        assert!(relying_party("http://[::1]:8080").is_err());
    }

    #[test]
    fn a_second_look_at_a_regressed_counter_zeroes_every_counter() {
        let stored = r#"{"cred":{"cred_id":"AA","counter":7,"inner":{"counter":3}},"other":1}"#;
        let reset: serde_json::Value = serde_json::from_str(&without_counter(stored).unwrap()).unwrap();
        assert_eq!(reset["cred"]["counter"], 0);
        assert_eq!(reset["cred"]["inner"]["counter"], 0);
        assert_eq!(reset["cred"]["cred_id"], "AA");
        assert_eq!(reset["other"], 1);
        assert!(without_counter("not json").is_none());
    }
}
