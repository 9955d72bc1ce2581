//! An LDAP directory as a password backend (`ldap3`): find the person's
//! entry with the configured filter, then bind as that entry with the
//! password typed — the directory alone decides, and nothing of the
//! password is kept, so a password changed or an entry locked there counts
//! at once. Connections are pooled (one pool searching as the service
//! account, one for people's binds) and every step has a time limit; a
//! directory that cannot be reached is an error of its own, never a wrong
//! password.

use std::sync::Mutex;
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};

use crate::config::LdapSettings;

/// LDAP result code 49: the DN and password do not match (RFC 4511).
const INVALID_CREDENTIALS: u32 = 49;

/// The directory could not be asked (unreachable, too slow, refused our
/// own search account, or answered nonsense).
#[derive(Debug, thiserror::Error)]
#[error("directory unavailable: {0}")]
pub struct DirectoryUnavailable(pub String);

/// What the directory said of a name and a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Bind {
    /// The password bound as the one entry the name finds.
    Bound(DirectoryEntry),
    /// The entry exists; the password did not bind (wrong, empty, or the
    /// directory refused the entry: locked, expired).
    Refused,
    /// No entry (or more than one) has the name.
    NoSuchEntry,
}

/// A person's entry, once their password bound as it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The stable id (`attributes.id`), or the DN when the entry has none.
    pub id: String,
    pub dn: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The names of the directory groups the entry is a member of.
    pub groups: Vec<String>,
}

/// The connections of one kind that are open and idle.
#[derive(Default)]
struct Pool(Mutex<Vec<Ldap>>);

impl Pool {
    fn take(&self) -> Option<Ldap> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn give_back(&self, mut ldap: Ldap, max: usize) {
        if ldap.is_closed() {
            return;
        }
        let mut idle = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < max {
            idle.push(ldap);
        }
    }
}

/// The configured directory.
pub struct Directory {
    settings: LdapSettings,
    tls: Option<native_tls::TlsConnector>,
    /// Bound as `bind_dn` (or anonymous): finds entries and their groups.
    searching: Pool,
    /// Used only to bind as people (whoever it was bound as last).
    binding: Pool,
}

/// `filter` with its `marker` (`{username}`, `{dn}`) replaced by `value`,
/// escaped as an LDAP filter value (RFC 4515), so what a person types
/// cannot change the filter.
pub fn filter_with(filter: &str, marker: &str, value: &str) -> String {
    filter.replace(marker, &ldap_escape(value))
}

impl Directory {
    /// The directory `settings` name, or `None` when it is off. A CA file
    /// that cannot be read stops the start.
    pub fn new(settings: &LdapSettings) -> anyhow::Result<Option<Directory>> {
        if !settings.enabled {
            return Ok(None);
        }
        let tls = if settings.ca_file.is_empty() {
            None
        } else {
            let pem = std::fs::read(&settings.ca_file)
                .map_err(|e| anyhow::anyhow!("reading ldap.ca_file {}: {e}", settings.ca_file))?;
            let ca = native_tls::Certificate::from_pem(&pem)
                .map_err(|e| anyhow::anyhow!("ldap.ca_file {}: {e}", settings.ca_file))?;
            Some(native_tls::TlsConnector::builder().add_root_certificate(ca).build()?)
        };
        Ok(Some(Directory {
            settings: settings.clone(),
            tls,
            searching: Pool::default(),
            binding: Pool::default(),
        }))
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.timeout_secs)
    }

    async fn connect(&self) -> Result<Ldap, DirectoryUnavailable> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout())
            .set_starttls(self.settings.starttls);
        if let Some(tls) = &self.tls {
            settings = settings.set_connector(tls.clone());
        }
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &self.settings.url)
            .await
            .map_err(|e| DirectoryUnavailable(format!("connecting to {}: {e}", self.settings.url)))?;
        ldap3::drive!(connection);
        Ok(ldap)
    }

    /// A connection bound as the search account.
    async fn searcher(&self) -> Result<Ldap, DirectoryUnavailable> {
        if let Some(ldap) = self.searching.take() {
            return Ok(ldap);
        }
        let mut ldap = self.connect().await?;
        if !self.settings.bind_dn.is_empty() {
            ldap.with_timeout(self.timeout())
                .simple_bind(&self.settings.bind_dn, self.settings.bind_password.expose())
                .await
                .and_then(|r| r.success())
                .map_err(|e| DirectoryUnavailable(format!("binding as ldap.bind_dn: {e}")))?;
        }
        Ok(ldap)
    }

    /// Entries under `base` matching `filter`, with `attributes`.
    async fn search(
        &self,
        ldap: &mut Ldap,
        base: &str,
        filter: &str,
        attributes: &[&str],
    ) -> Result<Vec<SearchEntry>, DirectoryUnavailable> {
        let (entries, _) = ldap
            .with_timeout(self.timeout())
            .search(base, Scope::Subtree, filter, attributes.to_vec())
            .await
            .and_then(|r| r.success())
            .map_err(|e| DirectoryUnavailable(format!("searching {base}: {e}")))?;
        Ok(entries.into_iter().map(SearchEntry::construct).collect())
    }

    /// Whether idle connections were kept: one that fails may only have
    /// gone stale (the directory restarted), so the step is tried once more
    /// on new connections before the directory counts as down.
    fn forget_idle(&self) -> bool {
        let had_idle = !self.searching.is_empty() || !self.binding.is_empty();
        self.searching.clear();
        self.binding.clear();
        had_idle
    }

    /// The entry `username` names, when `password` binds as it. An empty
    /// password never does: it would be an *unauthenticated* bind, which
    /// many directories answer with success (RFC 4513 §5.1.2).
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<Bind, DirectoryUnavailable> {
        match self.try_authenticate(username, password).await {
            Err(_) if self.forget_idle() => self.try_authenticate(username, password).await,
            answered => answered,
        }
    }

    async fn try_authenticate(&self, username: &str, password: &str) -> Result<Bind, DirectoryUnavailable> {
        let mut searcher = self.searcher().await?;
        let found = self.find(&mut searcher, username).await;
        let found = match found {
            Ok(found) => {
                self.searching.give_back(searcher, self.settings.pool_size);
                found
            }
            Err(e) => return Err(e),
        };
        let Some(mut entry) = found else {
            return Ok(Bind::NoSuchEntry);
        };
        if password.is_empty() {
            return Ok(Bind::Refused);
        }
        let mut binder = match self.binding.take() {
            Some(ldap) => ldap,
            None => self.connect().await?,
        };
        let bound = binder
            .with_timeout(self.timeout())
            .simple_bind(&entry.dn, password)
            .await;
        match bound {
            Ok(result) if result.rc == 0 => self.binding.give_back(binder, self.settings.pool_size),
            Ok(result) if result.rc == INVALID_CREDENTIALS => {
                self.binding.give_back(binder, self.settings.pool_size);
                return Ok(Bind::Refused);
            }
            // Locked, expired, unwilling: not signed in, and not a fault.
            Ok(result) => {
                tracing::info!(code = result.rc, "the directory refused a person's bind");
                return Ok(Bind::Refused);
            }
            Err(e) => return Err(DirectoryUnavailable(format!("binding as a person: {e}"))),
        }
        entry.groups = self.groups_of(&entry.dn).await?;
        Ok(Bind::Bound(entry))
    }

    /// The one entry `username` names, if exactly one does.
    async fn find(&self, ldap: &mut Ldap, username: &str) -> Result<Option<DirectoryEntry>, DirectoryUnavailable> {
        let names = &self.settings.attributes;
        let filter = filter_with(&self.settings.user_filter, "{username}", username.trim());
        let attributes = [names.id.as_str(), &names.username, &names.name, &names.email];
        let mut entries = self.search(ldap, &self.settings.base_dn, &filter, &attributes).await?;
        if entries.len() != 1 {
            if entries.len() > 1 {
                tracing::warn!("ldap.user_filter matches more than one entry for a name; nobody signs in with it");
            }
            return Ok(None);
        }
        let entry = entries.remove(0);
        let text = |attribute: &str| {
            entry
                .attrs
                .get(attribute)
                .and_then(|values| values.first())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        // A binary id (Active Directory's objectGUID) is read as hex.
        let binary_id = entry
            .bin_attrs
            .get(&names.id)
            .and_then(|values| values.first())
            .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        Ok(Some(DirectoryEntry {
            id: text(&names.id).or(binary_id).unwrap_or_else(|| entry.dn.clone()),
            username: text(&names.username),
            name: text(&names.name),
            email: text(&names.email),
            dn: entry.dn.clone(),
            groups: Vec::new(),
        }))
    }

    /// The names of the groups `dn` is a member of.
    async fn groups_of(&self, dn: &str) -> Result<Vec<String>, DirectoryUnavailable> {
        if self.settings.group_filter.is_empty() {
            return Ok(Vec::new());
        }
        let base = if self.settings.group_base_dn.is_empty() {
            &self.settings.base_dn
        } else {
            &self.settings.group_base_dn
        };
        let filter = filter_with(&self.settings.group_filter, "{dn}", dn);
        let attribute = self.settings.group_name_attribute.as_str();
        let mut searcher = self.searcher().await?;
        let entries = self.search(&mut searcher, base, &filter, &[attribute]).await?;
        self.searching.give_back(searcher, self.settings.pool_size);
        let mut names: Vec<String> = entries
            .iter()
            .filter_map(|e| e.attrs.get(attribute).and_then(|v| v.first()).cloned())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The directory answers a search as the search account (readiness).
    pub async fn ping(&self) -> Result<(), DirectoryUnavailable> {
        match self.try_ping().await {
            Err(_) if self.forget_idle() => self.try_ping().await,
            answered => answered,
        }
    }

    async fn try_ping(&self) -> Result<(), DirectoryUnavailable> {
        let mut searcher = self.searcher().await?;
        let (_, _) = searcher
            .with_timeout(self.timeout())
            .search(&self.settings.base_dn, Scope::Base, "(objectClass=*)", vec!["1.1"])
            .await
            .and_then(|r| r.success())
            .map_err(|e| DirectoryUnavailable(format!("searching {}: {e}", self.settings.base_dn)))?;
        self.searching.give_back(searcher, self.settings.pool_size);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_person_types_cannot_change_the_filter() {
        let filter = "(&(objectClass=inetOrgPerson)(uid={username}))";
        assert_eq!(
            filter_with(filter, "{username}", "alice"),
            "(&(objectClass=inetOrgPerson)(uid=alice))"
        );
        assert_eq!(
            filter_with(filter, "{username}", "*)(uid=*"),
            "(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))"
        );
        assert_eq!(
            filter_with("(member={dn})", "{dn}", "cn=a\\, b,dc=x"),
            "(member=cn=a\\5c, b,dc=x)"
        );
    }
}
