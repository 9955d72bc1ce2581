//! The pages people see (askama templates) and the static files they use.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use askama::Template;

use super::developer_form::{AppKind, ClientForm, FieldError};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    /// The app being signed in to; `None` when signing in to the account page.
    pub client_name: Option<&'a str>,
    /// The app's registered logo (`logo_uri`).
    pub client_logo: Option<&'a str>,
    pub request_id: &'a str,
    /// Sesame's own page to open after an account sign-in.
    pub next: &'a str,
    pub csrf: String,
    pub username: &'a str,
    pub error: Option<&'a str>,
    /// Offer "Sign in with a passkey" (WebAuthn is on).
    pub passkeys: bool,
    /// The sealed challenge for passkey autofill: `(options JSON, ceremony)`.
    pub autofill: Option<(String, String)>,
    /// Offer "Forgot your password?" (`password_reset.enabled`).
    pub forgot_password: bool,
    /// Offer "Create an account" (`signup.mode = "open"`).
    pub signup: bool,
    /// "Sign in with …" for each upstream provider: `(name, button text)`.
    pub upstreams: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "no_access.html")]
pub struct NoAccessPage<'a> {
    pub client_name: &'a str,
    pub username: &'a str,
    pub request_id: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub detail: Option<&'a str>,
    /// A link back to the app, only ever to a validated redirect.
    pub back_to_app: Option<&'a str>,
    /// The request's id, to quote to the operator (it is in their logs).
    pub request_id: Option<String>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub client_name: &'a str,
    /// Links to the app's home page, privacy policy and terms.
    pub info: crate::domain::ClientInfo,
    pub account: &'a str,
    pub scopes: Vec<&'static str>,
    pub request_id: &'a str,
    pub csrf: String,
}

pub struct AccountChoice {
    pub handle: crate::domain::SessionHandle,
    pub name: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "select_account.html")]
pub struct SelectAccountPage<'a> {
    pub client_name: &'a str,
    pub accounts: Vec<AccountChoice>,
    pub request_id: &'a str,
    pub csrf: String,
}

pub struct SessionView {
    pub handle: crate::domain::SessionHandle,
    pub device: String,
    pub location: String,
    pub signed_in: String,
    pub last_seen: String,
    pub apps: Vec<String>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub name: &'a str,
    pub username: &'a str,
    /// Links to the developer portal.
    pub developer: bool,
    pub sessions: Vec<SessionView>,
    pub factors: super::factor_views::FactorsView,
    pub csrf: String,
    /// The other accounts signed in on this browser: `(session handle, username)`.
    pub others: Vec<(String, String)>,
    /// Each upstream provider, and what of it is linked.
    pub upstreams: Vec<UpstreamView>,
    /// An upstream account may be unlinked (another way in remains).
    pub can_unlink: bool,
}

/// An upstream provider on the account page.
pub struct UpstreamView {
    pub name: String,
    pub display_name: String,
    /// `(issuer, subject, linked when)` when an account there is linked.
    pub linked: Option<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
pub struct ForgotPasswordPage<'a> {
    pub csrf: String,
    /// The request was taken: the same answer whether an account matched.
    pub sent: bool,
    pub minutes: u64,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
pub struct ResetPasswordPage<'a> {
    pub csrf: String,
    pub token: &'a str,
    pub username: &'a str,
    /// Ask for an authenticator or recovery code.
    pub code: bool,
    /// The account's only second factor is a key this page cannot use.
    pub key_only: bool,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage<'a> {
    pub csrf: String,
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    /// Signed in recently: the current password may be left out.
    pub recent: bool,
    /// The account's password is the directory's (LDAP): changed there.
    pub password_in_directory: bool,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "confirm_email.html")]
pub struct ConfirmEmailPage<'a> {
    pub csrf: String,
    pub token: &'a str,
    pub username: &'a str,
    pub address: &'a str,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage<'a> {
    pub csrf: String,
    /// `/signup`, or `/invitation` for an invitation.
    pub action: &'a str,
    /// The invitation's link token; empty for a sign-up.
    pub token: &'a str,
    /// The address an invitation was sent to.
    pub invited: Option<&'a str>,
    pub username: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub sent: bool,
    pub error: Option<&'a str>,
    /// For an invitation: the upstreams it may be accepted with (name,
    /// button text).
    pub upstreams: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "signup_confirm.html")]
pub struct SignupConfirmPage<'a> {
    pub csrf: String,
    pub token: &'a str,
    pub username: &'a str,
    pub address: &'a str,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "verify_email.html")]
pub struct VerifyEmailPage<'a> {
    pub csrf: String,
    pub request_id: &'a str,
    pub client_name: &'a str,
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub sent: bool,
}

#[derive(Template)]
#[template(path = "access_needed.html")]
pub struct AccessNeededPage<'a> {
    pub csrf: String,
    pub username: &'a str,
    /// Accounts on this browser that have the role: `(session handle, username)`.
    pub developers: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub service: &'a str,
    pub issuer: &'a str,
    pub signup: bool,
}

#[derive(Template)]
#[template(path = "password_reset_done.html")]
pub struct PasswordResetDonePage;

#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage<'a> {
    pub message: &'a str,
    /// Front-channel logout URLs, loaded in hidden frames.
    pub frames: Vec<String>,
    /// Where to continue once they loaded (a trusted, validated redirect).
    pub continue_to: Option<String>,
    /// A registered URI of an app whose request was not confirmed, and the
    /// app's name: offered as a link, never followed by itself.
    pub return_to: Option<(String, String)>,
    /// Another account is still signed in on this browser.
    pub still_signed_in: bool,
    /// Upstream providers the ended sessions came from: signing out there
    /// is offered (it is theirs to do, in the person's browser).
    pub upstream: Vec<crate::federation::UpstreamSignOut>,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    pub client_name: Option<&'a str>,
    pub account: Option<&'a str>,
    /// The other accounts signed in on this browser (offered: sign out of all).
    pub others: Vec<String>,
    pub csrf: String,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// How long to wait, in words: "1 second", "40 seconds", "2 minutes"
/// (rounded up: never shorter than the wait), in the page's language.
pub fn wait_words(secs: u64) -> String {
    match secs {
        0..=59 => crate::ui::t_with("duration-seconds", "count", secs.max(1)),
        60..=3599 => crate::ui::t_with("duration-minutes", "count", secs.div_ceil(60)),
        _ => duration_words(secs),
    }
}

/// "3 min ago"-style time, from Unix seconds.
pub fn time_ago(then: i64, now: i64) -> String {
    let seconds = (now - then).max(0);
    match seconds {
        0..=59 => crate::ui::t("time-just-now"),
        60..=3599 => crate::ui::t_with("time-minutes-ago", "count", seconds / 60),
        3600..=86_399 => crate::ui::t_with("time-hours-ago", "count", seconds / 3600),
        _ => crate::ui::t_with("time-days-ago", "count", seconds / 86_400),
    }
}

/// A duration in plain words: "1 hour", "7 days" (rounded down).
pub fn duration_words(secs: u64) -> String {
    match secs {
        0..=3599 => crate::ui::t_with("duration-minutes", "count", (secs / 60).max(1)),
        3600..=86_399 => crate::ui::t_with("duration-hours", "count", secs / 3600),
        _ => crate::ui::t_with("duration-days", "count", secs / 86_400),
    }
}

/// One application in the developer's list.
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub kind: &'static str,
    pub redirect: String,
    pub path: String,
}

impl From<&crate::domain::Client> for ClientRow {
    fn from(client: &crate::domain::Client) -> Self {
        let id: String = url::form_urlencoded::byte_serialize(client.client_id.as_str().as_bytes()).collect();
        ClientRow {
            client_id: client.client_id.to_string(),
            name: client.name.clone(),
            kind: AppKind::of(client).label(),
            redirect: client
                .redirect_uris
                .first()
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
            path: format!("/developer/clients/{id}"),
        }
    }
}

#[derive(Template)]
#[template(path = "developer.html")]
pub struct DeveloperPage<'a> {
    pub username: &'a str,
    pub admin: bool,
    pub clients: Vec<ClientRow>,
    pub notice: Option<&'a str>,
    /// Other accounts on this browser, `(handle, username)`, to switch to.
    pub others: Vec<(String, String)>,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "developer_client.html")]
pub struct ClientFormPage<'a> {
    /// `None` when registering a new application.
    pub client_id: Option<&'a str>,
    pub has_secret: bool,
    pub form: ClientForm,
    pub error: Option<FieldError>,
    pub notice: Option<&'a str>,
    pub csrf: String,
}

impl ClientFormPage<'_> {
    /// The message for one field, shown next to it.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == Some(field))
            .map(|e| e.message.as_str())
    }

    pub fn kinds(&self) -> [(&'static str, &'static str, bool); 3] {
        [AppKind::Web, AppKind::Spa, AppKind::Native].map(|k| (k.as_str(), k.label(), self.form.kind == k.as_str()))
    }
}

#[derive(Template)]
#[template(path = "developer_credentials.html")]
pub struct CredentialsPage<'a> {
    pub name: &'a str,
    pub client_id: &'a str,
    pub secret: Option<&'a str>,
    pub grace_note: Option<String>,
    pub issuer: &'a str,
    pub redirect_uris: Vec<String>,
    pub manage: String,
}

#[derive(Template)]
#[template(path = "form_post.html")]
pub struct FormPostPage<'a> {
    pub action: &'a str,
    pub fields: &'a [(&'a str, &'a str)],
}

/// Renders a page with `status`; a template failure becomes a plain 500.
pub fn render(template: &impl Template, status: StatusCode) -> HttpResponse {
    match template.render() {
        Ok(html) => HttpResponse::build(status).content_type(ContentType::html()).body(html),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// `GET /static/{file}`: Sesame's files and the theme's. Links carry the
/// file's fingerprint (`?v=`), so a link with the current one may be cached
/// for good; any other is revalidated by its `ETag`.
pub async fn static_file(
    req: actix_web::HttpRequest,
    file: web::Path<String>,
    services: web::Data<crate::startup::Services>,
) -> HttpResponse {
    let Some(found) = services.look.brand.files.get(file.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let etag = format!("\"{}\"", found.version);
    let fingerprinted = crate::oidc::params::Params::parse(req.query_string())
        .ok()
        .and_then(|params| params.get("v").map(|v| v == found.version))
        .unwrap_or(false);
    let cache = if fingerprinted {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache));
    if unchanged {
        return response.finish();
    }
    response
        .insert_header((header::CONTENT_TYPE, found.content_type))
        .body(found.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(40), "40 seconds");
        assert_eq!(wait_words(60), "1 minute");
        assert_eq!(wait_words(61), "2 minutes");
        assert_eq!(wait_words(7200), "2 hours");
        assert_eq!(duration_words(90), "1 minute");
        assert_eq!(duration_words(1800), "30 minutes");
        assert_eq!(time_ago(0, 7200), "2 h ago");
    }

    #[test]
    fn durations_speak_the_pages_language() {
        let german = crate::ui::Voice::new(crate::ui::Look::built_in(), "de".parse().expect("tag"));
        german.speak_now(|| {
            assert_eq!(wait_words(1), "1 Sekunde");
            assert_eq!(wait_words(61), "2 Minuten");
            assert_eq!(duration_words(86_400 * 7), "7 Tage");
        });
    }
}
