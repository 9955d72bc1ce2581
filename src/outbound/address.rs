//! Which addresses Sesame may call: addresses inside the network (loopback,
//! private, link-local, …) are refused unless configuration allows them.
//! Names are checked as they resolve, in the HTTP client's own resolver, so
//! a name cannot pass the check and then resolve elsewhere.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::config::OutboundSettings;

#[derive(Clone, Copy, Debug)]
pub struct AddressPolicy {
    pub allow_loopback: bool,
    pub allow_private: bool,
}

impl AddressPolicy {
    pub fn from_settings(settings: &OutboundSettings) -> AddressPolicy {
        AddressPolicy {
            allow_loopback: settings.allow_loopback,
            allow_private: settings.allow_private,
        }
    }

    /// `Err` with the reason when Sesame must not call `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        let ip = match ip {
            IpAddr::V6(v6) => match classify_v6(v6) {
                V6Kind::Embeds(v4) => IpAddr::V4(v4),
                V6Kind::Reserved => {
                    return Err(format!(
                        "{v6} is a reserved address, which outbound calls may not reach"
                    ));
                }
                V6Kind::Plain => IpAddr::V6(v6),
            },
            v4 => v4,
        };
        let refuse = |kind: &str| Err(format!("{ip} is a {kind} address, which outbound calls may not reach"));
        if ip.is_unspecified() || ip.is_multicast() {
            return refuse("reserved");
        }
        if ip.is_loopback() {
            return if self.allow_loopback {
                Ok(())
            } else {
                refuse("loopback")
            };
        }
        let internal = match ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                v4.is_private()
                    || v4.is_link_local()
                    || v4.is_broadcast()
                    || v4.is_documentation()
                    || a == 0
                    || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
                    || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, RFC 6890
                    || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast, RFC 7526
                    || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
                    || a >= 240
            }
            IpAddr::V6(v6) => {
                let [first, second, third, ..] = v6.segments();
                (first & 0xfe00) == 0xfc00 // unique local, RFC 4193
                    || (first & 0xffc0) == 0xfe80 // link-local
                    || (first & 0xffc0) == 0xfec0 // site-local (deprecated, RFC 3879, still routed inside some networks)
                    || (first == 0x2001 && second == 0x0db8) // documentation
                    || (first == 0x0064 && second == 0xff9b && third == 0x0001) // local-use NAT64, RFC 8215
            }
        };
        if internal && !self.allow_private {
            return refuse("private or link-local");
        }
        Ok(())
    }

    /// Checks a URL whose host is an address literal (the resolver never sees those).
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("{url}: only http(s) is called"));
        }
        match parsed.host() {
            Some(url::Host::Ipv4(v4)) => self.check(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => self.check(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => Ok(()),
            None => Err(format!("{url}: no host")),
        }
    }
}

/// How an IPv6 address is judged: some carry an IPv4 address that is what
/// the packet really reaches, and is judged instead.
enum V6Kind {
    Plain,
    Embeds(Ipv4Addr),
    Reserved,
}

fn classify_v6(v6: Ipv6Addr) -> V6Kind {
    let s = v6.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from(((high as u32) << 16) | low as u32);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return V6Kind::Embeds(v4); // ::ffff:a.b.c.d
    }
    if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
        return V6Kind::Reserved; // IPv4-compatible ::a.b.c.d, deprecated by RFC 4291
    }
    if s[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] {
        return V6Kind::Embeds(embedded(s[6], s[7])); // NAT64 well-known prefix, RFC 6052
    }
    if s[0] == 0x2002 {
        return V6Kind::Embeds(embedded(s[1], s[2])); // 6to4, RFC 3056
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return V6Kind::Reserved; // Teredo, RFC 4380: tunnels to an address it hides
    }
    if s[..4] == [0x0100, 0, 0, 0] {
        return V6Kind::Reserved; // discard-only, RFC 6666
    }
    V6Kind::Plain
}

/// Resolves names and keeps only the addresses the policy allows.
pub(super) struct GuardedResolver(pub(super) AddressPolicy);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut reasons = Vec::new();
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match policy.check(addr.ip()) {
                    Ok(()) => true,
                    Err(reason) => {
                        reasons.push(reason);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let reason = reasons
                    .pop()
                    .unwrap_or_else(|| format!("{} did not resolve", name.as_str()));
                return Err(reason.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: AddressPolicy = AddressPolicy {
        allow_loopback: false,
        allow_private: false,
    };

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "fe80::1",
            "0.0.0.0",
            "100.64.0.1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "fec0::1",
            "2002:7f00:1::1",
            "2002:a00:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
            "192.0.0.8",
        ] {
            assert!(STRICT.check(internal.parse().unwrap()).is_err(), "{internal}");
        }
        assert!(STRICT.check("93.184.216.34".parse().unwrap()).is_ok());
        assert!(STRICT.check("2606:4700::1111".parse().unwrap()).is_ok());
        // NAT64 and 6to4 reach the public IPv4 address they carry.
        assert!(STRICT.check("64:ff9b::5db8:d822".parse().unwrap()).is_ok());
        assert!(STRICT.check("2002:5db8:d822::1".parse().unwrap()).is_ok());
        let dev = AddressPolicy {
            allow_loopback: true,
            allow_private: false,
        };
        assert!(dev.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(dev.check("10.0.0.1".parse().unwrap()).is_err());
    }

    #[test]
    fn address_literals_in_urls_are_checked() {
        assert!(STRICT.check_url("http://169.254.169.254/latest/meta-data").is_err());
        assert!(STRICT.check_url("http://[::1]:8080/x").is_err());
        assert!(STRICT.check_url("https://app.example/logout").is_ok());
        assert!(STRICT.check_url("file:///etc/passwd").is_err());
    }
}
