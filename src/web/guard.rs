//! What stands between sign-in and an attacker, besides the account's own failure count and
//! lock (in the database, `accounts::record_login`): a growing delay per source address
//! for browsers that have not signed in before, and the device cookie (OWASP's "device
//! cookies") that lets a browser which signed in to an account before pass both. Both live
//! in memory, per instance.
//!
//! Only failures count against an address. A general rate limiter (governor and the like)
//! counts every attempt, so an office of fifty behind one address signing in at nine would
//! be held up by its own colleagues.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::AuthSettings;

/// Entries remembered at most; past this the oldest knowledge is dropped.
const MAX_ENTRIES: usize = 100_000;
/// The longest wait an address is given.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// An address whose last failure is older than this starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy)]
struct Address {
    failures: u32,
    last: Instant,
    until: Option<Instant>,
}

pub struct LoginGuard {
    addresses: Mutex<HashMap<IpAddr, Address>>,
    /// Failed sign-ins per device cookie since its last success.
    devices: Mutex<HashMap<String, u32>>,
    free_failures: u32,
    delay: Duration,
    max_device_failures: u32,
}

impl LoginGuard {
    pub fn new(auth: &AuthSettings) -> LoginGuard {
        LoginGuard {
            addresses: Mutex::new(HashMap::new()),
            devices: Mutex::new(HashMap::new()),
            free_failures: auth.address_failures,
            delay: auth.address_delay,
            max_device_failures: auth.max_failed_logins,
        }
    }

    /// Whether the address may try now, or how long it must wait.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check_address_at(ip, Instant::now())
    }

    fn check_address_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let map = self.addresses.lock().map_err(|_| Duration::from_secs(1))?;
        match map.get(&ip).and_then(|a| a.until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failure from the address; from the free ones on, each doubles the wait.
    pub fn address_failed(&self, ip: IpAddr) {
        self.address_failed_at(ip, Instant::now())
    }

    fn address_failed_at(&self, ip: IpAddr, now: Instant) {
        let Ok(mut map) = self.addresses.lock() else {
            return;
        };
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, a| now.duration_since(a.last) < FORGET_AFTER);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        let entry = map.entry(ip).or_insert(Address {
            failures: 0,
            last: now,
            until: None,
        });
        if now.duration_since(entry.last) > FORGET_AFTER {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last = now;
        if entry.failures >= self.free_failures {
            let doublings = (entry.failures - self.free_failures).min(16);
            let wait = self.delay.saturating_mul(1 << doublings).min(MAX_DELAY);
            entry.until = Some(now + wait);
        }
    }

    /// A device cookie stays trusted until it fails as often as the account lock allows.
    pub fn device_trusted(&self, device: &str) -> bool {
        self.devices
            .lock()
            .map(|m| m.get(device).copied().unwrap_or(0) < self.max_device_failures)
            .unwrap_or(false)
    }

    pub fn device_failed(&self, device: &str) {
        if let Ok(mut m) = self.devices.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            *m.entry(device.to_string()).or_insert(0) += 1;
        }
    }

    pub fn device_succeeded(&self, device: &str) {
        if let Ok(mut m) = self.devices.lock() {
            m.remove(device);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(free: u32, device_failures: u32) -> LoginGuard {
        let mut auth = crate::config::Settings::load(&|_| None).unwrap().auth;
        auth.address_failures = free;
        auth.address_delay = Duration::from_secs(5);
        auth.max_failed_logins = device_failures;
        LoginGuard::new(&auth)
    }

    #[test]
    fn an_address_waits_ever_longer_after_its_free_failures_and_others_do_not() {
        let g = guard(3, 5);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t0 = Instant::now();
        for _ in 0..2 {
            g.address_failed_at(a, t0);
            assert!(g.check_address_at(a, t0).is_ok());
        }
        g.address_failed_at(a, t0);
        assert_eq!(g.check_address_at(a, t0), Err(Duration::from_secs(5)));
        assert!(g.check_address_at(a, t0 + Duration::from_secs(5)).is_ok());
        g.address_failed_at(a, t0 + Duration::from_secs(5));
        assert_eq!(
            g.check_address_at(a, t0 + Duration::from_secs(5)),
            Err(Duration::from_secs(10))
        );
        for i in 0..30 {
            g.address_failed_at(a, t0 + Duration::from_secs(6 + i));
        }
        let wait = g
            .check_address_at(a, t0 + Duration::from_secs(40))
            .unwrap_err();
        assert!(
            wait <= MAX_DELAY && wait > Duration::from_secs(800),
            "{wait:?}"
        );
        assert!(g.check_address_at(b, t0).is_ok());
        // An hour later the address starts afresh.
        let later = t0 + Duration::from_secs(40) + FORGET_AFTER + MAX_DELAY;
        g.address_failed_at(a, later);
        assert!(g.check_address_at(a, later).is_ok());
    }

    #[test]
    fn a_device_stops_being_trusted_after_its_own_failures_until_it_succeeds() {
        let g = guard(3, 2);
        assert!(g.device_trusted("d1"));
        g.device_failed("d1");
        assert!(g.device_trusted("d1"));
        g.device_failed("d1");
        assert!(!g.device_trusted("d1"));
        assert!(g.device_trusted("d2"));
        g.device_succeeded("d1");
        assert!(g.device_trusted("d1"));
    }
}
