/// An account at an upstream identity provider, linked to a local account
/// by the upstream's issuer and subject (never by an address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedIdentity {
    pub issuer: String,
    pub subject: String,
    pub user_id: uuid::Uuid,
    /// The configured upstream's name (`[[upstreams]] name`).
    pub upstream: String,
    pub linked_at: i64,
}

/// The directory's entries are linked as if it were an upstream named
/// `ldap` with the issuer `ldap` (no configured upstream may take the name;
/// an upstream's issuer is always an http(s) URL): the subject is the
/// entry's stable id.
pub const DIRECTORY_UPSTREAM: &str = "ldap";
pub const DIRECTORY_ISSUER: &str = "ldap";
