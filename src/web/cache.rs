//! Pages, and parts of pages, drawn once and served again while the data behind them has not
//! changed: a measure page, a unit's page, the ledger, a liaison's desk, the scorecard. Each
//! entry is keyed by what it shows, for whom (a page with forms carries its session's CSRF
//! token, so such entries are per session), and by the data's version (see
//! `AppState::data_version`), which moves with every change, so a change anywhere makes every
//! entry stale; the version also carries the day, since lights move with the date. Bounded
//! by size: past `BUDGET` bytes the cache starts afresh.
//!
//! A page is drawn once per key even when many requests ask for it at the same moment (after
//! every change all readers miss together): the others wait for that drawing instead of each
//! drawing their own copy, which would cost a full drawing's memory and CPU per request.

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

/// Drawings in progress are serialised per key by one of this many locks (a key's lock is
/// chosen by its hash; two keys sharing one merely wait for each other).
const LANES: usize = 32;

pub struct PartCache {
    entries: Mutex<Entries>,
    lanes: [tokio::sync::Mutex<()>; LANES],
}

impl Default for PartCache {
    fn default() -> Self {
        PartCache {
            entries: Mutex::default(),
            lanes: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }
}

impl PartCache {
    /// The entry for `key`, drawn by `draw` if there is none; while one request draws it,
    /// others asking for the same key wait and take its drawing.
    pub async fn get_or_draw<F, Fut, E>(&self, key: String, draw: F) -> Result<Arc<Drawn>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Drawn, E>>,
    {
        if let Some(drawn) = self.get(&key) {
            return Ok(drawn);
        }
        let lane = {
            use std::hash::{BuildHasher, BuildHasherDefault};
            let hash = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                .hash_one(&key);
            &self.lanes[(hash % LANES as u64) as usize]
        };
        let _drawing = lane.lock().await;
        if let Some(drawn) = self.get(&key) {
            return Ok(drawn);
        }
        let drawn = Arc::new(draw().await?);
        self.put(key, drawn.clone());
        Ok(drawn)
    }

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

    #[test]
    fn requests_that_miss_together_share_one_drawing() {
        let cache = PartCache::default();
        let draws = std::cell::Cell::new(0);
        let draw = || async {
            draws.set(draws.get() + 1);
            // Let the other requests arrive while this one draws.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            Ok::<_, ()>(Drawn {
                title: String::new(),
                html: "page".into(),
            })
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pages = runtime.block_on(futures_util::future::join3(
            cache.get_or_draw("k".into(), draw),
            cache.get_or_draw("k".into(), draw),
            cache.get_or_draw("k".into(), draw),
        ));
        assert_eq!(draws.get(), 1);
        for page in [pages.0, pages.1, pages.2] {
            assert_eq!(page.unwrap().html, "page");
        }
        // A failed drawing is not kept: the next request draws again.
        let failed =
            runtime.block_on(cache.get_or_draw("e".into(), || async { Err::<Drawn, _>("no") }));
        assert!(failed.is_err());
        let again = runtime.block_on(cache.get_or_draw("e".into(), draw));
        assert_eq!((again.unwrap().html.as_str(), draws.get()), ("page", 2));
    }
}
