//! The network an IP address stands for wherever something is counted per address: the
//! service's per-client limits and the crawler's per-server politeness. An IPv4 address stands
//! for itself (an IPv4-mapped IPv6 one too, as the IPv4 address it is); an IPv6 address for its
//! /64. A network assigns a host a whole /64 (RFC 4291's interface identifiers, and how ISPs
//! and hosting platforms hand out prefixes): a client may take a fresh address of it for each
//! request, and a server may answer for each of its sites at an address of its own. Counted
//! per address, the one would never reach a limit and the other would be crawled as many
//! servers.

use std::net::{IpAddr, Ipv6Addr};

/// The network `ip` stands for: the IPv4 address, or the IPv6 address with its last 64 bits
/// cleared.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
    }
}

/// The network `ip` stands for, written out: `203.0.113.7`, `2001:db8:5:6::/64`.
pub fn label(ip: IpAddr) -> String {
    match network(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{v6}/64"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_address_stands_for_its_64_network() {
        let label = |ip: &str| label(ip.parse().unwrap());
        assert_eq!(label("203.0.113.7"), "203.0.113.7");
        assert_eq!(label("::ffff:203.0.113.7"), "203.0.113.7", "IPv4 through a dual-stack socket");
        assert_eq!(label("2001:db8:5:6::1"), "2001:db8:5:6::/64");
        assert_eq!(label("2001:db8:5:6:a1b2:c3d4:e5f6:789"), "2001:db8:5:6::/64", "any address of the same /64");
        assert_eq!(label("2001:db8:5:7::1"), "2001:db8:5:7::/64", "the next /64 is another network");
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(network(ip("2001:db8:5:6::1")), network(ip("2001:db8:5:6::2")));
        assert_ne!(network(ip("2001:db8:5:6::1")), network(ip("2001:db8:5:7::1")));
        assert_eq!(network(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
