//! The pages of the second step of sign-in and of managing factors.

use askama::Template;

#[derive(Template)]
#[template(path = "second_factor.html")]
pub struct SecondFactorPage<'a> {
    pub request_id: &'a str,
    /// The account has an authenticator app.
    pub totp: bool,
    /// The code form: an authenticator app or recovery codes left.
    pub codes: bool,
    /// The account has passkeys or security keys (and WebAuthn is on).
    pub keys: bool,
    pub csrf: String,
    pub error: Option<&'a str>,
    /// Where "start again" leads: the login page for this request.
    pub start_over: String,
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
pub struct TotpEnrolPage<'a> {
    /// Set up during sign-in because policy requires it.
    pub required: bool,
    pub qr_svg: &'a str,
    pub secret: &'a str,
    pub sealed: &'a str,
    pub action: &'a str,
    pub request_id: &'a str,
    pub csrf: String,
    pub error: Option<&'a str>,
    pub cancel: &'a str,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub codes: Vec<String>,
    /// During sign-in: the request the "continue" button finishes.
    pub continue_sign_in: Option<String>,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "confirm_identity.html")]
pub struct ConfirmIdentityPage<'a> {
    pub username: &'a str,
    pub csrf: String,
    pub error: Option<&'a str>,
    /// The page to go back to once confirmed (one of Sesame's own).
    pub next: &'a str,
    /// The account has a password to type (its own or the directory's).
    pub password: bool,
    /// The account has a passkey (and this server's WebAuthn is on).
    pub passkey: bool,
    /// The linked upstreams that can confirm it instead, as `(name,
    /// display name)`.
    pub upstreams: Vec<(String, String)>,
}

/// The account page's view of the person's factors.
pub struct FactorsView {
    pub totp_added: Option<String>,
    pub totp_last_used: Option<String>,
    pub recovery_left: usize,
    pub recovery_total: usize,
    pub recovery_last_used: Option<String>,
    /// Policy requires a second factor of this account: its last one stays.
    pub required: bool,
    /// Passkeys and security keys can be added (WebAuthn is on).
    pub keys_available: bool,
    pub keys: Vec<KeyView>,
    /// Factors in all: the last one of a required account cannot go.
    pub count: usize,
}

/// A passkey or security key on the account page.
pub struct KeyView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub added: String,
    pub last_used: Option<String>,
}
