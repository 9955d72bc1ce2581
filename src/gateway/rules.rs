//! The gateway's access rules: checked and compiled once at start, then
//! matched against each request the proxy asks about. Pure: no store, no
//! clock, so `sesame gateway check` and the tests ask exactly what the
//! endpoint asks.

use std::net::IpAddr;

use regex::Regex;

use crate::config::GatewayRuleSettings;
use crate::domain::Level;

/// What a rule does with the requests it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, signed in or not.
    Bypass,
    /// Someone signed in.
    OneFactor,
    /// Someone signed in with a second factor (a session with one is asked
    /// for it: step-up).
    TwoFactor,
    Deny,
}

impl Policy {
    fn parse(text: &str) -> Option<Policy> {
        match text {
            "bypass" => Some(Policy::Bypass),
            "one_factor" => Some(Policy::OneFactor),
            "two_factor" => Some(Policy::TwoFactor),
            "deny" => Some(Policy::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Bypass => "bypass",
            Policy::OneFactor => "one_factor",
            Policy::TwoFactor => "two_factor",
            Policy::Deny => "deny",
        }
    }
}

/// A rule that does not make sense, named by its place in the list.
#[derive(Debug, thiserror::Error)]
#[error("gateway.rules[{index}].{field}: {problem}")]
pub struct RuleError {
    pub index: usize,
    pub field: &'static str,
    pub problem: String,
}

/// A host condition: one name, or every host below a domain (`*.example.com`).
#[derive(Debug)]
enum HostPattern {
    Exact(String),
    Below(String),
}

impl HostPattern {
    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(name) => host == name,
            HostPattern::Below(domain) => host.len() > domain.len() + 1 && host.ends_with(&format!(".{domain}")),
        }
    }
}

/// An address range: an address and how many leading bits must agree.
#[derive(Debug, Clone, Copy)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address.parse::<IpAddr>().ok()?, Some(prefix.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let width = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(width);
        (prefix <= width).then_some(Network { address, prefix })
    }

    fn contains(&self, candidate: IpAddr) -> bool {
        let bits = |address: IpAddr| -> (u128, u8) {
            match address {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
                IpAddr::V6(v6) => (u128::from(v6), 128),
            }
        };
        // An IPv4 client seen as an IPv4-mapped IPv6 address is the IPv4 one.
        let candidate = match candidate {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(candidate, IpAddr::V4),
            other => other,
        };
        let (mine, width) = bits(self.address);
        let (theirs, their_width) = bits(candidate);
        if width != their_width {
            return false;
        }
        let mask = if self.prefix == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.prefix))
        };
        mine & mask == theirs & mask
    }
}

#[derive(Debug)]
struct Rule {
    hosts: Vec<HostPattern>,
    paths: Vec<String>,
    path_regex: Option<Regex>,
    methods: Vec<String>,
    networks: Vec<Network>,
    users: Vec<String>,
    groups: Vec<String>,
    policy: Policy,
    basic: bool,
}

/// The request the proxy asks about.
#[derive(Debug, Clone)]
pub struct Asked<'a> {
    /// Lower case, without a port.
    pub host: &'a str,
    /// Without the query.
    pub path: &'a str,
    /// Upper case.
    pub method: &'a str,
    pub client: Option<IpAddr>,
}

/// Who is asking, when a session or token says so.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub username: &'a str,
    pub groups: &'a [String],
    pub level: Level,
    /// Known by an HTTP Basic credential only: counts for nobody under a
    /// rule that does not accept `basic`.
    pub by_basic: bool,
}

/// What the gateway answers, and which rule said so (`None`: no rule
/// matched, the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow {
        rule: usize,
    },
    /// Sign in (to reach `level`) and come back.
    SignIn {
        rule: usize,
        level: Level,
    },
    Deny {
        rule: Option<usize>,
    },
}

impl Verdict {
    pub fn rule(self) -> Option<usize> {
        match self {
            Verdict::Allow { rule } | Verdict::SignIn { rule, .. } => Some(rule),
            Verdict::Deny { rule } => rule,
        }
    }

    /// How metrics and the audit log name the outcome.
    pub fn outcome(self) -> &'static str {
        match self {
            Verdict::Allow { .. } => "allow",
            Verdict::SignIn { .. } => "sign_in",
            Verdict::Deny { .. } => "deny",
        }
    }
}

/// Every rule, in order.
#[derive(Debug, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    pub fn compile(settings: &[GatewayRuleSettings]) -> Result<Rules, RuleError> {
        let mut rules = Vec::new();
        for (index, written) in settings.iter().enumerate() {
            let problem = |field: &'static str, problem: String| RuleError { index, field, problem };
            let policy = Policy::parse(&written.policy).ok_or_else(|| {
                problem(
                    "policy",
                    format!("{:?} is not bypass, one_factor, two_factor or deny", written.policy),
                )
            })?;
            let mut hosts = Vec::new();
            for host in &written.hosts {
                let host = host.trim().to_ascii_lowercase();
                let pattern = match host.strip_prefix("*.") {
                    Some(domain) => HostPattern::Below(domain.to_string()),
                    None => HostPattern::Exact(host.clone()),
                };
                let name = match &pattern {
                    HostPattern::Exact(name) | HostPattern::Below(name) => name,
                };
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                {
                    return Err(problem("hosts", format!("{host:?} is not a host name (or *.domain)")));
                }
                hosts.push(pattern);
            }
            for path in &written.paths {
                if !path.starts_with('/') {
                    return Err(problem("paths", format!("{path:?} does not start with /")));
                }
            }
            let path_regex = match written.path_regex.as_str() {
                "" => None,
                pattern => Some(
                    regex::RegexBuilder::new(pattern)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| problem("path_regex", e.to_string()))?,
                ),
            };
            let mut networks = Vec::new();
            for network in &written.networks {
                networks.push(Network::parse(network.trim()).ok_or_else(|| {
                    problem(
                        "networks",
                        format!("{network:?} is not an address or a range like 10.0.0.0/8"),
                    )
                })?);
            }
            let methods: Vec<String> = written.methods.iter().map(|m| m.trim().to_ascii_uppercase()).collect();
            if let Some(bad) = methods
                .iter()
                .find(|m| m.is_empty() || !m.chars().all(|c| c.is_ascii_uppercase()))
            {
                return Err(problem("methods", format!("{bad:?} is not an HTTP method")));
            }
            if policy == Policy::Bypass && !(written.users.is_empty() && written.groups.is_empty()) {
                return Err(problem(
                    "policy",
                    "bypass lets anyone in, so users and groups cannot narrow it".into(),
                ));
            }
            if written.basic && policy != Policy::OneFactor {
                return Err(problem(
                    "basic",
                    "only a one_factor rule may accept HTTP Basic (a password is one factor)".into(),
                ));
            }
            rules.push(Rule {
                hosts,
                paths: written.paths.clone(),
                path_regex,
                methods,
                networks,
                users: written.users.clone(),
                groups: written.groups.clone(),
                policy,
                basic: written.basic,
            });
        }
        Ok(Rules { rules })
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The policy of rule `index`, for explanations.
    pub fn policy(&self, index: usize) -> Option<Policy> {
        self.rules.get(index).map(|r| r.policy)
    }

    /// Whether a rule that matches `asked` accepts HTTP Basic: elsewhere a
    /// Basic header is the app's own business, and costs Sesame nothing.
    pub fn accepts_basic(&self, asked: &Asked<'_>) -> bool {
        self.rules.iter().any(|rule| rule.basic && rule.matches_request(asked))
    }

    /// Which rule decides `asked` for `subject`, and what it says. A rule
    /// that names people decides for nobody until someone signs in; one
    /// that does not accept `basic` sees nobody in an HTTP Basic subject.
    pub fn decide(&self, asked: &Asked<'_>, subject: Option<&Subject<'_>>) -> Verdict {
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.matches_request(asked) {
                continue;
            }
            let subject = subject.filter(|who| rule.basic || !who.by_basic);
            let names_people = !(rule.users.is_empty() && rule.groups.is_empty());
            match subject {
                None if names_people => {
                    return Verdict::SignIn {
                        rule: index,
                        level: Level::OneFactor,
                    };
                }
                Some(who) if names_people && !rule.names(who) => continue,
                _ => {}
            }
            return match (rule.policy, subject) {
                (Policy::Bypass, _) => Verdict::Allow { rule: index },
                (Policy::Deny, _) => Verdict::Deny { rule: Some(index) },
                (Policy::OneFactor, Some(_)) => Verdict::Allow { rule: index },
                (Policy::TwoFactor, Some(who)) if who.level >= Level::TwoFactors => Verdict::Allow { rule: index },
                (Policy::OneFactor, None) => Verdict::SignIn {
                    rule: index,
                    level: Level::OneFactor,
                },
                (Policy::TwoFactor, _) => Verdict::SignIn {
                    rule: index,
                    level: Level::TwoFactors,
                },
            };
        }
        Verdict::Deny { rule: None }
    }
}

impl Rule {
    fn matches_request(&self, asked: &Asked<'_>) -> bool {
        (self.hosts.is_empty() || self.hosts.iter().any(|h| h.matches(asked.host)))
            && (self.paths.is_empty() || self.paths.iter().any(|p| asked.path.starts_with(p.as_str())))
            && self.path_regex.as_ref().is_none_or(|re| re.is_match(asked.path))
            && (self.methods.is_empty() || self.methods.iter().any(|m| m == asked.method))
            && (self.networks.is_empty()
                || asked
                    .client
                    .is_some_and(|client| self.networks.iter().any(|n| n.contains(client))))
    }

    fn names(&self, who: &Subject<'_>) -> bool {
        self.users.iter().any(|u| u == who.username) || self.groups.iter().any(|g| who.groups.contains(g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(policy: &str) -> GatewayRuleSettings {
        GatewayRuleSettings {
            policy: policy.into(),
            ..Default::default()
        }
    }

    fn asked<'a>(host: &'a str, path: &'a str, method: &'a str, client: &str) -> Asked<'a> {
        Asked {
            host,
            path,
            method,
            client: client.parse().ok(),
        }
    }

    fn alice(level: Level) -> Subject<'static> {
        static GROUPS: [String; 0] = [];
        Subject {
            username: "alice",
            groups: &GROUPS,
            level,
            by_basic: false,
        }
    }

    #[test]
    fn the_first_matching_rule_decides_and_nothing_matching_is_denied() {
        let rules = Rules::compile(&[
            GatewayRuleSettings {
                hosts: vec!["wiki.example.com".into()],
                paths: vec!["/public/".into()],
                ..rule("bypass")
            },
            GatewayRuleSettings {
                hosts: vec!["*.example.com".into()],
                methods: vec!["get".into()],
                ..rule("one_factor")
            },
            GatewayRuleSettings {
                hosts: vec!["admin.example.com".into()],
                ..rule("two_factor")
            },
        ])
        .unwrap();
        let get = |host, path| asked(host, path, "GET", "192.0.2.1");
        assert_eq!(
            rules.decide(&get("wiki.example.com", "/public/a"), None),
            Verdict::Allow { rule: 0 }
        );
        assert_eq!(
            rules.decide(&get("wiki.example.com", "/page"), None),
            Verdict::SignIn {
                rule: 1,
                level: Level::OneFactor
            }
        );
        let one = alice(Level::OneFactor);
        assert_eq!(
            rules.decide(&get("wiki.example.com", "/page"), Some(&one)),
            Verdict::Allow { rule: 1 }
        );
        // A POST is not a GET: the two-factor rule for admin, nothing for wiki.
        let post = asked("admin.example.com", "/", "POST", "192.0.2.1");
        assert_eq!(
            rules.decide(&post, Some(&one)),
            Verdict::SignIn {
                rule: 2,
                level: Level::TwoFactors
            },
            "step-up"
        );
        assert_eq!(
            rules.decide(&post, Some(&alice(Level::TwoFactors))),
            Verdict::Allow { rule: 2 }
        );
        let post = asked("wiki.example.com", "/", "POST", "192.0.2.1");
        assert_eq!(rules.decide(&post, Some(&one)), Verdict::Deny { rule: None });
        // `*.example.com` is below the domain, not the domain itself.
        assert_eq!(
            rules.decide(&get("example.com", "/"), Some(&one)),
            Verdict::Deny { rule: None }
        );
        assert_eq!(
            rules.decide(&get("evilexample.com", "/"), Some(&one)),
            Verdict::Deny { rule: None }
        );
    }

    #[test]
    fn people_and_groups_narrow_a_rule_and_networks_and_patterns_match() {
        let rules = Rules::compile(&[
            GatewayRuleSettings {
                groups: vec!["staff".into()],
                path_regex: "^/api/v[0-9]+/".into(),
                ..rule("one_factor")
            },
            GatewayRuleSettings {
                networks: vec!["10.0.0.0/8".into(), "2001:db8::/32".into()],
                ..rule("bypass")
            },
            rule("deny"),
        ])
        .unwrap();
        let api = asked("x", "/api/v2/items", "GET", "192.0.2.1");
        assert_eq!(
            rules.decide(&api, None),
            Verdict::SignIn {
                rule: 0,
                level: Level::OneFactor
            },
            "who it is decides"
        );
        assert_eq!(
            rules.decide(&api, Some(&alice(Level::OneFactor))),
            Verdict::Deny { rule: Some(2) }
        );
        let staff = vec!["staff".to_string()];
        let member = Subject {
            username: "bob",
            groups: &staff,
            level: Level::OneFactor,
            by_basic: false,
        };
        assert_eq!(rules.decide(&api, Some(&member)), Verdict::Allow { rule: 0 });
        for (client, allowed) in [
            ("10.1.2.3", true),
            ("::ffff:10.1.2.3", true),
            ("11.0.0.1", false),
            ("2001:db8::1", true),
            ("2001:db9::1", false),
        ] {
            let inside = asked("x", "/", "GET", client);
            assert_eq!(
                rules.decide(&inside, None) == (Verdict::Allow { rule: 1 }),
                allowed,
                "{client}"
            );
        }
        let unknown_client = asked("x", "/", "GET", "");
        assert_eq!(rules.decide(&unknown_client, None), Verdict::Deny { rule: Some(2) });
    }

    #[test]
    fn rules_that_make_no_sense_are_refused_with_their_place() {
        for (written, field) in [
            (rule("allow"), "policy"),
            (
                GatewayRuleSettings {
                    hosts: vec!["wiki example".into()],
                    ..rule("deny")
                },
                "hosts",
            ),
            (
                GatewayRuleSettings {
                    paths: vec!["api/".into()],
                    ..rule("deny")
                },
                "paths",
            ),
            (
                GatewayRuleSettings {
                    path_regex: "(".into(),
                    ..rule("deny")
                },
                "path_regex",
            ),
            (
                GatewayRuleSettings {
                    networks: vec!["10.0.0/8".into()],
                    ..rule("deny")
                },
                "networks",
            ),
            (
                GatewayRuleSettings {
                    networks: vec!["10.0.0.0/33".into()],
                    ..rule("deny")
                },
                "networks",
            ),
            (
                GatewayRuleSettings {
                    methods: vec!["GET /".into()],
                    ..rule("deny")
                },
                "methods",
            ),
            (
                GatewayRuleSettings {
                    users: vec!["alice".into()],
                    ..rule("bypass")
                },
                "policy",
            ),
        ] {
            let error = Rules::compile(&[rule("deny"), written]).unwrap_err();
            assert_eq!((error.index, error.field), (1, field), "{error}");
        }
    }

    #[test]
    fn http_basic_counts_only_where_a_one_factor_rule_accepts_it() {
        let rules = Rules::compile(&[
            GatewayRuleSettings {
                hosts: vec!["api.example.com".into()],
                basic: true,
                ..rule("one_factor")
            },
            GatewayRuleSettings {
                hosts: vec!["*.example.com".into()],
                ..rule("one_factor")
            },
        ])
        .unwrap();
        let script = Subject {
            by_basic: true,
            ..alice(Level::OneFactor)
        };
        let api = asked("api.example.com", "/v1", "GET", "192.0.2.1");
        let wiki = asked("wiki.example.com", "/", "GET", "192.0.2.1");
        assert!(rules.accepts_basic(&api));
        assert!(!rules.accepts_basic(&wiki), "a Basic header there is the app's own");
        assert_eq!(rules.decide(&api, Some(&script)), Verdict::Allow { rule: 0 });
        assert_eq!(
            rules.decide(&wiki, Some(&script)),
            Verdict::SignIn {
                rule: 1,
                level: Level::OneFactor
            },
            "a password alone is no session"
        );
        for policy in ["bypass", "two_factor", "deny"] {
            let error = Rules::compile(&[GatewayRuleSettings {
                basic: true,
                ..rule(policy)
            }])
            .unwrap_err();
            assert_eq!(error.field, "basic", "{policy}");
        }
    }
}
