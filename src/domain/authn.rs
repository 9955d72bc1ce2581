//! How strongly a person authenticated: the RFC 8176 `amr` values Sesame
//! records in a session, and the level (`acr`) they reach.

use serde::{Deserialize, Serialize};

/// RFC 8176 §2: password.
pub const AMR_PASSWORD: &str = "pwd";
/// RFC 8176 §2: one-time password (a TOTP code or a recovery code).
pub const AMR_OTP: &str = "otp";
/// RFC 8176 §2: proof of possession of a hardware-secured key (a security key).
pub const AMR_HWK: &str = "hwk";
/// RFC 8176 §2: proof of possession of a software-secured key (a passkey,
/// which may be synchronised between devices).
pub const AMR_SWK: &str = "swk";
/// RFC 8176 §2: user presence test (here: user verification by the authenticator).
pub const AMR_USER: &str = "user";
/// RFC 8176 §2: multiple-factor authentication.
pub const AMR_MFA: &str = "mfa";
/// RFC 8176 §2: federated authentication (an upstream identity provider).
pub const AMR_FED: &str = "fed";

/// An authentication level, from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    OneFactor,
    TwoFactors,
}

impl Level {
    /// Every level, for discovery's `acr_values_supported`.
    pub const ALL: [Level; 2] = [Level::OneFactor, Level::TwoFactors];

    /// The `acr` value of the level (OIDC Core 2).
    pub fn acr(self) -> &'static str {
        match self {
            Level::OneFactor => "urn:sesame:acr:single-factor",
            Level::TwoFactors => "urn:sesame:acr:multi-factor",
        }
    }

    pub fn from_acr(value: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.acr() == value)
    }

    /// The level methods reach: two factors when `mfa` was recorded.
    pub fn of_amr(amr: &[String]) -> Level {
        if amr.iter().any(|m| m == AMR_MFA) {
            Level::TwoFactors
        } else {
            Level::OneFactor
        }
    }

    /// The level an `acr_values` parameter asks for (OIDC Core 3.1.2.1: a
    /// space-separated list of acceptable values in order of preference).
    /// Any listed level is acceptable to the app, so the lowest one Sesame
    /// knows is what it must reach; values it does not know are ignored, as
    /// `acr` is a voluntary claim unless requested as essential.
    pub fn requested(acr_values: &str) -> Option<Level> {
        acr_values.split(' ').filter_map(Level::from_acr).min()
    }
}

/// RFC 8176 §2's registered method names: an upstream's `amr` is read
/// only for these.
const REGISTERED_AMR: [&str; 21] = [
    "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd", "rba", "retina", "sc", "sms",
    "swk", "tel", "user", "vbm", "wia",
];

/// The methods of a sign-in through an upstream: `fed`, and — when the
/// upstream is trusted to say so — the registered methods it reported
/// (so its `mfa` counts as two factors here).
pub fn federated_amr(reported: &[String], trusted: bool) -> Vec<String> {
    let mut methods = vec![AMR_FED.to_string()];
    if trusted {
        for method in reported {
            if REGISTERED_AMR.contains(&method.as_str()) && !methods.contains(method) {
                methods.push(method.clone());
            }
        }
    }
    methods
}

/// The methods after a second factor was presented on top of `amr`.
pub fn with_second_factor(amr: &[String], method: &str) -> Vec<String> {
    let mut methods: Vec<String> = amr.iter().filter(|m| *m != AMR_MFA).cloned().collect();
    if !methods.iter().any(|m| m == method) {
        methods.push(method.to_string());
    }
    methods.push(AMR_MFA.to_string());
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstreams_methods_count_only_when_trusted_and_registered() {
        let reported = amr(&["pwd", "otp", "mfa", "made-up", "otp"]);
        assert_eq!(federated_amr(&reported, false), amr(&["fed"]));
        assert_eq!(Level::of_amr(&federated_amr(&reported, false)), Level::OneFactor);
        assert_eq!(federated_amr(&reported, true), amr(&["fed", "pwd", "otp", "mfa"]));
        assert_eq!(Level::of_amr(&federated_amr(&reported, true)), Level::TwoFactors);
    }

    fn amr(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn the_level_follows_the_methods() {
        assert_eq!(Level::of_amr(&amr(&["pwd"])), Level::OneFactor);
        assert_eq!(Level::of_amr(&amr(&["pwd", "otp", "mfa"])), Level::TwoFactors);
        assert_eq!(with_second_factor(&amr(&["pwd"]), AMR_OTP), amr(&["pwd", "otp", "mfa"]));
        assert_eq!(
            with_second_factor(&amr(&["pwd", "otp", "mfa"]), AMR_OTP),
            amr(&["pwd", "otp", "mfa"])
        );
    }

    #[test]
    fn acr_values_ask_for_the_lowest_known_level_listed() {
        let multi = Level::TwoFactors.acr();
        let single = Level::OneFactor.acr();
        assert_eq!(Level::requested(multi), Some(Level::TwoFactors));
        assert_eq!(Level::requested(&format!("{multi} {single}")), Some(Level::OneFactor));
        assert_eq!(Level::requested(&format!("urn:other {multi}")), Some(Level::TwoFactors));
        assert_eq!(Level::requested("urn:other"), None);
        assert_eq!(Level::requested(""), None);
    }
}
