//! Where deliveries go: [`SinkUrl`], an absolute `http`/`https` URL, and [`SinkPolicy`], the one
//! place that decides which network addresses a sink may reach (the SSRF guard, DESIGN §7).
//!
//! The policy is asked twice: when a subscription is written ([`SinkPolicy::check_url`], which
//! sees IP literals and `localhost`) and at connect time, for every address a host name resolves
//! to ([`SinkPolicy::allows`], used by the dispatcher's resolver), so a name that later resolves
//! somewhere forbidden is still refused.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::IpNet;
use url::{Host, Url};

/// A sink URL: absolute, `http` or `https`, with a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SinkUrl(Url);

/// Why a sink is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Not an absolute URL.
    #[error("`{0}` is not an absolute URL")]
    NotAUrl(String),
    /// A scheme other than http and https.
    #[error("sinks must use http or https, not `{0}`")]
    Scheme(String),
    /// No host.
    #[error("the sink URL has no host")]
    NoHost,
    /// The address class is refused by the SSRF guard.
    #[error(
        "sink address {0} is loopback, private, link-local, multicast or unspecified, which this \
         gateway refuses unless allow-listed (--allow-sinks)"
    )]
    Forbidden(IpAddr),
    /// Plain http while the gateway only sends over https.
    #[error("this gateway only delivers over https (https_only)")]
    Insecure,
}

impl SinkUrl {
    /// Parses an absolute http(s) URL with a host.
    ///
    /// # Errors
    /// [`SinkError`] when it is not one.
    pub fn parse(text: &str) -> Result<Self, SinkError> {
        let url = Url::parse(text).map_err(|_| SinkError::NotAUrl(text.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SinkError::Scheme(url.scheme().to_owned()));
        }
        if url.host().is_none() {
            return Err(SinkError::NoHost);
        }
        Ok(Self(url))
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for SinkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// Which address classes a sink may reach.
///
/// Public addresses are always allowed. Loopback is allowed when the gateway listens only on
/// loopback (nothing is reachable through it that its callers cannot reach already); private,
/// link-local, multicast, broadcast, reserved and unspecified addresses (IPv4 and IPv6, with
/// IPv4 embedded in IPv6 judged as the IPv4 address) are refused unless allow-listed by CIDR or
/// `allow_private` is set. `https_only` refuses plain http.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SinkPolicy {
    /// Loopback sinks (127.0.0.0/8, ::1, `localhost`) are accepted.
    pub allow_loopback: bool,
    /// Every other non-public class is accepted too.
    pub allow_private: bool,
    /// Addresses in these networks are accepted whatever their class.
    pub allow: Arc<[IpNet]>,
    /// Only `https` sinks.
    pub https_only: bool,
}

impl SinkPolicy {
    /// The default for a gateway listening on `listen`: loopback sinks only when it listens on
    /// loopback.
    pub fn for_listener(listen: IpAddr) -> Self {
        Self {
            allow_loopback: listen.is_loopback(),
            ..Self::default()
        }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows(&self, ip: IpAddr) -> bool {
        if self.allow.iter().any(|net| net.contains(&ip)) {
            return true;
        }
        let ip = canonical(ip);
        if self.allow.iter().any(|net| net.contains(&ip)) {
            return true;
        }
        if ip.is_loopback() {
            return self.allow_loopback || self.allow_private;
        }
        self.allow_private || !is_non_public(ip)
    }

    /// Checks what can be checked without resolving: IP literals and `localhost`.
    ///
    /// # Errors
    /// [`SinkError::Forbidden`] when the literal address is refused.
    pub fn check_url(&self, sink: &SinkUrl) -> Result<(), SinkError> {
        if self.https_only && sink.url().scheme() != "https" {
            return Err(SinkError::Insecure);
        }
        let ip = match sink.url().host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(Host::Domain(name)) if is_localhost(name) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            _ => return Ok(()),
        };
        if self.allows(ip) {
            Ok(())
        } else {
            Err(SinkError::Forbidden(ip))
        }
    }
}

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:0:0/96`, the deprecated
/// IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged as that IPv4
/// address.
fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else { return ip };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0; 6] && v6 != Ipv6Addr::LOCALHOST && v6 != Ipv6Addr::UNSPECIFIED {
        return IpAddr::V4(low);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return IpAddr::V4(low);
    }
    if s[0] == 0x2002 {
        return IpAddr::V4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    ip
}

fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0 // "this network", 0.0.0.0/8
                || a >= 240 // reserved, 240.0.0.0/4
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, RFC 6598
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
                || v6 == Ipv6Addr::LOCALHOST
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(text: &str) -> SinkUrl {
        SinkUrl::parse(text).expect("a valid sink")
    }

    #[test]
    fn only_absolute_http_urls_are_sinks() {
        assert!(SinkUrl::parse("http://example.com/hook").is_ok());
        assert_eq!(
            SinkUrl::parse("ftp://example.com"),
            Err(SinkError::Scheme("ftp".into()))
        );
        assert!(matches!(
            SinkUrl::parse("/relative"),
            Err(SinkError::NotAUrl(_))
        ));
    }

    #[test]
    fn a_loopback_listener_accepts_loopback_sinks_but_not_private_ones() {
        let policy = SinkPolicy::for_listener(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(policy.check_url(&sink("http://127.0.0.1:9000/")).is_ok());
        assert!(policy.check_url(&sink("http://localhost:9000/")).is_ok());
        assert!(policy.check_url(&sink("http://10.0.0.1/")).is_err());
        assert!(policy.check_url(&sink("http://[fe80::1]/")).is_err());
    }

    #[test]
    fn a_public_listener_refuses_every_non_public_class() {
        let policy = SinkPolicy::for_listener(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        for bad in [
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://192.168.1.1/",
            "http://0.0.0.0/",
            "http://169.254.169.254/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://224.0.0.1/",
        ] {
            assert!(
                policy.check_url(&sink(bad)).is_err(),
                "{bad} should be refused"
            );
        }
        assert!(policy.check_url(&sink("http://93.184.216.34/")).is_ok());
        assert!(policy.check_url(&sink("https://example.com/")).is_ok());
    }

    #[test]
    fn ipv4_carried_in_ipv6_is_judged_as_ipv4() {
        let policy = SinkPolicy::for_listener(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        for bad in [
            "http://[::ffff:10.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:a00:1::]/",
            "http://[::10.0.0.1]/",
            "http://[fec0::1]/",
            "http://[ff02::1]/",
            "http://[::]/",
            "http://255.255.255.255/",
            "http://100.64.0.1/",
        ] {
            assert!(
                policy.check_url(&sink(bad)).is_err(),
                "{bad} should be refused"
            );
        }
        assert!(
            policy
                .check_url(&sink("http://[::ffff:93.184.216.34]/"))
                .is_ok()
        );
    }

    #[test]
    fn allow_listed_networks_pass_whatever_their_class() {
        let policy = SinkPolicy {
            allow: vec!["10.1.0.0/16".parse().expect("a CIDR")].into(),
            ..SinkPolicy::for_listener(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        };
        assert!(policy.check_url(&sink("http://10.1.2.3/")).is_ok());
        assert!(policy.check_url(&sink("http://[::ffff:10.1.2.3]/")).is_ok());
        assert!(policy.check_url(&sink("http://10.2.0.1/")).is_err());
    }

    #[test]
    fn https_only_refuses_plain_http() {
        let policy = SinkPolicy {
            https_only: true,
            ..SinkPolicy::default()
        };
        assert_eq!(
            policy.check_url(&sink("http://example.com/")),
            Err(SinkError::Insecure)
        );
        assert!(policy.check_url(&sink("https://example.com/")).is_ok());
    }
}
