//! Model catalog, cost and routing.
//!
//! - [`spec`]: one model (ids, limits, capabilities, prices, family).
//! - [`data`]: the catalog file `data/models.json` (compiled in), runtime overrides, validation.
//! - [`ids`]: the model id grammar; resolving base/versioned ids, inference profiles, ARNs and
//!   aliases; bounded spelling suggestions.
//! - [`preflight`]: the rules Bedrock would enforce (lifecycle, profiles, sampling, thinking),
//!   applied before any network.
//! - [`cost`]: exact integer cost (femto/nanodollars), token estimation for interrupted streams.
//! - [`routing`]: the design's model selection rules as a table, with capability, region and
//!   circuit-breaker filters.
//! - [`regions`]: country to region, nearest regions, fallback region.
//!
//! The global catalog ([`catalog()`]) is the embedded file plus the overrides last given to
//! [`put_overrides`]; it is swapped atomically, so readers never see a half-applied update.

pub mod cost;
pub mod data;
pub mod error;
pub mod ids;
pub mod preflight;
pub mod regions;
pub mod routing;
pub mod spec;

use std::sync::{Arc, OnceLock, RwLock};

pub use cost::{
    cache_write_split, estimate_interrupted_usage, estimate_tokens, format_usd,
    parse_cache_details, CacheDetail, CacheTtl, Cost, Usage, MAX_CACHE_DETAILS,
};
pub use data::{merge_overrides, Catalog, ProfileDef, EMBEDDED_JSON};
pub use error::CatalogError;
pub use ids::{check_model_id, edit_distance, ResolvedModel, MAX_MODEL_ID_LEN, RESOLVE_CACHE_MAX};
pub use preflight::{Preflight, RequestFacts};
pub use regions::RegionConfig;
pub use routing::{Requirements, RoutingOptions, RoutingTable, Rule, RuleCondition, Selection};
pub use spec::{
    today_utc, Api, Capabilities, Family, Lifecycle, LifecycleState, ModelSpec, Prices,
    SpeechPrices, SpeechSpec,
};

fn slot() -> &'static RwLock<Arc<Catalog>> {
    static SLOT: OnceLock<RwLock<Arc<Catalog>>> = OnceLock::new();
    // The embedded file is validated by tests; if it ever failed, an empty catalog (every
    // lookup then reports an unknown id) beats a panic inside the VM.
    SLOT.get_or_init(|| {
        RwLock::new(Arc::new(
            Catalog::embedded().unwrap_or_else(|_| Catalog::empty()),
        ))
    })
}

/// The global catalog: embedded data plus runtime overrides.
pub fn catalog() -> Arc<Catalog> {
    slot().read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Replaces the override layer (overrides do not accumulate: each call starts again from the
/// embedded file, so applying the same config twice is harmless). Invalid overrides leave the
/// current catalog untouched.
pub fn put_overrides(overrides: &serde_json::Value) -> Result<Arc<Catalog>, CatalogError> {
    let next = Arc::new(Catalog::with_overrides(overrides)?);
    *slot().write().unwrap_or_else(|e| e.into_inner()) = next.clone();
    Ok(next)
}

/// [`put_overrides`] from JSON text.
pub fn put_overrides_json(text: &str) -> Result<Arc<Catalog>, CatalogError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| CatalogError::InvalidData(format!("overrides: {e}")))?;
    put_overrides(&value)
}

/// Back to the embedded catalog.
pub fn clear_overrides() -> Result<Arc<Catalog>, CatalogError> {
    let next = Arc::new(Catalog::embedded()?);
    *slot().write().unwrap_or_else(|e| e.into_inner()) = next.clone();
    Ok(next)
}

/// The design's `select_optimal_model_and_region/4` on the global catalog; open circuit
/// breakers come from `options.excluded`.
pub fn select_optimal_model_and_region(
    complexity: f64,
    max_latency_ms: u64,
    requirements: &Requirements,
    options: &RoutingOptions,
) -> Result<Selection, CatalogError> {
    catalog().select(
        complexity,
        max_latency_ms,
        requirements,
        options,
        &|_, _| false,
    )
}
