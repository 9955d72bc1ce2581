//! The portal's client form: what a developer typed, kept as typed so a
//! refused form comes back unchanged, and its mapping to client metadata.

use crate::admin::{MetadataError, NewClient};
use crate::domain::{ApplicationType, AuthMethod, Client};
use crate::oidc::params::Params;

/// The kinds of app the form offers, each a pair of metadata values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppKind {
    /// A server-side web app: https redirects, a client secret.
    Web,
    /// A single-page app in the browser: no secret, PKCE.
    Spa,
    /// A mobile or desktop app (RFC 8252): no secret, PKCE, app schemes or loopback.
    Native,
}

impl AppKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Web => "web",
            AppKind::Spa => "spa",
            AppKind::Native => "native",
        }
    }

    fn parse(s: &str) -> AppKind {
        match s {
            "spa" => AppKind::Spa,
            "native" => AppKind::Native,
            _ => AppKind::Web,
        }
    }

    pub fn of(client: &Client) -> AppKind {
        Self::from_metadata(client.application_type, client.auth_method)
    }

    fn from_metadata(app: ApplicationType, auth_method: AuthMethod) -> AppKind {
        match (app, auth_method) {
            (ApplicationType::Native, _) => AppKind::Native,
            (ApplicationType::Web, AuthMethod::None) => AppKind::Spa,
            _ => AppKind::Web,
        }
    }

    /// The message (`templates/locales`) naming it on pages.
    pub fn label(self) -> &'static str {
        match self {
            AppKind::Web => "kind-web",
            AppKind::Spa => "kind-spa",
            AppKind::Native => "kind-native",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ClientForm {
    pub name: String,
    pub kind: String,
    /// One URI per line.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: String,
    pub frontchannel_logout_uri: String,
    pub client_uri: String,
    pub logo_uri: String,
    pub policy_uri: String,
    pub tos_uri: String,
    /// Separated by commas or lines.
    pub contacts: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

impl ClientForm {
    pub fn from_params(params: &Params) -> ClientForm {
        let field = |name: &str| params.get(name).unwrap_or("").to_string();
        ClientForm {
            name: field("name"),
            kind: AppKind::parse(params.get("kind").unwrap_or("web")).as_str().to_string(),
            redirect_uris: field("redirect_uris"),
            post_logout_redirect_uris: field("post_logout_redirect_uris"),
            backchannel_logout_uri: field("backchannel_logout_uri"),
            frontchannel_logout_uri: field("frontchannel_logout_uri"),
            client_uri: field("client_uri"),
            logo_uri: field("logo_uri"),
            policy_uri: field("policy_uri"),
            tos_uri: field("tos_uri"),
            contacts: field("contacts"),
        }
    }

    pub fn from_client(client: &Client) -> ClientForm {
        let joined =
            |uris: &[crate::domain::RedirectUri]| uris.iter().map(|u| u.as_str()).collect::<Vec<_>>().join("\n");
        ClientForm {
            name: client.name.clone(),
            kind: AppKind::of(client).as_str().to_string(),
            redirect_uris: joined(&client.redirect_uris),
            post_logout_redirect_uris: joined(&client.post_logout_redirect_uris),
            backchannel_logout_uri: client.backchannel_logout_uri.clone().unwrap_or_default(),
            frontchannel_logout_uri: client.frontchannel_logout_uri.clone().unwrap_or_default(),
            client_uri: client.info.client_uri.clone().unwrap_or_default(),
            logo_uri: client.info.logo_uri.clone().unwrap_or_default(),
            policy_uri: client.info.policy_uri.clone().unwrap_or_default(),
            tos_uri: client.info.tos_uri.clone().unwrap_or_default(),
            contacts: client.info.contacts.join(", "),
        }
    }

    /// The form over `base` (a new client, or the client being edited): the
    /// form's fields replace; what it does not show stays.
    pub fn apply_to(self, mut base: NewClient) -> NewClient {
        let kind = AppKind::parse(&self.kind);
        let was = base
            .application_type
            .zip(base.auth_method)
            .map(|(app, method)| AppKind::from_metadata(app, method));
        // Only a change of kind changes how the client authenticates, so an
        // app set up for client_secret_post or private_key_jwt keeps it.
        if was != Some(kind) {
            base.public = false;
            base.application_type = Some(match kind {
                AppKind::Native => ApplicationType::Native,
                _ => ApplicationType::Web,
            });
            base.auth_method = Some(match kind {
                AppKind::Web => AuthMethod::ClientSecretBasic,
                AppKind::Spa | AppKind::Native => AuthMethod::None,
            });
            if kind != AppKind::Web {
                base.jwks = None;
                base.jwks_uri = None;
                base.grant_types.retain(|g| g != "client_credentials");
            }
        }
        base.name = self.name;
        base.redirect_uris = lines(&self.redirect_uris);
        base.post_logout_redirect_uris = lines(&self.post_logout_redirect_uris);
        base.backchannel_logout_uri = optional(&self.backchannel_logout_uri);
        if base.backchannel_logout_uri.is_none() {
            base.backchannel_logout_session_required = false;
        }
        base.frontchannel_logout_uri = optional(&self.frontchannel_logout_uri);
        if base.frontchannel_logout_uri.is_none() {
            base.frontchannel_logout_session_required = false;
        }
        base.info.client_uri = optional(&self.client_uri);
        base.info.logo_uri = optional(&self.logo_uri);
        base.info.policy_uri = optional(&self.policy_uri);
        base.info.tos_uri = optional(&self.tos_uri);
        base.info.contacts = self
            .contacts
            .split([',', '\n'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        base
    }
}

/// A message for the form: next to a field, or at the top.
#[derive(Clone, Debug)]
pub struct FieldError {
    /// The form field, or `None` for the form as a whole.
    pub field: Option<&'static str>,
    pub message: String,
}

impl FieldError {
    pub fn on(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn general(message: impl Into<String>) -> Self {
        FieldError {
            field: None,
            message: message.into(),
        }
    }

    /// A metadata rule's message, placed on the form field it is about.
    pub fn from_metadata(error: &MetadataError) -> Self {
        let field = match error.field {
            "client_name" => Some("name"),
            "application_type" | "token_endpoint_auth_method" | "grant_types" | "response_types" => Some("kind"),
            "redirect_uris" => Some("redirect_uris"),
            "post_logout_redirect_uris" => Some("post_logout_redirect_uris"),
            "backchannel_logout_uri" => Some("backchannel_logout_uri"),
            "frontchannel_logout_uri" => Some("frontchannel_logout_uri"),
            "client_uri" => Some("client_uri"),
            "logo_uri" => Some("logo_uri"),
            "policy_uri" => Some("policy_uri"),
            "tos_uri" => Some("tos_uri"),
            "contacts" => Some("contacts"),
            _ => None,
        };
        FieldError {
            field,
            message: error.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let encoded: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Params::parse(&encoded).unwrap()
    }

    #[test]
    fn the_kind_of_app_sets_how_it_authenticates() {
        let form = ClientForm::from_params(&params(&[
            ("name", "Phone"),
            ("kind", "native"),
            ("redirect_uris", "com.example.phone:/cb\n\n http://127.0.0.1/cb "),
            ("contacts", "a@x.example, b@x.example"),
        ]));
        let new = form.apply_to(NewClient::default());
        assert_eq!(new.application_type, Some(ApplicationType::Native));
        assert_eq!(new.auth_method, Some(AuthMethod::None));
        assert_eq!(new.redirect_uris, ["com.example.phone:/cb", "http://127.0.0.1/cb"]);
        assert_eq!(new.info.contacts, ["a@x.example", "b@x.example"]);
    }

    #[test]
    fn an_unchanged_kind_keeps_the_auth_method() {
        let base = NewClient {
            application_type: Some(ApplicationType::Web),
            auth_method: Some(AuthMethod::ClientSecretPost),
            ..NewClient::default()
        };
        let form = ClientForm::from_params(&params(&[("name", "A"), ("kind", "web")]));
        assert_eq!(form.apply_to(base).auth_method, Some(AuthMethod::ClientSecretPost));
    }
}
