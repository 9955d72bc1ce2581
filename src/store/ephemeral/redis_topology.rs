//! Which Redis deployment a `redis_url` names: one server, a Cluster, or a
//! Sentinel-watched primary. The URL forms follow the common conventions
//! (Lettuce's `redis-sentinel://…#master` among them):
//!
//! - `redis://[[user:]password@]host[:port][/db]` (and `rediss://`, `unix://`):
//!   one server, parsed by the `redis` crate itself;
//! - `redis-cluster://[[user:]password@]host:port[,host:port…]`: seed nodes
//!   of a Redis Cluster (the rest of the topology is discovered);
//! - `redis-sentinel://[[user:]password@]host[:port][,host[:port]…][/db]#master`:
//!   the Sentinels watching the primary named `master`. The credentials and
//!   database are the data nodes'; Sentinels are asked without credentials.

/// Where the ephemeral store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTopology {
    /// One server; the URL as given.
    Single(String),
    /// Seed nodes of a Redis Cluster, each a `redis://` URL with credentials.
    Cluster(Vec<String>),
    Sentinel(SentinelTopology),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelTopology {
    /// `(host, port)` of each Sentinel.
    pub sentinels: Vec<(String, u16)>,
    /// The name the Sentinels monitor the primary under.
    pub master: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub db: i64,
}

/// Why a `redis_url` could not be understood (never echoes the password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redis_url: {0}")]
pub struct TopologyError(String);

const CLUSTER_SCHEME: &str = "redis-cluster://";
const SENTINEL_SCHEME: &str = "redis-sentinel://";
const REDIS_PORT: u16 = 6379;
const SENTINEL_PORT: u16 = 26379;

impl RedisTopology {
    pub fn parse(url: &str) -> Result<RedisTopology, TopologyError> {
        if let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) {
            parse_cluster(rest)
        } else if let Some(rest) = url.strip_prefix(SENTINEL_SCHEME) {
            parse_sentinel(rest).map(RedisTopology::Sentinel)
        } else {
            Ok(RedisTopology::Single(url.to_string()))
        }
    }
}

/// `[[user:]password@]` before the hosts, split off at the last `@` (a
/// password may contain `@`; a host may not).
fn split_credentials(rest: &str) -> (Option<String>, Option<String>, &str) {
    let Some((userinfo, hosts)) = rest.rsplit_once('@') else {
        return (None, None, rest);
    };
    let (username, password) = match userinfo.split_once(':') {
        Some((user, password)) => (
            Some(user.to_string()).filter(|u| !u.is_empty()),
            Some(password.to_string()),
        ),
        None => (None, Some(userinfo.to_string())),
    };
    (username, password.filter(|p| !p.is_empty()), hosts)
}

/// `host[:port]`, `[v6][:port]`, with a default port.
fn parse_host(host: &str, default_port: u16) -> Result<(String, u16), TopologyError> {
    let (name, port) = if let Some(v6) = host.strip_prefix('[') {
        let (name, after) = v6
            .split_once(']')
            .ok_or_else(|| TopologyError(format!("unclosed '[' in host {host:?}")))?;
        (name, after.strip_prefix(':'))
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    if name.is_empty() {
        return Err(TopologyError("a host is empty".into()));
    }
    let port = match port {
        None => default_port,
        Some(port) => port
            .parse()
            .map_err(|_| TopologyError(format!("port {port:?} of host {name:?} is not a number")))?,
    };
    Ok((name.to_string(), port))
}

fn parse_hosts(hosts: &str, default_port: u16) -> Result<Vec<(String, u16)>, TopologyError> {
    let parsed = hosts
        .split(',')
        .map(|host| parse_host(host, default_port))
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.is_empty() {
        return Err(TopologyError("no host given".into()));
    }
    Ok(parsed)
}

fn host_in_url(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn parse_cluster(rest: &str) -> Result<RedisTopology, TopologyError> {
    let (username, password, hosts) = split_credentials(rest);
    let hosts = hosts.trim_end_matches('/');
    if hosts.contains('/') || hosts.contains('?') {
        return Err(TopologyError(
            "a Redis Cluster has one database: no path or options".into(),
        ));
    }
    let credentials = match (&username, &password) {
        (_, None) => String::new(),
        (None, Some(password)) => format!(":{password}@"),
        (Some(user), Some(password)) => format!("{user}:{password}@"),
    };
    let nodes = parse_hosts(hosts, REDIS_PORT)?
        .into_iter()
        .map(|(host, port)| format!("redis://{credentials}{}:{port}", host_in_url(&host)))
        .collect();
    Ok(RedisTopology::Cluster(nodes))
}

fn parse_sentinel(rest: &str) -> Result<SentinelTopology, TopologyError> {
    let (rest, master) = rest
        .split_once('#')
        .ok_or_else(|| TopologyError("a redis-sentinel:// URL names the primary after '#'".into()))?;
    if master.is_empty() {
        return Err(TopologyError("the primary's name after '#' is empty".into()));
    }
    let (username, password, rest) = split_credentials(rest);
    let (hosts, db) = match rest.split_once('/') {
        None | Some((_, "")) => (rest.trim_end_matches('/'), 0),
        Some((hosts, db)) => (
            hosts,
            db.parse()
                .map_err(|_| TopologyError(format!("database {db:?} is not a number")))?,
        ),
    };
    Ok(SentinelTopology {
        sentinels: parse_hosts(hosts, SENTINEL_PORT)?,
        master: master.to_string(),
        username,
        password,
        db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_are_left_to_the_redis_crate() {
        for url in [
            "redis://127.0.0.1:6379",
            "rediss://user:pw@cache/2",
            "unix:///run/redis.sock",
        ] {
            assert_eq!(RedisTopology::parse(url), Ok(RedisTopology::Single(url.into())));
        }
    }

    #[test]
    fn cluster_urls_list_seed_nodes_with_credentials() {
        assert_eq!(
            RedisTopology::parse("redis-cluster://app:s3cr@t@10.0.0.1:7000,10.0.0.2,[::1]:7002/"),
            Ok(RedisTopology::Cluster(vec![
                "redis://app:s3cr@t@10.0.0.1:7000".into(),
                "redis://app:s3cr@t@10.0.0.2:6379".into(),
                "redis://app:s3cr@t@[::1]:7002".into(),
            ]))
        );
        assert_eq!(
            RedisTopology::parse("redis-cluster://pw@a:1"),
            Ok(RedisTopology::Cluster(vec!["redis://:pw@a:1".into()]))
        );
        assert!(RedisTopology::parse("redis-cluster://a:1/3").is_err());
        assert!(RedisTopology::parse("redis-cluster://a:x").is_err());
        assert!(RedisTopology::parse("redis-cluster://").is_err());
    }

    #[test]
    fn sentinel_urls_name_the_primary_and_the_data_nodes_credentials() {
        assert_eq!(
            RedisTopology::parse("redis-sentinel://u:p@s1:26380,s2,[fe80::1]/3#primary"),
            Ok(RedisTopology::Sentinel(SentinelTopology {
                sentinels: vec![("s1".into(), 26380), ("s2".into(), 26379), ("fe80::1".into(), 26379)],
                master: "primary".into(),
                username: Some("u".into()),
                password: Some("p".into()),
                db: 3,
            }))
        );
        let plain = RedisTopology::parse("redis-sentinel://127.0.0.1:5000#m").unwrap();
        assert_eq!(
            plain,
            RedisTopology::Sentinel(SentinelTopology {
                sentinels: vec![("127.0.0.1".into(), 5000)],
                master: "m".into(),
                username: None,
                password: None,
                db: 0,
            })
        );
        assert!(
            RedisTopology::parse("redis-sentinel://s1:26379").is_err(),
            "no primary name"
        );
        assert!(RedisTopology::parse("redis-sentinel://s1#").is_err());
        assert!(RedisTopology::parse("redis-sentinel://s1/x#m").is_err());
        assert!(RedisTopology::parse("redis-sentinel://[::1#m").is_err());
    }

    #[test]
    fn errors_never_show_the_password() {
        let error = RedisTopology::parse("redis-cluster://user:hunter2@a:notaport").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
