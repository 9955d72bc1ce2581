//! The HTTP layer: actix handlers that parse the request, call the protocol
//! in `oidc`, and render the result. No protocol decisions are made here.

mod account;
mod account_profile;
mod account_security;
mod authorize;
mod consent;
mod cookies;
mod csrf;
mod developer;
mod developer_form;
mod discovery;
mod end_session;
mod extract;
mod factor_views;
mod finish_sign_in;
mod health;
mod login;
pub mod metrics;
mod outcome;
mod pages;
mod password_reset;
mod registration;
mod request_span;
mod respond;
mod revocation;
mod second_factor;
mod security;
mod select_account;
mod server;
mod signup;
mod token;
mod userinfo;
mod verify_email;
mod views;
mod webauthn;

use actix_web::web;

pub use discovery::DiscoveryDocument;
pub use request_span::RequestSpan;
pub use security::security_headers;
pub use server::Application;

/// The one route table. Routes are tried in order: the protocol endpoints
/// apps call most come first, and patterns with a `{parameter}` (matched by
/// regular expression) last, so the hot paths never pay for them.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/token", web::post().to(token::exchange))
        .route("/userinfo", web::get().to(userinfo::get))
        .route("/userinfo", web::post().to(userinfo::post))
        .route("/authorize", web::get().to(authorize::get))
        .route("/authorize", web::post().to(authorize::post))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(discovery::configuration),
        )
        .route("/jwks", web::get().to(discovery::jwks))
        .route("/revoke", web::post().to(revocation::revoke))
        .route("/introspect", web::post().to(revocation::introspect))
        .route("/authorize/cancel", web::get().to(authorize::cancel))
        .route("/login", web::get().to(login::show))
        .route("/login", web::post().to(login::submit))
        .route("/consent", web::get().to(consent::show))
        .route("/consent", web::post().to(consent::submit))
        .route("/select-account", web::get().to(select_account::show))
        .route("/select-account", web::post().to(select_account::submit))
        .route("/select-account/forget", web::post().to(select_account::forget))
        .route("/signup", web::get().to(signup::show))
        .route("/signup", web::post().to(signup::submit))
        .route("/signup/confirm", web::get().to(signup::confirm_page))
        .route("/signup/confirm", web::post().to(signup::confirm))
        .route("/invitation", web::get().to(signup::invitation_page))
        .route("/invitation", web::post().to(signup::accept))
        .route("/login/forgot", web::get().to(password_reset::forgot_page))
        .route("/login/forgot", web::post().to(password_reset::forgot))
        .route("/login/reset", web::get().to(password_reset::reset_page))
        .route("/login/reset", web::post().to(password_reset::reset))
        .route("/login/second-factor", web::get().to(second_factor::show))
        .route("/login/second-factor", web::post().to(second_factor::submit))
        .route("/login/finish", web::post().to(finish_sign_in::finish_form))
        .route("/login/verify-email", web::get().to(verify_email::show))
        .route("/login/verify-email", web::post().to(verify_email::submit))
        .route("/login/passkey/start", web::post().to(webauthn::passkey_start))
        .route("/login/passkey/finish", web::post().to(webauthn::passkey_finish))
        .route(
            "/login/second-factor/key/start",
            web::post().to(webauthn::second_factor_start),
        )
        .route(
            "/login/second-factor/key/finish",
            web::post().to(webauthn::second_factor_finish),
        )
        .route("/account/webauthn/start", web::post().to(webauthn::register_start))
        .route("/account/webauthn/finish", web::post().to(webauthn::register_finish))
        .route("/account/webauthn/remove", web::post().to(webauthn::remove))
        .route("/account", web::get().to(account::show))
        .route("/account/profile", web::get().to(account_profile::show))
        .route("/account/profile/name", web::post().to(account_profile::change_name))
        .route("/account/profile/email", web::post().to(account_profile::change_email))
        .route(
            "/account/profile/password",
            web::post().to(account_profile::change_password),
        )
        .route("/account/email/confirm", web::get().to(account_profile::confirm_page))
        .route("/account/email/confirm", web::post().to(account_profile::confirm))
        .route("/account/totp", web::get().to(account_security::show_totp))
        .route("/account/totp", web::post().to(account_security::confirm_totp))
        .route("/account/totp/remove", web::post().to(account_security::remove_totp))
        .route(
            "/account/recovery-codes",
            web::post().to(account_security::new_recovery_codes),
        )
        .route("/account/confirm", web::get().to(account_security::show_confirm))
        .route("/account/confirm", web::post().to(account_security::confirm))
        .route("/account/sessions/end", web::post().to(account::end_session))
        .route("/account/switch", web::post().to(account::switch))
        .route(
            "/account/sessions/end-browser",
            web::post().to(account::end_browser_sessions),
        )
        .route(
            "/account/sessions/end-others",
            web::post().to(account::end_other_sessions),
        )
        .route("/end_session", web::get().to(end_session::get))
        .route("/end_session", web::post().to(end_session::post))
        .route("/end_session/confirm", web::post().to(end_session::confirm))
        .route("/register", web::post().to(registration::register))
        .route("/developer", web::get().to(developer::list))
        .route("/developer/clients", web::post().to(developer::create))
        .route("/developer/clients/new", web::get().to(developer::new_form))
        .route("/healthz", web::get().to(health::live))
        .route("/readyz", web::get().to(health::ready))
        // Patterns with parameters.
        .route("/register/{client_id}", web::get().to(registration::read))
        .route("/register/{client_id}", web::put().to(registration::update))
        .route("/register/{client_id}", web::delete().to(registration::delete))
        .route("/developer/clients/{client_id}", web::get().to(developer::show))
        .route("/developer/clients/{client_id}", web::post().to(developer::update))
        .route(
            "/developer/clients/{client_id}/rotate-secret",
            web::post().to(developer::rotate_secret),
        )
        .route(
            "/developer/clients/{client_id}/delete",
            web::post().to(developer::delete),
        )
        .route("/static/{file}", web::get().to(views::static_file))
        .route("/", web::get().to(pages::home))
        .default_service(web::to(pages::not_found));
}
