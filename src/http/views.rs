//! The pages people see (askama templates) and the static files they use.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    /// The app being signed in to; `None` when signing in to the account page.
    pub client_name: Option<&'a str>,
    pub request_id: &'a str,
    pub csrf: String,
    pub username: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub detail: Option<&'a str>,
    /// A link back to the app, only ever to a validated redirect.
    pub back_to_app: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub client_name: &'a str,
    pub account: &'a str,
    pub scopes: Vec<&'static str>,
    pub request_id: &'a str,
    pub csrf: String,
}

pub struct AccountChoice {
    pub handle: String,
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
    pub handle: String,
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
    pub sessions: Vec<SessionView>,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage<'a> {
    pub message: &'a str,
    /// Front-channel logout URLs, loaded in hidden frames.
    pub frames: Vec<String>,
    /// Where to continue once they loaded (a validated redirect).
    pub continue_to: Option<String>,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    pub client_name: Option<&'a str>,
    pub account: Option<&'a str>,
    pub csrf: String,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// What a scope lets an app do, in plain words.
pub fn scope_description(scope: &str) -> &'static str {
    match scope {
        "openid" => "Know who you are when you sign in",
        "profile" => "See your name and username",
        "email" => "See your email address",
        "offline_access" => "Stay connected to your account when you are not using it",
        _ => "Use a permission of this server",
    }
}

/// "3 minutes ago"-style time, from Unix seconds.
pub fn time_ago(then: i64, now: i64) -> String {
    let seconds = (now - then).max(0);
    match seconds {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", seconds / 60),
        3600..=86_399 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86_400),
    }
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

/// The files under `static/`, built into the binary so it runs from any folder.
pub async fn static_file(file: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match file.as_str() {
        "sesame.css" => (include_str!("../../static/sesame.css"), "text/css; charset=utf-8"),
        "form_post.js" => (
            include_str!("../../static/form_post.js"),
            "text/javascript; charset=utf-8",
        ),
        "logout.js" => (include_str!("../../static/logout.js"), "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
