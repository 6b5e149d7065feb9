//! Pages, and parts of pages, drawn once and served again while the data behind them has not
//! changed: a measure page, a unit's page, the ledger, a liaison's desk, the scorecard. Each
//! entry is keyed by what it shows, for whom (a page with forms carries its session's CSRF
//! token, so such entries are per session), and by the data's version (see
//! `AppState::data_version`), which moves with every change, so a change anywhere makes every
//! entry stale; the version also carries the day, since lights move with the date. Bounded
//! by size: past `BUDGET` bytes the cache starts afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Bytes of drawn HTML kept at most.
const BUDGET: usize = 8 << 20;

/// A drawn page's title and content (without the layout, which shows the flash message),
/// or an API answer's JSON.
#[derive(Debug, Default)]
pub struct Drawn {
    pub title: String,
    pub html: String,
}

impl Drawn {
    fn size(&self, key: &str) -> usize {
        key.len() + self.title.len() + self.html.len()
    }
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Drawn>>,
    bytes: usize,
}

#[derive(Default)]
pub struct PartCache {
    entries: Mutex<Entries>,
}

impl PartCache {
    pub fn get(&self, key: &str) -> Option<Arc<Drawn>> {
        self.entries.lock().ok()?.map.get(key).cloned()
    }

    pub fn put(&self, key: String, drawn: Arc<Drawn>) {
        let size = drawn.size(&key);
        if size > BUDGET / 4 {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.bytes + size > BUDGET {
                entries.map.clear();
                entries.bytes = 0;
            }
            if let Some(old) = entries.map.insert(key.clone(), drawn) {
                entries.bytes -= old.size(&key);
            }
            entries.bytes += size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> Arc<Drawn> {
        Arc::new(Drawn {
            title: String::new(),
            html: html.into(),
        })
    }

    #[test]
    fn entries_are_found_by_key_and_the_cache_stays_within_its_budget() {
        let cache = PartCache::default();
        cache.put("a".into(), page("A"));
        assert_eq!(cache.get("a").unwrap().html, "A");
        assert!(cache.get("b").is_none());
        let big = "x".repeat(BUDGET / 8);
        for i in 0..20 {
            cache.put(format!("k{i}"), page(&big));
        }
        let entries = cache.entries.lock().unwrap();
        assert!(entries.bytes <= BUDGET);
        assert_eq!(
            entries.bytes,
            entries.map.iter().map(|(k, d)| d.size(k)).sum::<usize>()
        );
        drop(entries);
        // An entry too large for a quarter of the budget is not kept.
        cache.put("huge".into(), page(&"x".repeat(BUDGET / 2)));
        assert!(cache.get("huge").is_none());
    }
}
