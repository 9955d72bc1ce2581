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
