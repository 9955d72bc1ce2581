//! The HTTP layer: actix handlers that parse the request, call the protocol
//! in `oidc`, and render the result. No protocol decisions are made here.

mod account;
mod account_profile;
mod account_security;
mod admin_console;
mod admin_views;
mod authorize;
mod consent;
mod cookies;
mod csrf;
mod developer;
mod developer_form;
mod discovery;
mod end_session;
mod explain;
mod extract;
mod factor_views;
mod finish_sign_in;
mod gateway;
mod health;
mod language;
mod login;
mod management_api;
pub mod metrics;
mod no_access;
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
mod upstream;
mod userinfo;
mod verify_email;
mod views;
mod webauthn;

use actix_web::web;

pub use discovery::DiscoveryDocument;
pub use request_span::RequestSpan;
pub use security::security_headers;
pub use server::{Application, Listeners};

/// One resource per path, with its methods: a method it does not serve is
/// answered 405 with `Allow` (a page for a browser, JSON otherwise), never
/// the 404 of an unknown path.
macro_rules! serve {
    ($cfg:expr, $path:expr, $($method:ident => $handler:expr),+ $(,)?) => {
        $cfg.service(
            web::resource($path)
                $(.route(web::$method().to($handler)))+
                .default_service(web::to(|req: actix_web::HttpRequest| async move {
                    pages::method_not_allowed(&req, &[$(stringify!($method)),+])
                })),
        );
    };
}

/// The one route table. Routes are tried in order: the protocol endpoints
/// apps call most come first, and patterns with a `{parameter}` (matched by
/// regular expression) last, so the hot paths never pay for them.
pub fn routes(cfg: &mut web::ServiceConfig) {
    serve!(cfg, "/token", post => token::exchange);
    // A proxy asks with any method (Envoy with the request's own).
    cfg.service(web::resource("/gateway/auth-request").to(gateway::auth_request));
    cfg.service(web::resource("/gateway/forward-auth").to(gateway::forward_auth));
    serve!(cfg, "/userinfo", get => userinfo::get, post => userinfo::post);
    serve!(cfg, "/authorize", get => authorize::get, post => authorize::post);
    serve!(cfg, "/.well-known/openid-configuration", get => discovery::configuration);
    serve!(cfg, "/jwks", get => discovery::jwks);
    serve!(cfg, "/revoke", post => revocation::revoke);
    serve!(cfg, "/introspect", post => revocation::introspect);
    serve!(cfg, "/authorize/cancel", get => authorize::cancel);
    serve!(cfg, "/authorize/no-access", get => no_access::show);
    serve!(cfg, "/login", get => login::show, post => login::submit);
    serve!(cfg, "/consent", get => consent::show, post => consent::submit);
    serve!(cfg, "/select-account", get => select_account::show, post => select_account::submit);
    serve!(cfg, "/select-account/forget", post => select_account::forget);
    serve!(cfg, "/signup", get => signup::show, post => signup::submit);
    serve!(cfg, "/signup/confirm", get => signup::confirm_page, post => signup::confirm);
    serve!(cfg, "/invitation", get => signup::invitation_page, post => signup::accept);
    serve!(cfg, "/login/forgot", get => password_reset::forgot_page, post => password_reset::forgot);
    serve!(cfg, "/login/reset", get => password_reset::reset_page, post => password_reset::reset);
    serve!(cfg, "/login/second-factor", get => second_factor::show, post => second_factor::submit);
    serve!(cfg, "/login/finish", post => finish_sign_in::finish_form);
    serve!(cfg, "/login/verify-email", get => verify_email::show, post => verify_email::submit);
    serve!(cfg, "/login/passkey/start", post => webauthn::passkey_start);
    serve!(cfg, "/login/passkey/finish", post => webauthn::passkey_finish);
    serve!(cfg, "/login/second-factor/key/start", post => webauthn::second_factor_start);
    serve!(cfg, "/login/second-factor/key/finish", post => webauthn::second_factor_finish);
    serve!(cfg, "/account/webauthn/start", post => webauthn::register_start);
    serve!(cfg, "/account/webauthn/finish", post => webauthn::register_finish);
    serve!(cfg, "/account/webauthn/remove", post => webauthn::remove);
    serve!(cfg, "/account", get => account::show);
    serve!(cfg, "/account/profile", get => account_profile::show);
    serve!(cfg, "/account/profile/name", post => account_profile::change_name);
    serve!(cfg, "/account/profile/email", post => account_profile::change_email);
    serve!(cfg, "/account/profile/password", post => account_profile::change_password);
    serve!(cfg, "/account/email/confirm", get => account_profile::confirm_page, post => account_profile::confirm);
    serve!(cfg, "/account/totp", get => account_security::show_totp, post => account_security::confirm_totp);
    serve!(cfg, "/account/totp/remove", post => account_security::remove_totp);
    serve!(cfg, "/account/upstreams/link", post => upstream::link);
    serve!(cfg, "/account/upstreams/unlink", post => upstream::unlink);
    serve!(cfg, "/account/recovery-codes", post => account_security::new_recovery_codes);
    serve!(cfg, "/account/confirm", get => account_security::show_confirm, post => account_security::confirm);
    serve!(cfg, "/account/confirm/upstream", post => upstream::confirm);
    serve!(cfg, "/account/confirm/passkey/start", post => webauthn::confirm_start);
    serve!(cfg, "/account/confirm/passkey/finish", post => webauthn::confirm_finish);
    serve!(cfg, "/account/sessions/end", post => account::end_session);
    serve!(cfg, "/account/switch", post => account::switch);
    serve!(cfg, "/account/sessions/end-browser", post => account::end_browser_sessions);
    serve!(cfg, "/account/sessions/end-others", post => account::end_other_sessions);
    serve!(cfg, "/end_session", get => end_session::get, post => end_session::post);
    serve!(cfg, "/end_session/confirm", post => end_session::confirm);
    serve!(cfg, "/register", post => registration::register);
    serve!(cfg, "/developer", get => developer::list);
    serve!(cfg, "/developer/clients", post => developer::create);
    serve!(cfg, "/developer/clients/new", get => developer::new_form);
    serve!(cfg, "/admin", get => admin_console::home);
    serve!(cfg, "/admin/users", get => admin_console::users, post => admin_console::create_user);
    serve!(cfg, "/admin/user", get => admin_console::user, post => admin_console::change_user);
    serve!(cfg, "/admin/groups", get => admin_console::groups, post => admin_console::change_groups);
    serve!(cfg, "/admin/group", get => admin_console::group, post => admin_console::change_group);
    serve!(cfg, "/admin/audit", get => admin_console::audit);
    serve!(cfg, "/admin/keys", get => admin_console::keys, post => admin_console::change_keys);
    serve!(cfg, "/admin/clients", get => admin_console::clients, post => admin_console::change_client);
    serve!(cfg, "/admin/api/users", get => management_api::users);
    serve!(cfg, "/admin/api/user", get => management_api::user);
    serve!(cfg, "/admin/api/groups", get => management_api::groups);
    serve!(cfg, "/admin/api/group", get => management_api::group);
    serve!(cfg, "/admin/api/clients", get => management_api::clients);
    serve!(cfg, "/admin/api/keys", get => management_api::keys);
    serve!(cfg, "/admin/api/audit", get => management_api::audit);
    serve!(cfg, "/admin/api/deliveries", get => management_api::deliveries);
    serve!(cfg, "/admin/api/registration-tokens", get => management_api::registration_tokens);
    serve!(cfg, "/admin/api/commands", post => management_api::command);
    serve!(cfg, "/admin/deliveries", get => admin_console::deliveries, post => admin_console::change_deliveries);
    serve!(
        cfg,
        "/admin/registration-tokens",
        get => admin_console::registration_tokens,
        post => admin_console::change_registration_tokens
    );
    serve!(cfg, "/healthz", get => health::live);
    serve!(cfg, "/readyz", get => health::ready);
    serve!(cfg, "/login/upstream-callback", get => upstream::callback);
    // Patterns with parameters.
    serve!(cfg, "/login/upstream/{name}", get => upstream::begin);
    serve!(cfg, "/login/upstream/{name}/backchannel-logout", post => upstream::backchannel_logout);
    serve!(cfg, "/gateway/start", get => gateway::start);
    serve!(cfg, "/gateway/keys", get => discovery::gateway_keys);
    cfg.service(web::resource("/gateway/ext-authz/{tail:.*}").to(gateway::ext_authz));
    serve!(cfg, "/register/{client_id}", get => registration::read, put => registration::update, delete => registration::delete);
    serve!(cfg, "/developer/clients/{client_id}", get => developer::show, post => developer::update);
    serve!(cfg, "/developer/clients/{client_id}/rotate-secret", post => developer::rotate_secret);
    serve!(cfg, "/developer/clients/{client_id}/delete", post => developer::delete);
    serve!(cfg, "/static/{file}", get => views::static_file);
    serve!(cfg, "/", get => pages::home);
    cfg.default_service(web::to(pages::not_found));
}
