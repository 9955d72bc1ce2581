//! Typed configuration: the annotated built-in defaults (`defaults.toml`),
//! then an optional file, then `SESAME_*` environment variables.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;
use url::Url;

/// The annotated default configuration; also what `sesame config defaults` prints.
pub const DEFAULTS_TOML: &str = include_str!("defaults.toml");

/// File read when no `--config` is given and it exists in the working directory.
const IMPLICIT_CONFIG_FILE: &str = "sesame.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Every setting is documented, with its default, in `src/defaults.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub issuer: String,
    pub listen: String,
    pub database_url: Secret,
    pub database_max_connections: u32,
    pub redis_url: Secret,
    pub redis_prefix: String,
    pub redis_tls_ca_file: String,
    pub store_journal: PathBuf,
    pub store_journal_flush_ms: u64,
    pub admin_socket: PathBuf,
    pub keys_dir: PathBuf,
    pub log_format: LogFormat,
    pub authorize: AuthorizeSettings,
    pub tokens: TokenSettings,
    pub session: SessionSettings,
    pub login: LoginSettings,
    pub mfa: MfaSettings,
    pub retention: RetentionSettings,
    pub mail: MailSettings,
    pub password_reset: PasswordResetSettings,
    pub account: AccountSettings,
    pub signup: SignupSettings,
    pub ui: UiSettings,
    pub admin: AdminSettings,
    pub keys: KeySettings,
    pub logout: LogoutSettings,
    pub outbound: OutboundSettings,
    pub registration: RegistrationSettings,
    pub rate_limits: RateLimitSettings,
    pub metrics: MetricsSettings,
    pub http: HttpSettings,
    pub gateway: GatewaySettings,
    /// Upstream identity providers people may sign in with (see `federation/`).
    pub upstreams: Vec<UpstreamSettings>,
    /// A directory people sign in with (see `directory/`).
    pub ldap: LdapSettings,
    /// What loading noticed and ignored (unknown `SESAME_*` variables);
    /// the command says it once logging is set up.
    #[serde(skip)]
    pub load_warnings: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub token_per_client_per_minute: u64,
    pub failed_client_auth_per_client_and_address_per_minute: u64,
    pub failed_client_auth_per_address_per_minute: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    pub listen: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationSettings {
    pub policy: RegistrationPolicy,
    pub max_per_hour: u64,
    pub http_uris: HttpUris,
    pub token_ttl_secs: u64,
}

/// Who may call the registration endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationPolicy {
    /// With an initial access token (RFC 7591 §3).
    Token,
    /// Anyone.
    Open,
}

pub use crate::domain::client_metadata::HttpUris;

/// How long records that have served their purpose are kept.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub audit_days: u64,
    pub logout_notice_days: u64,
    pub every_secs: u64,
    pub batch: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    /// A CA certificate (PEM) trusted for the SMTP server's certificate
    /// besides the system's (a relay with a certificate from a private CA).
    pub smtp_tls_ca_file: String,
    pub smtp_username: String,
    pub smtp_password: Secret,
    pub from: String,
    pub timeout_secs: u64,
    pub poll_secs: u64,
    pub backoff_base_secs: u64,
    pub backoff_max_secs: u64,
    pub give_up_after_secs: u64,
}

impl MailSettings {
    /// No SMTP server: messages are written to the log (development).
    pub fn logs_only(&self) -> bool {
        self.smtp_host.is_empty()
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: a relay on the same machine, or a test sink.
    None,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupSettings {
    pub mode: SignupMode,
    pub invitation_ttl_secs: u64,
    pub link_ttl_secs: u64,
    pub per_address_per_hour: u64,
}

/// The admin console.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// Serve `/admin` (to accounts with the admin role, after a recent
    /// sign-in). Off: the paths do not exist.
    pub enabled: bool,
    /// Rows per page of the users and audit lists.
    pub page_size: u32,
    /// A listener of its own for the console and the management API
    /// (host:port); empty: on the public listener.
    pub listen: String,
}

/// What people see: the product's name, logo, colours and language.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    pub product_name: String,
    pub default_language: String,
    /// An image file (png, svg, jpg, webp) shown above every page's card.
    pub logo: PathBuf,
    /// `#rrggbb`: buttons, links and focus rings.
    pub accent_colour: String,
    /// A folder whose `locales/`, `static/`, `extra.css` and `footer.html`
    /// override or add to the built-in ones (see README, "Branding").
    pub theme_dir: PathBuf,
}

impl UiSettings {
    fn optional(path: &Path) -> Option<&Path> {
        (!path.as_os_str().is_empty()).then_some(path)
    }

    pub fn logo(&self) -> Option<&Path> {
        Self::optional(&self.logo)
    }

    pub fn theme_dir(&self) -> Option<&Path> {
        Self::optional(&self.theme_dir)
    }

    pub fn accent_colour(&self) -> Option<&str> {
        (!self.accent_colour.trim().is_empty()).then_some(self.accent_colour.as_str())
    }
}

/// Who may create an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    /// Operators only (`sesame user add`).
    Closed,
    /// Also people an operator invited (`sesame user invite`).
    Invite,
    /// Also anyone, from the sign-up page, once their address is confirmed.
    Open,
}

/// Which security notices people are mailed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeSettings {
    pub password_changed: bool,
    pub email_change: bool,
    pub factor_changed: bool,
    pub new_browser: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    pub verify_link_ttl_secs: u64,
    pub verify_per_account_per_hour: u64,
    pub notices: NoticeSettings,
    pub require_verified_email: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetSettings {
    pub enabled: bool,
    pub link_ttl_secs: u64,
    pub per_account_per_hour: u64,
    pub per_address_per_hour: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutSettings {
    pub token_ttl_secs: u64,
    pub give_up_after_secs: u64,
    pub backoff_base_secs: u64,
    pub backoff_max_secs: u64,
    pub poll_secs: u64,
    pub delivery_timeout_secs: u64,
    pub max_concurrent_deliveries: u32,
    pub max_concurrent_per_client: u32,
    pub max_pending_per_client: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    pub allow_loopback: bool,
    pub allow_private: bool,
    pub timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    pub rotation_period_secs: u64,
    pub jwks_max_age_secs: u64,
    pub prepublish_margin_secs: u64,
    pub retention_secs: u64,
    pub refresh_secs: u64,
    pub encryption_key: Secret,
}

impl KeySettings {
    /// How long a new key is published before it may sign.
    pub fn prepublish_secs(&self) -> i64 {
        (self.jwks_max_age_secs + self.prepublish_margin_secs) as i64
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeSettings {
    pub request_ttl_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub code_ttl_secs: u64,
    pub access_token_ttl_secs: u64,
    pub id_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub refresh_token_absolute_ttl_secs: u64,
    pub refresh_grace_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_timeout_secs: u64,
    pub absolute_timeout_secs: u64,
    pub max_accounts_per_browser: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    pub throttle_free_attempts: u32,
    pub throttle_address_free_attempts: u32,
    pub throttle_window_secs: u64,
    pub throttle_max_delay_secs: u64,
    pub audit_username: AuditUsername,
    pub account_alert_failures: u32,
    pub device_cookie_days: u64,
}

/// How a failed sign-in names the username that was tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditUsername {
    /// As typed (trimmed, at most 64 characters).
    Plain,
    /// Its SHA-256 digest: the same name gives the same value, the log
    /// does not hold it (people type passwords into username fields).
    Digest,
}

/// Whether a second factor is needed to sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecondFactorPolicy {
    /// Asked of accounts that have one (and of apps or roles that require it).
    Optional,
    /// Everyone: an account without one enrols during sign-in.
    Required,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaSettings {
    pub second_factor: SecondFactorPolicy,
    pub required_for_roles: Vec<crate::domain::Role>,
    pub totp_skew_steps: u32,
    pub totp_failures_per_sign_in: u32,
    pub totp_failures_per_account: u32,
    pub pending_sign_in_secs: u64,
    pub recent_authentication_secs: u64,
}

/// The session gateway: reverse proxies ask Sesame about each request to
/// apps that speak no OpenID Connect (see `gateway/`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    pub enabled: bool,
    /// The parent domains of the protected apps; each also holds Sesame's
    /// own host, so its portal cookie can be set for it.
    pub domains: Vec<String>,
    /// The portal cookie's name (set for each of `domains`).
    pub cookie_name: String,
    /// How long a decision may use the name, address and groups it read
    /// before reading them again.
    pub identity_refresh_secs: u64,
    /// Whether each allowed request also carries a signed identity assertion
    /// (PASETO v4.public, a minute long, for the protected host) in
    /// `headers.assertion`, verifiable with the keys at `/gateway/keys`.
    pub assertion: bool,
    /// How long a verified HTTP Basic credential is remembered (as a keyed
    /// digest), so a script's requests cost no password hash each.
    pub basic_cache_secs: u64,
    pub headers: GatewayHeaders,
    /// In order; the first that matches decides; none: denied.
    pub rules: Vec<GatewayRuleSettings>,
}

/// The names of the identity headers the app behind the proxy receives.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayHeaders {
    pub user: String,
    pub email: String,
    pub name: String,
    pub groups: String,
    /// The signed identity assertion (empty unless `gateway.assertion`).
    pub assertion: String,
}

/// One access rule as written; `gateway::Rules` checks and compiles them.
/// Every condition left empty matches anything.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayRuleSettings {
    /// `wiki.example.com`, or `*.example.com` for any host below it.
    pub hosts: Vec<String>,
    /// Path prefixes (`/api/`).
    pub paths: Vec<String>,
    /// A regular expression the path must match.
    pub path_regex: String,
    /// `GET`, `POST`…
    pub methods: Vec<String>,
    /// Client networks (`10.0.0.0/8`, `2001:db8::/32`, or one address).
    pub networks: Vec<String>,
    /// Only these people…
    pub users: Vec<String>,
    /// …or members of these groups.
    pub groups: Vec<String>,
    /// `bypass`, `one_factor`, `two_factor` or `deny`.
    pub policy: String,
    /// Also accept HTTP Basic (username and password) here, for scripts:
    /// only with `one_factor`, never for an account with a second factor.
    pub basic: bool,
}

/// An LDAP directory as a password and directory backend (`[ldap]` in
/// `defaults.toml` says what each setting does).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapSettings {
    pub enabled: bool,
    pub url: String,
    pub starttls: bool,
    pub ca_file: String,
    pub bind_dn: String,
    pub bind_password: Secret,
    pub base_dn: String,
    pub user_filter: String,
    pub group_base_dn: String,
    pub group_filter: String,
    pub group_name_attribute: String,
    pub group_prefix: String,
    pub order: DirectoryOrder,
    pub pool_size: usize,
    pub timeout_secs: u64,
    pub attributes: LdapAttributes,
}

impl LdapSettings {
    /// What the directory needs when it is on: a URL it can be reached at,
    /// filters holding `{username}` / `{dn}`, a prefix for its groups.
    fn validate(&self) -> Result<(), ConfigError> {
        if !self.enabled {
            return Ok(());
        }
        let invalid = |what: &str| Err(ConfigError::Invalid(format!("ldap.{what}")));
        match Url::parse(&self.url) {
            Ok(url) if matches!(url.scheme(), "ldap" | "ldaps") && url.host_str().is_some() => {}
            _ => return invalid(&format!("url {:?} must be ldap:// or ldaps://", self.url)),
        }
        if self.starttls && self.url.starts_with("ldaps:") {
            return invalid("starttls is for ldap:// (ldaps:// is TLS already)");
        }
        if self.base_dn.trim().is_empty() {
            return invalid("base_dn is required");
        }
        if !self.user_filter.contains("{username}") {
            return invalid("user_filter must hold {username}");
        }
        if !self.group_filter.is_empty() && !self.group_filter.contains("{dn}") {
            return invalid("group_filter must hold {dn} (or be empty: no groups)");
        }
        if crate::domain::GroupName::parse(&format!("{}x", self.group_prefix)).is_err()
            || self.group_prefix.trim().is_empty()
        {
            return invalid("group_prefix must be a non-empty start of a group name (e.g. \"ldap:\")");
        }
        if self.pool_size == 0 || self.timeout_secs == 0 {
            return invalid("pool_size and timeout_secs must be above zero");
        }
        if self.bind_dn.is_empty() != self.bind_password.expose().is_empty() {
            return invalid("bind_dn and bind_password go together (both empty: anonymous search)");
        }
        Ok(())
    }
}

/// Which is asked first for a name typed on the login page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryOrder {
    LocalFirst,
    DirectoryFirst,
}

/// Which attributes of a person's entry Sesame reads.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapAttributes {
    pub id: String,
    pub username: String,
    pub name: String,
    pub email: String,
}

/// One upstream OpenID Connect provider.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    /// In URLs (`/login/upstream/NAME`) and the audit log.
    pub name: String,
    /// On the login page's button.
    pub display_name: String,
    /// Its issuer identifier; its metadata is discovered from it (a plain
    /// OAuth 2.0 provider's is only a name for it, e.g.
    /// `https://github.com`: linked accounts are kept under it).
    pub issuer: String,
    /// `oidc` (discovery, ID tokens) or `oauth2` (no OpenID Connect: the
    /// three endpoints below, and the person read from `userinfo_endpoint`).
    #[serde(default)]
    pub kind: UpstreamKind,
    #[serde(default)]
    pub authorization_endpoint: String,
    #[serde(default)]
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Secret,
    /// How Sesame authenticates at the upstream's token endpoint.
    #[serde(default)]
    pub client_auth: UpstreamClientAuth,
    /// Take the upstream's `amr` (RFC 8176: `mfa`, `otp`, `hwk`…) as how
    /// the person signed in — a second factor there then counts here. Only
    /// for an upstream whose sign-in you vouch for.
    #[serde(default)]
    pub trust_amr: bool,
    #[serde(default = "upstream_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub provisioning: Provisioning,
    #[serde(default)]
    pub claims: UpstreamClaims,
    /// The upstream's groups (`claims.groups`) become Sesame groups named
    /// with this prefix; empty: `"<name>:"`.
    #[serde(default)]
    pub group_prefix: String,
    /// Email domains whose people sign in here: an app's `login_hint` of
    /// `someone@<domain>` goes straight to this upstream.
    #[serde(default)]
    pub domains: Vec<String>,
}

impl UpstreamSettings {
    /// The prefix of the Sesame groups this upstream's groups become.
    pub fn group_prefix(&self) -> String {
        if self.group_prefix.is_empty() {
            format!("{}:", self.name)
        } else {
            self.group_prefix.clone()
        }
    }
}

/// How Sesame proves itself at an upstream's token endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamClientAuth {
    /// `client_secret` in HTTP Basic.
    #[default]
    ClientSecretBasic,
    /// `client_secret` in the form.
    ClientSecretPost,
    /// A JWT signed with Sesame's own RS256 key (RFC 7523); the upstream
    /// reads the key from `<issuer>/jwks`. No secret to share or rotate.
    PrivateKeyJwt,
}

/// How Sesame talks to an upstream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamKind {
    /// OpenID Connect: discovery, ID tokens, userinfo.
    #[default]
    Oidc,
    /// OAuth 2.0 only (GitHub…): configured endpoints, the person from userinfo.
    #[serde(rename = "oauth2")]
    OAuth2,
}

fn upstream_scopes() -> Vec<String> {
    ["openid", "profile", "email"].map(String::from).to_vec()
}

/// What a first sign-in with an upstream account that is linked to no
/// local account does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provisioning {
    /// Creates a local account from the upstream's claims (just in time).
    #[default]
    Allowed,
    /// Only a person who follows an operator's invitation (and chooses
    /// this upstream on its page) gets an account; others are refused.
    Invited,
    /// Refuses: only accounts linked before may sign in this way.
    Off,
}

/// Which of the upstream's claims name the new local account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamClaims {
    /// The person's stable id at the upstream (plain OAuth 2.0 only: an
    /// OpenID Connect upstream's is its ID token's `sub`). GitHub: `id`.
    pub subject: String,
    pub username: String,
    pub name: String,
    pub email: String,
    /// A list of group names; empty: groups are not read.
    pub groups: String,
}

impl Default for UpstreamClaims {
    fn default() -> Self {
        UpstreamClaims {
            subject: "sub".into(),
            username: "preferred_username".into(),
            name: "name".into(),
            email: "email".into(),
            groups: String::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub max_body_bytes: usize,
    pub workers: usize,
    pub shutdown_drain_secs: u64,
    pub access_log: bool,
}

/// A setting that may carry a password (database and Redis URLs): it never
/// shows in `Debug` output or logs.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Settings {
    /// Loads the layered configuration. `file` is the `--config` argument; a
    /// file named there must exist.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut settings: Settings = Self::figment(file)?
            .extract()
            .map_err(|e| ConfigError::Load(Box::new(e)))?;
        settings.validate()?;
        settings.load_warnings = unknown_variables(std::env::vars().map(|(name, _)| name));
        Ok(settings)
    }

    /// Every effective setting as `(key, value, where it came from)`, by
    /// key; secrets masked (`sesame config show`).
    pub fn describe(file: Option<&Path>) -> Result<Vec<(String, String, String)>, ConfigError> {
        let figment = Self::figment(file)?;
        let merged: toml::Table = figment.extract().map_err(|e| ConfigError::Load(Box::new(e)))?;
        let mut rows = Vec::new();
        for key in setting_keys() {
            let Some(value) = lookup(&merged, &key) else { continue };
            let shown = if SECRET_KEYS.contains(&key.as_str()) {
                mask(value)
            } else if key == "upstreams" {
                without_client_secrets(value).to_string()
            } else {
                value.to_string()
            };
            let source = match figment.find_metadata(&key) {
                Some(meta) => match &meta.source {
                    Some(figment::Source::File(path)) => format!("file {}", path.display()),
                    _ if meta.name.contains("environment") => format!("environment {}", variable_of(&key)),
                    _ => "default".to_string(),
                },
                None => "default".to_string(),
            };
            rows.push((key, shown, source));
        }
        Ok(rows)
    }

    /// The defaults, then the file, then `SESAME_*` variables that name a
    /// setting (others are warned about, never fatal: the test suite's own
    /// variables share the prefix).
    fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS_TOML));
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(IMPLICIT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(IMPLICIT_CONFIG_FILE));
            }
            None => {}
        }
        let known = setting_keys();
        let env = Env::prefixed("SESAME_")
            .split("__")
            .filter(move |key| known.iter().any(|k| k.eq_ignore_ascii_case(key.as_str())));
        Ok(figment.merge(env))
    }

    /// The built-in defaults alone, for tests and tools.
    pub fn defaults() -> Settings {
        Figment::from(Toml::string(DEFAULTS_TOML))
            .extract()
            .expect("built-in defaults.toml is valid")
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let issuer =
            Url::parse(&self.issuer).map_err(|e| ConfigError::Invalid(format!("issuer {:?}: {e}", self.issuer)))?;
        // OIDC Discovery 3: the issuer is a case-sensitive https URL with no
        // query or fragment (http is allowed here for development only).
        if !matches!(issuer.scheme(), "https" | "http")
            || issuer.query().is_some()
            || issuer.fragment().is_some()
            || issuer.host_str().is_none()
        {
            return Err(ConfigError::Invalid(format!(
                "issuer {:?} must be an http(s) URL without query or fragment",
                self.issuer
            )));
        }
        if self.issuer.ends_with('/') {
            return Err(ConfigError::Invalid(format!(
                "issuer {:?} must not end with '/'",
                self.issuer
            )));
        }
        for (index, upstream) in self.upstreams.iter().enumerate() {
            let name_ok = !upstream.name.is_empty()
                && upstream
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !name_ok {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{index}].name {:?}: lower-case letters, digits and -",
                    upstream.name
                )));
            }
            if self.upstreams[..index].iter().any(|u| u.name == upstream.name) {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{index}].name {:?} is used twice",
                    upstream.name
                )));
            }
            if Url::parse(&upstream.issuer).map_or(true, |u| !matches!(u.scheme(), "https" | "http")) {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{index}].issuer {:?} is not an http(s) URL",
                    upstream.issuer
                )));
            }
            if upstream.client_id.is_empty() || upstream.display_name.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{index}]: client_id and display_name are required"
                )));
            }
            let endpoints = [
                &upstream.authorization_endpoint,
                &upstream.token_endpoint,
                &upstream.userinfo_endpoint,
            ];
            match upstream.kind {
                UpstreamKind::Oidc if !upstream.scopes.iter().any(|s| s == "openid") => {
                    return Err(ConfigError::Invalid(format!(
                        "upstreams[{index}].scopes must include openid"
                    )));
                }
                UpstreamKind::Oidc if endpoints.iter().any(|e| !e.is_empty()) => {
                    return Err(ConfigError::Invalid(format!(
                        "upstreams[{index}]: an OpenID Connect upstream's endpoints are discovered \
                         (kind = \"oauth2\" for configured ones)"
                    )));
                }
                UpstreamKind::OAuth2
                    if endpoints
                        .iter()
                        .any(|e| Url::parse(e).map_or(true, |u| !matches!(u.scheme(), "https" | "http"))) =>
                {
                    return Err(ConfigError::Invalid(format!(
                        "upstreams[{index}]: kind = \"oauth2\" needs http(s) authorization_endpoint, \
                         token_endpoint and userinfo_endpoint"
                    )));
                }
                _ => {}
            }
            if crate::domain::GroupName::parse(&format!("{}x", upstream.group_prefix())).is_err() {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{index}].group_prefix {:?} cannot start a group name",
                    upstream.group_prefix
                )));
            }
            if upstream.name == crate::domain::DIRECTORY_UPSTREAM {
                return Err(ConfigError::Invalid(format!(
                    "upstreams[{index}].name {:?} is the directory's",
                    upstream.name
                )));
            }
        }
        self.ldap.validate()?;
        if self.tokens.code_ttl_secs == 0
            || self.tokens.access_token_ttl_secs == 0
            || self.tokens.id_token_ttl_secs == 0
            || self.authorize.request_ttl_secs == 0
            || self.session.absolute_timeout_secs == 0
            || self.session.idle_timeout_secs == 0
            || self.session.max_accounts_per_browser == 0
        {
            return Err(ConfigError::Invalid("lifetimes must be above zero".into()));
        }
        let logout = &self.logout;
        if logout.poll_secs == 0
            || self.outbound.timeout_secs == 0
            || logout.backoff_base_secs == 0
            || logout.delivery_timeout_secs == 0
            || logout.max_concurrent_deliveries == 0
            || logout.max_concurrent_per_client == 0
            || logout.max_pending_per_client == 0
        {
            return Err(ConfigError::Invalid(
                "logout.poll_secs, backoff_base_secs, delivery_timeout_secs, max_concurrent_deliveries, \
                 max_concurrent_per_client, max_pending_per_client and outbound.timeout_secs must be above zero"
                    .into(),
            ));
        }
        let keys = &self.keys;
        if keys.retention_secs < self.tokens.id_token_ttl_secs {
            return Err(ConfigError::Invalid(
                "keys.retention_secs must be at least tokens.id_token_ttl_secs".into(),
            ));
        }
        if keys.refresh_secs == 0 || keys.refresh_secs > keys.prepublish_margin_secs {
            return Err(ConfigError::Invalid(
                "keys.refresh_secs must be above zero and at most keys.prepublish_margin_secs, \
                 so every node loads a new key before it signs"
                    .into(),
            ));
        }
        if keys.rotation_period_secs <= keys.prepublish_secs() as u64 {
            return Err(ConfigError::Invalid(
                "keys.rotation_period_secs must exceed jwks_max_age_secs + prepublish_margin_secs".into(),
            ));
        }
        Ok(())
    }

    /// On this machine, an issuer whose port is not the one listened on:
    /// discovery would send apps to a port nobody answers (behind a proxy
    /// elsewhere the two differ by design, so only local issuers count).
    fn port_disagreement(&self) -> Option<String> {
        let issuer = Url::parse(&self.issuer).ok()?;
        let local = matches!(issuer.host_str()?, "localhost" | "127.0.0.1" | "[::1]");
        let issuer_port = issuer.port_or_known_default()?;
        let listen_port: u16 = self.listen.rsplit_once(':')?.1.parse().ok()?;
        (local && listen_port != 0 && issuer_port != listen_port).then(|| {
            format!(
                "issuer {} names port {issuer_port} but listen is {}: apps will be sent to a port this node does not \
                 answer; set issuer to match (unless a proxy on this machine forwards {issuer_port} to {listen_port})",
                self.issuer, self.listen
            )
        })
    }

    /// Where the durable data lives, for the start-up line: the SQLite
    /// file, or the PostgreSQL host and database (never the password).
    pub fn database_location(&self) -> String {
        if let Some(path) = self.sqlite_path() {
            return format!("SQLite {}", path.display());
        }
        match Url::parse(self.database_url.expose()) {
            Ok(parsed) => format!(
                "PostgreSQL {}{}",
                parsed.host_str().unwrap_or("localhost"),
                parsed.path()
            ),
            Err(_) => "PostgreSQL".into(),
        }
    }

    /// The SQLite database file, when the database is SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let url = self.database_url.expose();
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        Some(PathBuf::from(path.split('?').next().unwrap_or(path)))
    }

    /// Where the ephemeral state lives, for the start-up line.
    pub fn ephemeral_location(&self) -> String {
        if self.redis_url().is_some() {
            "Redis".into()
        } else if self.store_journal.as_os_str().is_empty() {
            "memory only (a restart ends every session)".into()
        } else {
            format!("memory, journaled to {}", self.store_journal.display())
        }
    }

    /// How the service is named to people outside a browser (authenticator
    /// apps): the issuer's host, without scheme, port or path.
    pub fn service_name(&self) -> &str {
        let rest = self
            .issuer
            .split_once("://")
            .map_or(self.issuer.as_str(), |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or(rest);
        match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(v6),
            None => authority.split(':').next().unwrap_or(authority),
        }
    }

    pub fn issuer_is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    pub fn redis_url(&self) -> Option<&str> {
        (!self.redis_url.is_empty()).then(|| self.redis_url.expose())
    }

    /// An absolute URL under the issuer, e.g. `endpoint("/token")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// Defaults that are fine on a laptop and unsafe in production; logged at start.
    pub fn development_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.issuer_is_https() {
            warnings.push(format!(
                "issuer {} is not https: cookies are not Secure; use https in production",
                self.issuer
            ));
        }
        if self.redis_url().is_none() {
            warnings.push(
                "no redis_url: sessions, codes and tokens live in this process only; \
                 run one node, or set SESAME_REDIS_URL"
                    .into(),
            );
        }
        if let Some(warning) = self.port_disagreement() {
            warnings.push(warning);
        }
        if self.mail.logs_only() {
            warnings.push(
                "no mail.smtp_host: mail (password reset links included) is written to the log, not sent; \
                 set mail.smtp_host in production"
                    .into(),
            );
        } else if self.mail.smtp_security == SmtpSecurity::None
            && !matches!(self.mail.smtp_host.as_str(), "localhost" | "127.0.0.1" | "::1")
        {
            warnings.push(format!(
                "mail.smtp_security = \"none\" sends mail to {} unencrypted",
                self.mail.smtp_host
            ));
        }
        if self.outbound.allow_loopback || self.outbound.allow_private {
            warnings.push(format!(
                "outbound calls (back-channel logout) may reach {}: fine for development, \
                 set outbound.allow_loopback = false and outbound.allow_private = false in production",
                if self.outbound.allow_private {
                    "loopback and private addresses"
                } else {
                    "loopback addresses"
                }
            ));
        }
        if self.registration.policy == RegistrationPolicy::Open {
            warnings.push(
                "registration.policy = \"open\": anyone can register clients; require initial access tokens in production"
                    .into(),
            );
        }
        if self.registration.http_uris != HttpUris::None {
            warnings.push(
                "clients may register http URIs (registration.http_uris); set it to \"none\" in production".into(),
            );
        }
        if self.database_url.expose().starts_with("sqlite:") {
            warnings.push("SQLite database: fine for one node; use PostgreSQL for several".into());
        }
        if self.gateway.enabled && self.http.trusted_proxies.is_empty() {
            warnings.push(
                "gateway.enabled, but http.trusted_proxies is empty: every proxy asking the gateway is refused \
                 (name the proxies' addresses)"
                    .into(),
            );
        }
        if self.gateway.enabled && self.gateway.rules.is_empty() {
            warnings.push("gateway.enabled without gateway.rules: every proxied request is denied".into());
        }
        warnings
    }
}

/// Settings whose values are masked wherever they are shown.
const SECRET_KEYS: [&str; 5] = [
    "database_url",
    "redis_url",
    "mail.smtp_password",
    "keys.encryption_key",
    "ldap.bind_password",
];

/// `SESAME_*` variables that are not settings: the configuration file's
/// name, and the test suite's own (`SESAME_TEST_*`, `SESAME_SKIP_*`).
fn is_not_a_setting(name: &str) -> bool {
    name == "CONFIG" || name.starts_with("TEST_") || name.starts_with("SKIP_")
}

/// Every setting's dotted key (`mail.smtp_host`), from the annotated defaults.
pub fn setting_keys() -> Vec<String> {
    fn walk(table: &toml::Table, prefix: &str, keys: &mut Vec<String>) {
        for (name, value) in table {
            let key = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match value {
                toml::Value::Table(inner) => walk(inner, &key, keys),
                _ => keys.push(key),
            }
        }
    }
    let defaults: toml::Table = toml::from_str(DEFAULTS_TOML).unwrap_or_default();
    let mut keys = Vec::new();
    walk(&defaults, "", &mut keys);
    keys
}

fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let (first, rest) = key.split_once('.').map_or((key, None), |(a, b)| (a, Some(b)));
    let value = table.get(first)?;
    match (rest, value) {
        (None, value) => Some(value),
        (Some(rest), toml::Value::Table(inner)) => lookup(inner, rest),
        _ => None,
    }
}

/// A secret as it may be shown: a URL keeps all but its password; anything
/// else is starred out unless empty.
fn mask(value: &toml::Value) -> String {
    let text = value.as_str().unwrap_or_default();
    if text.is_empty() {
        return "\"\"".into();
    }
    match Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("********"));
            format!("\"{url}\"")
        }
        Ok(url) if url.has_host() => format!("\"{url}\""),
        _ => "\"********\"".into(),
    }
}

/// The upstreams as they may be shown: each `client_secret` starred out.
fn without_client_secrets(value: &toml::Value) -> toml::Value {
    let mut shown = value.clone();
    if let toml::Value::Array(upstreams) = &mut shown {
        for upstream in upstreams.iter_mut() {
            if let toml::Value::Table(table) = upstream
                && let Some(secret) = table.get_mut("client_secret")
                && secret.as_str().is_some_and(|s| !s.is_empty())
            {
                *secret = toml::Value::String("********".into());
            }
        }
    }
    shown
}

/// The environment variable that sets `key`.
fn variable_of(key: &str) -> String {
    format!("SESAME_{}", key.replace('.', "__").to_uppercase())
}

/// A warning for each `SESAME_*` variable that names no setting, with the
/// closest one that does.
fn unknown_variables(names: impl Iterator<Item = String>) -> Vec<String> {
    let known: Vec<String> = setting_keys().iter().map(|k| variable_of(k)).collect();
    let mut warnings = Vec::new();
    for name in names {
        let Some(rest) = name.strip_prefix("SESAME_") else {
            continue;
        };
        if is_not_a_setting(&rest.to_uppercase()) || known.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let upper = name.to_uppercase();
        let closest = known.iter().min_by_key(|k| edit_distance(k, &upper));
        warnings.push(match closest {
            Some(closest) if edit_distance(closest, &upper) <= upper.len() / 3 => {
                format!("{name} is not a setting and is ignored; did you mean {closest}?")
            }
            _ => format!("{name} is not a setting and is ignored (sesame config show lists them)"),
        });
    }
    warnings
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_up_line_names_where_data_lives_without_secrets() {
        let mut settings = Settings::defaults();
        assert_eq!(settings.database_location(), "SQLite data/sesame.db");
        assert!(settings.ephemeral_location().contains("data/sesame-store.journal"));
        settings.database_url = Secret::new("postgres://sesame:hunter2@db.internal:5432/sesame");
        let location = settings.database_location();
        assert_eq!(location, "PostgreSQL db.internal/sesame");
        assert!(!location.contains("hunter2"));
        settings.store_journal = PathBuf::new();
        assert!(settings.ephemeral_location().starts_with("memory only"));
    }

    #[test]
    fn unknown_variables_are_named_with_the_closest_setting_and_the_suites_own_are_not() {
        let names = [
            "SESAME_MAIL__SMTP_HOTS",
            "SESAME_SKIP_BROWSER_TESTS",
            "SESAME_TEST_LOG",
            "SESAME_CONFIG",
            "SESAME_ISSUER",
            "SESAME_WHATEVER_THIS_IS_NOT",
            "PATH",
        ];
        let warnings = unknown_variables(names.iter().map(|n| n.to_string()));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("did you mean SESAME_MAIL__SMTP_HOST?"),
            "{warnings:?}"
        );
        assert!(!warnings[1].contains("did you mean"), "{warnings:?}");
    }

    #[test]
    fn secrets_are_masked_and_every_key_is_known() {
        let url = toml::Value::String("postgres://sesame:hunter2@db/sesame".into());
        assert_eq!(mask(&url), "\"postgres://sesame:********@db/sesame\"");
        assert_eq!(mask(&toml::Value::String("hunter2".into())), "\"********\"");
        assert_eq!(mask(&toml::Value::String(String::new())), "\"\"");
        let keys = setting_keys();
        for secret in SECRET_KEYS {
            assert!(keys.iter().any(|k| k == secret), "{secret}");
        }
        assert!(keys.iter().any(|k| k == "account.notices.new_browser"));
    }

    #[test]
    fn an_upstreams_client_secret_is_masked() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("sesame.toml");
        std::fs::write(
            &file,
            "[[upstreams]]\nname = \"corp\"\ndisplay_name = \"Corp\"\nissuer = \"https://idp.example.com\"\n\
             client_id = \"sesame\"\nclient_secret = \"hunter2-upstream\"\n",
        )
        .expect("file");
        let rows = Settings::describe(Some(&file)).expect("described");
        let (_, shown, _) = rows.iter().find(|(key, _, _)| key == "upstreams").expect("upstreams");
        assert!(shown.contains("corp") && shown.contains("********"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_local_issuer_on_another_port_than_listen_is_warned_about() {
        let mut settings = Settings::defaults();
        settings.listen = "127.0.0.1:9090".into();
        assert!(
            settings
                .development_warnings()
                .iter()
                .any(|w| w.contains("names port 8080"))
        );
        settings.issuer = "https://id.example.com".into();
        assert!(!settings.development_warnings().iter().any(|w| w.contains("names port")));
        settings.issuer = "http://localhost:9090".into();
        assert!(!settings.development_warnings().iter().any(|w| w.contains("names port")));
    }

    #[test]
    fn a_gateway_that_would_refuse_everything_is_warned_about() {
        let mut settings = Settings::defaults();
        assert!(!settings.development_warnings().iter().any(|w| w.contains("gateway")));
        settings.gateway.enabled = true;
        let warnings = settings.development_warnings();
        assert!(warnings.iter().any(|w| w.contains("http.trusted_proxies is empty")));
        assert!(warnings.iter().any(|w| w.contains("without gateway.rules")));
    }

    #[test]
    fn built_in_defaults_parse_and_validate() {
        let settings = Settings::defaults();
        settings.validate().unwrap();
        assert_eq!(settings.issuer, "http://localhost:8080");
        assert_eq!(settings.listen, "127.0.0.1:8080");
        assert_eq!(settings.database_url.expose(), "sqlite://data/sesame.db");
        assert!(settings.redis_url().is_none());
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let mut settings = Settings::defaults();
        settings.database_url = Secret::new("postgres://u:hunter2@db/x");
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn issuer_with_trailing_slash_or_query_is_refused() {
        for bad in ["http://x/", "http://x?a=b", "ftp://x", "not a url"] {
            let mut settings = Settings::defaults();
            settings.issuer = bad.into();
            assert!(settings.validate().is_err(), "{bad}");
        }
    }
}
