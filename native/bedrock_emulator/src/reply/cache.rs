//! Prompt-cache bookkeeping: a cache point's key is a hash of the model id and everything
//! before it (tools, then system, then messages). A hit within the TTL reports
//! cacheReadInputTokens (and refreshes the TTL); otherwise the prefix is written. A point
//! whose prefix is shorter than the model's minimum is not a checkpoint at all: Bedrock
//! neither writes nor reads it, and the call still succeeds.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::request::CacheItem;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheUsage {
    pub read: u64,
    pub write: u64,
    /// TTL of the written entry (300 or 3600 s) when `write > 0`.
    pub write_ttl_secs: u64,
}

#[derive(Debug, Default)]
pub struct PromptCache {
    entries: HashMap<[u8; 32], Instant>,
}

impl PromptCache {
    pub fn account(
        &mut self,
        model: &str,
        items: &[CacheItem],
        min_tokens: u64,
        now: Instant,
    ) -> CacheUsage {
        self.entries.retain(|_, expiry| *expiry > now);
        let mut hasher = Sha256::new();
        hasher.update(model.as_bytes());
        let mut running = 0u64;
        // (key, prefix tokens, ttl) per cache point.
        let mut points: Vec<([u8; 32], u64, u64)> = Vec::new();
        for item in items {
            match item {
                CacheItem::Part { tokens, repr } => {
                    running += tokens;
                    hasher.update((repr.len() as u64).to_le_bytes());
                    hasher.update(repr.as_bytes());
                }
                CacheItem::Point { ttl_secs } if running >= min_tokens.max(1) => {
                    let key: [u8; 32] = hasher.clone().finalize().into();
                    points.push((key, running, *ttl_secs));
                }
                CacheItem::Point { .. } => {}
            }
        }
        let Some(&(_, last_tokens, last_ttl)) = points.last() else {
            return CacheUsage::default();
        };
        let hit = points
            .iter()
            .rposition(|(k, _, _)| self.entries.contains_key(k));
        let read = hit.map_or(0, |i| points[i].1);
        let start = hit.map_or(0, |i| {
            let (k, _, ttl) = points[i];
            self.entries.insert(k, now + Duration::from_secs(ttl));
            i + 1
        });
        for (k, _, ttl) in &points[start..] {
            self.entries.insert(*k, now + Duration::from_secs(*ttl));
        }
        let write = last_tokens.saturating_sub(read);
        CacheUsage {
            read,
            write,
            write_ttl_secs: if write > 0 { last_ttl } else { 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read() {
        let items = vec![
            CacheItem::Part {
                tokens: 100,
                repr: "system".into(),
            },
            CacheItem::Point { ttl_secs: 300 },
            CacheItem::Part {
                tokens: 10,
                repr: "hi".into(),
            },
        ];
        let mut cache = PromptCache::default();
        let now = Instant::now();
        assert_eq!(
            cache.account("m", &items, 101, now).write,
            0,
            "below the minimum"
        );
        let first = cache.account("m", &items, 100, now);
        assert_eq!((first.read, first.write), (0, 100));
        let second = cache.account("m", &items, 100, now + Duration::from_secs(10));
        assert_eq!((second.read, second.write), (100, 0));
        let expired = cache.account("m", &items, 100, now + Duration::from_secs(1000));
        assert_eq!((expired.read, expired.write), (0, 100));
        assert_eq!(cache.account("other", &items, 100, now).write, 100);
    }
}
