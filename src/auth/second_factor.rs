//! Second factors, without HTTP: setting up a TOTP authenticator (shown,
//! then confirmed by one code before it counts), checking a code at sign-in
//! (TOTP once per step, or a single-use recovery code), recovery codes, and
//! removing a factor. Every success and failure is audited and counted.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::totp::TotpSecret;
use crate::clock::Clock;
use crate::config::{LoginSettings, MfaSettings};
use crate::crypto;
use crate::domain::{AMR_OTP, AuditEvent, TotpFactor, User, WebauthnCredential};
use crate::error::InternalError;
use crate::keys::{KekRing, KeyError, Purpose, Sealer};
use crate::mail::notices::Notices;
use crate::store::records::{Counters, ThrottleSubject};
use crate::store::{AuditLog, EphemeralStore, SecondFactorRepository, StoreError};

/// Recovery codes per set.
pub const RECOVERY_CODES: usize = 10;
/// A shown, unconfirmed secret stays usable for one to two epochs.
const ENROLMENT_EPOCH_SECS: i64 = 600;
/// RFC 4648 base32, lower case: 5 bits per character, nothing to confuse.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
/// 16 characters: 80 random bits, beyond any guessing even as a fast digest.
const RECOVERY_CODE_CHARS: usize = 16;

/// What a person sees to set up an authenticator app.
#[derive(Debug)]
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// The URI as an SVG QR code, rendered here (no outside service).
    pub qr_svg: String,
    /// The secret sealed for the confirming form.
    pub sealed: String,
}

#[derive(Debug)]
pub enum Confirmation {
    /// The authenticator counts from now on; a fresh set of recovery codes
    /// when the account had none left.
    Enrolled { recovery_codes: Option<Vec<String>> },
    /// The code was not the authenticator's current one.
    WrongCode,
    /// The shown secret is too old, altered, or someone else's.
    Expired,
    /// The account has an authenticator already.
    AlreadyEnrolled,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// Accepted; the RFC 8176 method it adds.
    Accepted {
        method: &'static str,
        recovery: bool,
    },
    Refused,
    /// Too many wrong codes for the account: wait this long.
    Throttled(Duration),
}

/// What the account page shows.
#[derive(Debug, Default)]
pub struct FactorSummary {
    pub totp: Option<TotpFactor>,
    /// Passkeys and security keys.
    pub keys: Vec<WebauthnCredential>,
    pub recovery_codes_left: usize,
    pub recovery_codes_total: usize,
    pub recovery_code_last_used: Option<i64>,
}

impl FactorSummary {
    pub fn has_second_factor(&self) -> bool {
        self.totp.is_some() || !self.keys.is_empty()
    }
}

#[derive(Serialize, Deserialize)]
struct SealedEnrolment {
    user_id: Uuid,
    secret: Vec<u8>,
}

pub struct SecondFactors<'a> {
    pub factors: &'a dyn SecondFactorRepository,
    pub keks: &'a KekRing,
    pub sealer: &'a Sealer,
    pub store: &'a dyn EphemeralStore,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    pub mfa: &'a MfaSettings,
    pub login: &'a LoginSettings,
    /// Names the service in authenticator apps (the issuer's host).
    pub service_name: &'a str,
    /// Mails the person when a factor is added or removed.
    pub notices: Notices<'a>,
}

/// The associated data a TOTP secret is encrypted under: it opens for its
/// own account only.
fn secret_binding(user_id: Uuid) -> String {
    format!("totp:{user_id}")
}

/// Recovery codes as people type them: case, spaces and dashes do not matter.
fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn new_recovery_code() -> String {
    let random = crypto::random_bytes::<RECOVERY_CODE_CHARS>();
    let chars: String = random
        .iter()
        .map(|b| RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()] as char)
        .collect();
    chars
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

impl SecondFactors<'_> {
    async fn record(&self, event: AuditEvent) {
        self.notices.after(&event).await;
        crate::audit::record(self.audit, event).await;
    }

    pub async fn summary(&self, user_id: Uuid) -> Result<FactorSummary, StoreError> {
        let totp = self.factors.find_totp(user_id).await?;
        let codes = self.factors.recovery_codes(user_id).await?;
        Ok(FactorSummary {
            totp,
            keys: self.factors.webauthn_credentials(user_id).await?,
            recovery_codes_left: codes.iter().filter(|c| c.used_at.is_none()).count(),
            recovery_codes_total: codes.len(),
            recovery_code_last_used: codes.iter().filter_map(|c| c.used_at).max(),
        })
    }

    /// Whether the account has any second factor: an authenticator app, a
    /// security key or a passkey.
    pub async fn has_second_factor(&self, user_id: Uuid) -> Result<bool, StoreError> {
        Ok(self.has_totp(user_id).await? || !self.factors.webauthn_credentials(user_id).await?.is_empty())
    }

    pub async fn has_totp(&self, user_id: Uuid) -> Result<bool, StoreError> {
        Ok(self.factors.find_totp(user_id).await?.is_some())
    }

    /// A new secret to show, sealed for the form that confirms it.
    pub fn begin_totp(&self, user: &User) -> Result<Enrolment, InternalError> {
        self.enrolment(user, TotpSecret::generate())
    }

    /// The enrolment a form carried, shown again (a wrong code was typed);
    /// `None` when it is too old, altered or someone else's.
    pub fn resume_totp(&self, user: &User, sealed: &str) -> Result<Option<Enrolment>, InternalError> {
        match self.open_enrolment(user, sealed) {
            Some(secret) => self.enrolment(user, secret).map(Some),
            None => Ok(None),
        }
    }

    fn enrolment(&self, user: &User, secret: TotpSecret) -> Result<Enrolment, InternalError> {
        let failed = |e: String| InternalError::Keys(KeyError::Crypto(e));
        let otpauth_uri = secret
            .otpauth_uri(self.service_name, user.username.as_str())
            .map_err(|e| failed(e.to_string()))?;
        let qr_svg = qrcode::QrCode::new(otpauth_uri.as_bytes())
            .map_err(|e| failed(e.to_string()))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        let payload = serde_json::to_vec(&SealedEnrolment {
            user_id: user.id,
            secret: secret.as_bytes().to_vec(),
        })
        .map_err(|e| failed(e.to_string()))?;
        let epoch = self.clock.now().div_euclid(ENROLMENT_EPOCH_SECS) as u64;
        let sealed = self.sealer.seal(Purpose::TotpEnrolment, epoch, &payload)?;
        Ok(Enrolment {
            secret_base32: secret.base32(),
            otpauth_uri,
            qr_svg,
            sealed,
        })
    }

    fn open_enrolment(&self, user: &User, sealed: &str) -> Option<TotpSecret> {
        let epoch = self.clock.now().div_euclid(ENROLMENT_EPOCH_SECS).max(1) as u64;
        // The next epoch too: the node that sealed it may run a little ahead.
        self.sealer
            .open(Purpose::TotpEnrolment, sealed, epoch - 1..=epoch + 1)
            .and_then(|(_, plaintext)| serde_json::from_slice::<SealedEnrolment>(&plaintext).ok())
            .filter(|enrolment| enrolment.user_id == user.id)
            .map(|enrolment| TotpSecret::from_bytes(enrolment.secret))
    }

    /// Confirms a shown secret with a code from the app; only then is it
    /// stored (encrypted) and asked at sign-in.
    pub async fn confirm_totp(&self, user: &User, sealed: &str, code: &str) -> Result<Confirmation, InternalError> {
        let now = self.clock.now();
        let Some(secret) = self.open_enrolment(user, sealed) else {
            return Ok(Confirmation::Expired);
        };
        let Some(step) = secret.matching_step(code, now, self.mfa.totp_skew_steps) else {
            return Ok(Confirmation::WrongCode);
        };
        let (kek_id, sealed_secret) = self.keks.encrypt(&secret_binding(user.id), secret.as_bytes())?;
        let factor = TotpFactor {
            user_id: user.id,
            sealed_secret,
            kek_id,
            // The confirming code is used: it cannot sign anyone in.
            last_step: step,
            created_at: now,
            last_used_at: Some(now),
        };
        match self.factors.insert_totp(&factor).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Ok(Confirmation::AlreadyEnrolled),
            Err(e) => return Err(e.into()),
        }
        crate::observability::second_factor("totp", "enrolled");
        self.record(
            AuditEvent::new("second_factor_added", now)
                .user(user.id)
                .detail("authenticator app"),
        )
        .await;
        let summary = self.summary(user.id).await?;
        let recovery_codes = if summary.recovery_codes_left == 0 {
            Some(self.new_recovery_codes(user.id).await?)
        } else {
            None
        };
        Ok(Confirmation::Enrolled { recovery_codes })
    }

    /// A fresh set of recovery codes, shown once; the old set dies.
    pub async fn new_recovery_codes(&self, user_id: Uuid) -> Result<Vec<String>, StoreError> {
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| crypto::digest(&normalise_recovery_code(c)))
            .collect();
        let now = self.clock.now();
        self.factors.replace_recovery_codes(user_id, &hashes, now).await?;
        self.record(AuditEvent::new("recovery_codes_generated", now).user(user_id))
            .await;
        Ok(codes)
    }

    /// Removes the authenticator, and the recovery codes with it when no
    /// other factor is left for them to stand in for.
    pub async fn remove_totp(&self, user_id: Uuid, by: &str) -> Result<bool, StoreError> {
        let removed = self.factors.delete_totp(user_id).await?;
        if self.factors.webauthn_credentials(user_id).await?.is_empty() {
            self.factors.delete_recovery_codes(user_id).await?;
        }
        if removed {
            crate::observability::second_factor("totp", "removed");
            self.record(
                AuditEvent::new("second_factor_removed", self.clock.now())
                    .user(user_id)
                    .detail(format!("authenticator app, by {by}")),
            )
            .await;
        }
        Ok(removed)
    }

    /// Removes every second factor of the account: the authenticator app,
    /// the recovery codes, passkeys and security keys (an operator's reset).
    pub async fn remove_all(&self, user_id: Uuid, by: &str) -> Result<(), StoreError> {
        self.remove_totp(user_id, by).await?;
        let keys = self.factors.webauthn_credentials(user_id).await?.len();
        self.factors.delete_all_webauthn(user_id).await?;
        // No factor is left for recovery codes to stand in for.
        self.factors.delete_recovery_codes(user_id).await?;
        if keys > 0 {
            self.record(
                AuditEvent::new("second_factor_removed", self.clock.now())
                    .user(user_id)
                    .detail(format!("{keys} passkey(s) or security key(s), by {by}")),
            )
            .await;
        }
        Ok(())
    }

    /// Checks a code sent at sign-in: a TOTP code (six digits) accepted once
    /// per time step, never an earlier step's, or an unused recovery code.
    /// Wrong codes count against the account's second step only.
    pub async fn check(&self, user_id: Uuid, code: &str, client_ip: &str) -> Result<CodeCheck, InternalError> {
        let account = user_id.to_string();
        let subject = ThrottleSubject::SecondFactor { account: &account };
        let counters = Counters::new(self.store);
        if let Some(wait) = counters.wait_left(subject).await? {
            crate::observability::second_factor("any", "throttled");
            return Ok(CodeCheck::Throttled(wait));
        }
        let now = self.clock.now();
        let checked = if code.trim().len() == 6 {
            self.check_totp(user_id, code, now).await?
        } else {
            self.check_recovery_code(user_id, code, now).await?
        };
        let (kind, recovery) = match checked {
            Some(recovery) => ("accepted", recovery),
            None => ("refused", false),
        };
        let method = if recovery { "recovery_code" } else { "totp" };
        crate::observability::second_factor(method, kind);
        let event = AuditEvent::new(&format!("second_factor_{kind}"), now)
            .user(user_id)
            .ip(client_ip)
            .detail(if recovery {
                "recovery code"
            } else {
                "authenticator code"
            });
        self.record(event).await;
        match checked {
            Some(recovery) => {
                counters.clear(subject).await?;
                Ok(CodeCheck::Accepted {
                    method: AMR_OTP,
                    recovery,
                })
            }
            None => {
                let window = Duration::from_secs(self.login.throttle_window_secs.max(1));
                let failures = counters.add_failure(subject, window).await?;
                let free = u64::from(self.mfa.totp_failures_per_account).max(1);
                if failures >= free {
                    let doublings = (failures - free).min(30) as u32;
                    let seconds = 1u64.checked_shl(doublings).unwrap_or(u64::MAX);
                    let wait = Duration::from_secs(seconds.min(self.login.throttle_max_delay_secs.max(1)));
                    counters.impose_wait(subject, wait).await?;
                }
                Ok(CodeCheck::Refused)
            }
        }
    }

    /// `Some(false)` when the TOTP code is right and its step is newer than
    /// any accepted before.
    async fn check_totp(&self, user_id: Uuid, code: &str, now: i64) -> Result<Option<bool>, InternalError> {
        let Some(factor) = self.factors.find_totp(user_id).await? else {
            return Ok(None);
        };
        let bytes = self
            .keks
            .decrypt(&factor.kek_id, &secret_binding(user_id), &factor.sealed_secret)?;
        let secret = TotpSecret::from_bytes(bytes);
        let Some(step) = secret.matching_step(code, now, self.mfa.totp_skew_steps) else {
            return Ok(None);
        };
        // RFC 6238 §5.2: once accepted, a code (and every earlier one) is refused.
        let fresh = step > factor.last_step && self.factors.accept_totp_step(user_id, step, now).await?;
        Ok(fresh.then_some(false))
    }

    async fn check_recovery_code(&self, user_id: Uuid, code: &str, now: i64) -> Result<Option<bool>, InternalError> {
        let normalised = normalise_recovery_code(code);
        if normalised.len() != RECOVERY_CODE_CHARS {
            return Ok(None);
        }
        let used = self
            .factors
            .use_recovery_code(user_id, &crypto::digest(&normalised), now)
            .await?;
        Ok(used.then_some(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_80_bits_in_four_groups() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(normalise_recovery_code(&code).len(), RECOVERY_CODE_CHARS);
        assert_ne!(code, new_recovery_code());
        assert_eq!(normalise_recovery_code(" ABCD-efgh ijkl-MNOP "), "abcdefghijklmnop");
    }
}
