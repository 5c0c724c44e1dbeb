//! Model and region selection: the rule table of our design (`select_optimal_model_and_region`)
//! as data, filtered by required capabilities, regional availability and open circuit breakers.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::data::Catalog;
use super::error::CatalogError;
use super::spec::ModelSpec;

/// Conditions of one rule; every condition set must hold (unset = any).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleCondition {
    pub complexity_gt: Option<f64>,
    pub complexity_lt: Option<f64>,
    pub latency_gt_ms: Option<u64>,
    pub latency_lt_ms: Option<u64>,
    pub cost_sensitive: Option<bool>,
    pub tools: Option<bool>,
}

/// One row of the routing table: when `when` holds, try `models` in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub when: RuleCondition,
    pub models: Vec<String>,
}

/// The ordered rule table; the first matching rule decides, later matching rules (and the
/// fallback chains) supply alternatives when filters remove its models.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoutingTable {
    pub rules: Vec<Rule>,
}

impl RoutingTable {
    pub fn from_value(v: &Value) -> Result<RoutingTable, String> {
        let Some(rules) = v.get("rules") else {
            return Ok(RoutingTable::default());
        };
        let rules = rules.as_array().ok_or("routing.rules must be a list")?;
        let mut out = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let name = r
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let name = if name.is_empty() {
                format!("rule_{i}")
            } else {
                name
            };
            let w = r.get("when").cloned().unwrap_or(Value::Null);
            let f = |k: &str| w.get(k).and_then(Value::as_f64);
            let u = |k: &str| w.get(k).and_then(Value::as_u64);
            let b = |k: &str| w.get(k).and_then(Value::as_bool);
            let models = r
                .get("models")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("routing rule {name:?}: models must be a list"))?
                .iter()
                .map(|m| {
                    m.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("routing rule {name:?}: models must be strings"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Rule {
                name,
                when: RuleCondition {
                    complexity_gt: f("complexity_gt"),
                    complexity_lt: f("complexity_lt"),
                    latency_gt_ms: u("latency_gt_ms"),
                    latency_lt_ms: u("latency_lt_ms"),
                    cost_sensitive: b("cost_sensitive"),
                    tools: b("tools"),
                },
                models,
            });
        }
        Ok(RoutingTable { rules: out })
    }

    pub fn to_json(&self) -> Value {
        Value::Array(
            self.rules
                .iter()
                .map(|r| {
                    json!({
                        "name": r.name,
                        "when": {
                            "complexity_gt": r.when.complexity_gt, "complexity_lt": r.when.complexity_lt,
                            "latency_gt_ms": r.when.latency_gt_ms, "latency_lt_ms": r.when.latency_lt_ms,
                            "cost_sensitive": r.when.cost_sensitive, "tools": r.when.tools,
                        },
                        "models": r.models,
                    })
                })
                .collect(),
        )
    }
}

impl RuleCondition {
    fn matches(&self, complexity: f64, latency_ms: u64, cost_sensitive: bool, tools: bool) -> bool {
        self.complexity_gt.is_none_or(|t| complexity > t)
            && self.complexity_lt.is_none_or(|t| complexity < t)
            && self.latency_gt_ms.is_none_or(|t| latency_ms > t)
            && self.latency_lt_ms.is_none_or(|t| latency_ms < t)
            && self.cost_sensitive.is_none_or(|c| c == cost_sensitive)
            && self.tools.is_none_or(|t| t == tools)
    }
}

/// Capabilities the answer needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requirements {
    pub tools: bool,
    /// Tool use while streaming (voice always streams).
    pub streaming_tools: bool,
    pub vision: bool,
    pub documents: bool,
    pub thinking: bool,
    pub prompt_caching: bool,
    /// Prompt plus answer must fit.
    pub min_context_tokens: u64,
}

impl Requirements {
    pub fn satisfied_by(&self, m: &ModelSpec) -> bool {
        let c = &m.capabilities;
        (!self.tools || c.tools)
            && (!self.streaming_tools || c.streaming_tools)
            && (!self.vision || c.vision)
            && (!self.documents || c.documents)
            && (!self.thinking || c.thinking)
            && (!self.prompt_caching || c.prompt_caching)
            && m.context_window >= self.min_context_tokens
    }
}

/// Caller context for routing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutingOptions {
    /// Region to serve from; else derived from `country`; else the default region.
    pub preferred_region: Option<String>,
    /// ISO country of the caller (Cloudflare `cf-ipcountry`).
    pub country: Option<String>,
    /// Prefer the cheapest model of a tier (the design's `cost_optimize`).
    pub cost_sensitive: bool,
    /// Use `global.` profiles before geographic ones (cheaper for models with a regional
    /// premium, but traffic may leave the geography).
    pub prefer_global_profile: bool,
    /// Explicit `max_tokens` (capped at the model maximum).
    pub max_tokens: Option<u64>,
    /// Open circuit breakers: (model id, region). The model id may be the base id or the id
    /// sent (profile id); both are checked.
    pub excluded: HashSet<(String, String)>,
}

/// The routing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// What to send as `modelId`.
    pub model_id: String,
    pub base_model_id: String,
    /// Region of the Bedrock Runtime endpoint to call.
    pub region: String,
    pub profile: Option<String>,
    /// Name of the rule that picked the candidate list.
    pub rule: String,
    pub max_tokens: u64,
    /// Next models to try on throttling (the configured fallback chain of the chosen model).
    pub fallbacks: Vec<String>,
    /// The chosen model is not the rule's first choice or the region not the preferred one.
    pub degraded: bool,
    pub price_percent: u32,
}

impl Catalog {
    /// Picks a model and a region. `is_open(model_id, region)` reports an open circuit breaker.
    ///
    /// Order: candidates of the first matching rule, then of later matching rules, then the
    /// fallback chain of the first candidate; those missing a required capability are dropped.
    /// Each candidate is tried in the preferred region first (in-region id, else a profile
    /// callable from it); only when no candidate fits there are the nearest regions, the
    /// fallback region and the default region tried, in that order.
    pub fn select(
        &self,
        complexity: f64,
        max_latency_ms: u64,
        req: &Requirements,
        opts: &RoutingOptions,
        is_open: &dyn Fn(&str, &str) -> bool,
    ) -> Result<Selection, CatalogError> {
        let complexity = if complexity.is_nan() { 0.0 } else { complexity };
        let needs_tools = req.tools || req.streaming_tools;
        let matching: Vec<&super::routing::Rule> = self
            .routing
            .rules
            .iter()
            .filter(|r| {
                r.when
                    .matches(complexity, max_latency_ms, opts.cost_sensitive, needs_tools)
            })
            .collect();
        let rule_name = matching
            .first()
            .map(|r| r.name.clone())
            .unwrap_or_else(|| "none".into());

        let mut ids: Vec<&str> = matching
            .iter()
            .flat_map(|r| r.models.iter().map(String::as_str))
            .collect();
        let first_id = ids
            .first()
            .and_then(|id| self.model(id))
            .map(|m| m.id.clone());
        if let Some(chain) = first_id
            .as_ref()
            .and_then(|id| self.fallback_chains.get(id))
        {
            ids.extend(chain.iter().map(String::as_str));
        }
        let mut candidates: Vec<&ModelSpec> = Vec::new();
        for id in ids {
            if let Some(m) = self.model(id) {
                if !candidates.iter().any(|x| x.id == m.id) {
                    candidates.push(m);
                }
            }
        }
        let first_choice = candidates.first().map(|m| m.id.clone());
        candidates.retain(|m| req.satisfied_by(m));
        if candidates.is_empty() {
            return Err(CatalogError::NoCapableModel(format!(
                "no model of rule {rule_name:?} meets the requirements {req:?}"
            )));
        }

        let preferred = opts
            .preferred_region
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| {
                self.regions
                    .region_for_country(opts.country.as_deref().unwrap_or(""))
                    .to_string()
            });
        let excluded = |m: &str, sent: &str, region: &str| {
            is_open(m, region)
                || is_open(sent, region)
                || opts.excluded.contains(&(m.to_string(), region.to_string()))
                || opts
                    .excluded
                    .contains(&(sent.to_string(), region.to_string()))
        };
        let regions =
            std::iter::once(preferred.clone()).chain(self.regions.fallback_order(&preferred));
        for region in regions {
            for m in &candidates {
                if let Some((sent, profile)) =
                    self.endpoint_in(m, &region, opts.prefer_global_profile)
                {
                    if excluded(&m.id, &sent, &region) {
                        continue;
                    }
                    let price_percent =
                        m.price_percent(profile.as_deref(), &self.global_profiles());
                    return Ok(Selection {
                        model_id: sent,
                        base_model_id: m.id.clone(),
                        degraded: region != preferred
                            || first_choice.as_deref() != Some(m.id.as_str()),
                        region,
                        profile,
                        rule: rule_name,
                        max_tokens: cap_max_tokens(m, opts.max_tokens),
                        fallbacks: self.fallback_chains.get(&m.id).cloned().unwrap_or_default(),
                        price_percent,
                    });
                }
            }
        }
        Err(CatalogError::NoModelAvailable(format!(
            "every candidate of rule {rule_name:?} is unavailable or behind an open circuit breaker near {preferred}"
        )))
    }

    /// The id to send for `model` when calling the endpoint of `region`, with its profile:
    /// the in-region id when offered there, else a geographic profile callable from the
    /// region, else a global profile (order swapped by `prefer_global`).
    pub fn endpoint_in(
        &self,
        model: &ModelSpec,
        region: &str,
        prefer_global: bool,
    ) -> Option<(String, Option<String>)> {
        let profiles: Vec<&super::data::ProfileDef> = model
            .profiles
            .iter()
            .filter_map(|p| self.profiles.get(p))
            .filter(|p| p.callable_from(region))
            .collect();
        let geo = profiles.iter().find(|p| !p.global);
        let global = profiles.iter().find(|p| p.global);
        let pick = if prefer_global {
            global.or(geo)
        } else {
            geo.or(global)
        };
        if model.in_region(region)
            && !(prefer_global && global.is_some() && model.regional_premium_percent > 0)
        {
            return Some((model.id.clone(), None));
        }
        pick.map(|p| (format!("{}.{}", p.prefix, model.id), Some(p.prefix.clone())))
    }

    /// `max_tokens` for a request: the explicit value when given, else the model's voice
    /// default; always capped at the model's maximum output and at least 1.
    pub fn max_tokens_for(&self, id: &str, explicit: Option<u64>) -> Result<u64, CatalogError> {
        Ok(cap_max_tokens(&self.resolve_quiet(id)?.spec, explicit))
    }

    /// The throttling fallback chain of a model (resolved ids, possibly empty).
    pub fn fallback_chain(&self, id: &str) -> Result<Vec<String>, CatalogError> {
        let m = self.resolve_quiet(id)?;
        Ok(self
            .fallback_chains
            .get(&m.base_model_id)
            .cloned()
            .unwrap_or_default())
    }
}

fn cap_max_tokens(m: &ModelSpec, explicit: Option<u64>) -> u64 {
    explicit
        .unwrap_or(m.default_max_tokens)
        .clamp(1, m.max_output_tokens.max(1))
}
