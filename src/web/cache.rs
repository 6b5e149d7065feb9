//! Rendered parts of pages that are costly and read far more often than the data behind them
//! changes (the scorecard). Each entry is keyed by what it shows and by the audit log's newest
//! id, which moves with every change, so a change anywhere makes every entry stale; entries
//! also carry the day, since lights move with the date. Bounded: past `CAPACITY` entries the
//! cache starts afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CAPACITY: usize = 256;

#[derive(Default)]
pub struct PartCache {
    entries: Mutex<HashMap<String, Arc<String>>>,
}

impl PartCache {
    pub fn get(&self, key: &str) -> Option<Arc<String>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    pub fn put(&self, key: String, html: Arc<String>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(key, html);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_by_key_and_the_cache_stays_bounded() {
        let cache = PartCache::default();
        cache.put("a".into(), Arc::new("A".into()));
        assert_eq!(cache.get("a").as_deref().map(String::as_str), Some("A"));
        assert!(cache.get("b").is_none());
        for i in 0..CAPACITY + 1 {
            cache.put(format!("k{i}"), Arc::new(String::new()));
        }
        assert!(cache.entries.lock().unwrap().len() <= CAPACITY);
    }
}
