//! Loading the catalog: the embedded `data/models.json`, runtime overrides merged over it,
//! validation, and the lookup index.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::error::CatalogError;
use super::regions::RegionConfig;
use super::routing::RoutingTable;
use super::spec::{
    parse_usd, Api, Capabilities, Family, Lifecycle, LifecycleState, ModelSpec, Prices,
    SpeechPrices, SpeechSpec,
};

/// The catalog file, compiled in.
pub const EMBEDDED_JSON: &str = include_str!("../../data/models.json");

/// An inference profile prefix and the source regions it can be called from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDef {
    pub prefix: String,
    /// Source regions; `*` means every commercial region (global profiles).
    pub regions: Vec<String>,
    /// Global profiles route world-wide and are billed at the list price.
    pub global: bool,
}

impl ProfileDef {
    /// Whether a request can be sent to `region` with this profile.
    pub fn callable_from(&self, region: &str) -> bool {
        if self.regions.iter().any(|r| r == "*") {
            // Global profiles are commercial-partition only.
            return !region.starts_with("us-gov-") && !region.starts_with("cn-");
        }
        self.regions.iter().any(|r| r == region)
    }
}

/// The whole catalog: models, profiles, aliases, regions, fallback chains and routing rules.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub source: String,
    pub as_of: String,
    pub notes: Option<String>,
    pub profiles: BTreeMap<String, ProfileDef>,
    pub models: Vec<ModelSpec>,
    /// Names from our design documents that are not real Bedrock ids, mapped to real ids.
    /// Resolving one sets `deprecated_alias` so the caller can warn once.
    pub deprecated_aliases: BTreeMap<String, String>,
    pub regions: RegionConfig,
    pub fallback_chains: BTreeMap<String, Vec<String>>,
    pub routing: RoutingTable,
    /// Whether runtime overrides are applied on top of the embedded file.
    pub overridden: bool,
    /// lowercased id / unversioned id / friendly alias -> index in `models`.
    pub(crate) index: HashMap<String, usize>,
    /// Ids already resolved by [`Catalog::resolve_shared`] (filled on use, bounded).
    pub(crate) resolved: super::ids::ResolveCache,
}

impl Catalog {
    /// The embedded catalog.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        Catalog::from_json_str(EMBEDDED_JSON)
    }

    pub fn from_json_str(text: &str) -> Result<Catalog, CatalogError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| CatalogError::InvalidData(e.to_string()))?;
        Catalog::from_value(&value)
    }

    /// The embedded catalog with `overrides` merged over it (see [`merge_overrides`]).
    pub fn with_overrides(overrides: &Value) -> Result<Catalog, CatalogError> {
        let base: Value = serde_json::from_str(EMBEDDED_JSON)
            .map_err(|e| CatalogError::InvalidData(e.to_string()))?;
        let merged = merge_overrides(&base, overrides)?;
        let mut catalog = Catalog::from_value(&merged)?;
        catalog.overridden = true;
        Ok(catalog)
    }

    /// An empty catalog, used only if the embedded file cannot be read (never panics).
    pub fn empty() -> Catalog {
        Catalog {
            source: String::new(),
            as_of: String::new(),
            notes: None,
            profiles: BTreeMap::new(),
            models: Vec::new(),
            deprecated_aliases: BTreeMap::new(),
            regions: RegionConfig::default(),
            fallback_chains: BTreeMap::new(),
            routing: RoutingTable::default(),
            overridden: false,
            index: HashMap::new(),
            resolved: Default::default(),
        }
    }

    pub fn from_value(value: &Value) -> Result<Catalog, CatalogError> {
        let obj = value
            .as_object()
            .ok_or_else(|| invalid("catalog must be a JSON object"))?;
        let str_field = |k: &str| {
            obj.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };

        let mut profiles = BTreeMap::new();
        if let Some(p) = obj.get("profiles").and_then(Value::as_object) {
            for (prefix, def) in p {
                let regions =
                    string_list(def.get("regions"), &format!("profiles.{prefix}.regions"))?;
                let global = def.get("global").and_then(Value::as_bool).unwrap_or(false);
                profiles.insert(
                    prefix.clone(),
                    ProfileDef {
                        prefix: prefix.clone(),
                        regions,
                        global,
                    },
                );
            }
        }

        let mut models = Vec::new();
        for (i, m) in obj
            .get("models")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            models.push(parse_model(m).map_err(|e| invalid(&format!("models[{i}]: {e}")))?);
        }

        let deprecated_aliases = string_map(obj.get("deprecated_aliases"), "deprecated_aliases")?;
        let regions = RegionConfig::from_value(obj.get("regions").unwrap_or(&Value::Null))
            .map_err(|e| invalid(&e))?;
        let mut fallback_chains = BTreeMap::new();
        if let Some(f) = obj.get("fallback_chains").and_then(Value::as_object) {
            for (k, v) in f {
                fallback_chains.insert(
                    k.clone(),
                    string_list(Some(v), &format!("fallback_chains.{k}"))?,
                );
            }
        }
        let routing = RoutingTable::from_value(obj.get("routing").unwrap_or(&Value::Null))
            .map_err(|e| invalid(&e))?;

        let mut catalog = Catalog {
            source: str_field("source"),
            as_of: str_field("as_of"),
            notes: obj.get("notes").and_then(Value::as_str).map(str::to_string),
            profiles,
            models,
            deprecated_aliases,
            regions,
            fallback_chains,
            routing,
            overridden: false,
            index: HashMap::new(),
            resolved: Default::default(),
        };
        catalog.build_index()?;
        catalog.validate()?;
        Ok(catalog)
    }

    fn build_index(&mut self) -> Result<(), CatalogError> {
        let mut index = HashMap::new();
        for (i, m) in self.models.iter().enumerate() {
            let id = m.id.to_ascii_lowercase();
            if index.insert(id.clone(), i).is_some() {
                return Err(invalid(&format!("duplicate model id {}", m.id)));
            }
            // `...-v1:0` is also reachable as `...-v1` (the unversioned base id).
            if let Some((base, _)) = id.rsplit_once(':') {
                index.entry(base.to_string()).or_insert(i);
            }
        }
        for (i, m) in self.models.iter().enumerate() {
            for a in &m.aliases {
                index.entry(a.to_ascii_lowercase()).or_insert(i);
            }
        }
        self.index = index;
        Ok(())
    }

    fn validate(&self) -> Result<(), CatalogError> {
        for m in &self.models {
            for p in &m.profiles {
                if !self.profiles.contains_key(p) {
                    return Err(invalid(&format!(
                        "model {} names unknown profile {p:?}",
                        m.id
                    )));
                }
            }
            for k in m
                .profile_prices
                .keys()
                .chain(m.profile_premium_percent.keys())
            {
                if k != "in_region" && !self.profiles.contains_key(k) {
                    return Err(invalid(&format!(
                        "model {} prices unknown profile {k:?}",
                        m.id
                    )));
                }
            }
            if m.lifecycle.state != LifecycleState::Active && m.lifecycle.replacement.is_none() {
                return Err(invalid(&format!(
                    "model {} is {} but names no replacement",
                    m.id,
                    m.lifecycle.state.as_str()
                )));
            }
            if m.default_max_tokens == 0 || m.default_max_tokens > m.max_output_tokens {
                return Err(invalid(&format!(
                    "model {}: default_max_tokens must be in 1..=max_output_tokens",
                    m.id
                )));
            }
        }
        let known = |id: &str| self.index.contains_key(&id.to_ascii_lowercase());
        // Text routing and fallback never pick a speech-to-speech model.
        let speech = |id: &str| self.model(id).is_some_and(ModelSpec::is_speech);
        for m in &self.models {
            if let Some(r) = &m.lifecycle.replacement {
                let ok = self
                    .model(r)
                    .is_some_and(|x| x.lifecycle.state != LifecycleState::Eol && x.id != m.id);
                if !ok {
                    return Err(invalid(&format!(
                        "model {}: replacement {r:?} is not a callable catalog model",
                        m.id
                    )));
                }
                if self
                    .model(r)
                    .is_some_and(|x| x.is_speech() != m.is_speech())
                {
                    return Err(invalid(&format!(
                        "model {}: replacement {r:?} is not the same kind of model (speech-to-speech vs text)",
                        m.id
                    )));
                }
            }
        }
        for (alias, target) in &self.deprecated_aliases {
            if !known(target) {
                return Err(invalid(&format!(
                    "deprecated alias {alias:?} points to unknown model {target:?}"
                )));
            }
        }
        for (k, chain) in &self.fallback_chains {
            for id in std::iter::once(k).chain(chain) {
                if !known(id) {
                    return Err(invalid(&format!(
                        "fallback chain of {k:?} names unknown model {id:?}"
                    )));
                }
                if speech(id) {
                    return Err(invalid(&format!(
                        "fallback chain of {k:?} names speech-to-speech model {id:?}"
                    )));
                }
            }
        }
        for rule in &self.routing.rules {
            if rule.models.is_empty() {
                return Err(invalid(&format!(
                    "routing rule {:?} names no model",
                    rule.name
                )));
            }
            for id in &rule.models {
                if !known(id) {
                    return Err(invalid(&format!(
                        "routing rule {:?} names unknown model {id:?}",
                        rule.name
                    )));
                }
                if speech(id) {
                    return Err(invalid(&format!(
                        "routing rule {:?} names speech-to-speech model {id:?}",
                        rule.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// The spec of a model by exact id, unversioned id or friendly alias (no profile, no ARN).
    pub fn model(&self, id: &str) -> Option<&ModelSpec> {
        self.index
            .get(&id.to_ascii_lowercase())
            .and_then(|&i| self.models.get(i))
    }

    /// Prefixes of the global profiles (billed at list price).
    pub fn global_profiles(&self) -> Vec<String> {
        self.profiles
            .values()
            .filter(|p| p.global)
            .map(|p| p.prefix.clone())
            .collect()
    }

    /// Summary of where the data comes from.
    pub fn info(&self) -> Value {
        serde_json::json!({
            "source": self.source,
            "as_of": self.as_of,
            "notes": self.notes,
            "overridden": self.overridden,
            "model_count": self.models.len(),
        })
    }
}

fn invalid(msg: &str) -> CatalogError {
    CatalogError::InvalidData(msg.to_string())
}

/// Most entries one list of the catalog may have (a model's aliases, regions and profiles, a
/// profile's regions, a fallback chain). The embedded data's longest has 14; the NIFs that
/// answer one model (`catalog_resolve`, `catalog_fallback_chain`) encode such lists on a
/// normal scheduler, where 100,000 entries from overrides took ~100 ms (debug build).
pub const MAX_LIST_ENTRIES: usize = 256;

fn string_list(v: Option<&Value>, what: &str) -> Result<Vec<String>, CatalogError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() > MAX_LIST_ENTRIES => Err(invalid(&format!(
            "{what}: {} entries; at most {MAX_LIST_ENTRIES}",
            items.len()
        ))),
        Some(Value::Array(items)) => items
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(&format!("{what}: expected strings")))
            })
            .collect(),
        Some(_) => Err(invalid(&format!("{what}: expected a list of strings"))),
    }
}

fn string_map(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>, CatalogError> {
    let mut out = BTreeMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match v {
                    Value::String(s) => {
                        out.insert(k.clone(), s.clone());
                    }
                    // null removes an entry in overrides; ignore here.
                    Value::Null => {}
                    _ => return Err(invalid(&format!("{what}.{k}: expected a string"))),
                }
            }
        }
        Some(_) => return Err(invalid(&format!("{what}: expected an object"))),
    }
    Ok(out)
}

fn parse_model(m: &Value) -> Result<ModelSpec, String> {
    let o = m.as_object().ok_or("expected an object")?;
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
    let u = |k: &str| o.get(k).and_then(Value::as_u64);
    let id = s("id").filter(|x| !x.is_empty()).ok_or("missing id")?;
    let e = |msg: &str| format!("{id}: {msg}");
    let list = |k: &str| -> Result<Vec<String>, String> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) if a.len() > MAX_LIST_ENTRIES => Err(e(&format!(
                "{k}: {} entries; at most {MAX_LIST_ENTRIES}",
                a.len()
            ))),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| e(&format!("{k}: expected strings")))
                })
                .collect(),
            Some(_) => Err(e(&format!("{k}: expected a list"))),
        }
    };
    let family: Family = match o.get("family") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|x| e(&x.to_string()))?,
        None => Family::Other,
    };
    let capabilities: Capabilities = match o.get("capabilities") {
        Some(v) => {
            let mut caps: Capabilities =
                serde_json::from_value(v.clone()).map_err(|x| e(&format!("capabilities: {x}")))?;
            // Fields older files and overrides do not carry: budget thinking follows
            // `thinking`, sampling parameters are accepted.
            if v.get("thinking_budget").is_none() {
                caps.thinking_budget = caps.thinking && !caps.thinking_adaptive;
            }
            if v.get("accepts_sampling").is_none() {
                caps.accepts_sampling = true;
            }
            caps.thinking = caps.thinking || caps.thinking_budget || caps.thinking_adaptive;
            caps
        }
        None => Capabilities {
            accepts_sampling: true,
            ..Capabilities::default()
        },
    };
    let mut profile_prices = std::collections::BTreeMap::new();
    if let Some(table) = o.get("profile_prices").filter(|v| !v.is_null()) {
        let table = table
            .as_object()
            .ok_or_else(|| e("profile_prices: expected an object"))?;
        for (k, v) in table {
            let p = parse_prices(Some(v), &format!("profile_prices.{k}")).map_err(|x| e(&x))?;
            profile_prices.insert(k.clone(), p);
        }
    }
    let mut profile_premium_percent = std::collections::BTreeMap::new();
    if let Some(table) = o.get("profile_premium_percent").filter(|v| !v.is_null()) {
        let table = table
            .as_object()
            .ok_or_else(|| e("profile_premium_percent: expected an object"))?;
        for (k, v) in table {
            let pct = v
                .as_u64()
                .and_then(|x| u32::try_from(x).ok())
                .filter(|x| *x <= 1000)
                .ok_or_else(|| e(&format!("profile_premium_percent.{k}: expected 0..=1000")))?;
            profile_premium_percent.insert(k.clone(), pct);
        }
    }
    let lifecycle =
        parse_lifecycle(o.get("lifecycle"), s("deprecation_date")).map_err(|x| e(&x))?;
    // Older catalog files and overrides without `apis`: the two bedrock-runtime APIs.
    let apis = match o.get("apis") {
        None | Some(Value::Null) => vec![Api::Converse, Api::Invoke],
        Some(_) => {
            let mut apis = Vec::new();
            for name in list("apis")? {
                let api = Api::parse(&name).ok_or_else(|| {
                    e(&format!(
                        "apis: unknown api {name:?} (converse, invoke, messages, bidirectional)"
                    ))
                })?;
                if !apis.contains(&api) {
                    apis.push(api);
                }
            }
            if apis.is_empty() {
                return Err(e("apis: must name at least one api"));
            }
            apis
        }
    };
    // A speech-to-speech model (Nova Sonic) is served on the bidirectional stream only and
    // priced per speech and text token; every other model has text prices.
    let (prices, speech) = if apis.contains(&Api::Bidirectional) {
        if apis.len() > 1 {
            return Err(e(
                "apis: a bidirectional (speech-to-speech) model is served on no other api",
            ));
        }
        let speech = parse_speech(o.get("speech")).map_err(|x| e(&x))?;
        (Prices::default(), Some(speech))
    } else {
        if o.get("speech").is_some_and(|v| !v.is_null()) {
            return Err(e("speech: only for models served on the bidirectional api"));
        }
        let prices = parse_prices(o.get("prices"), "prices").map_err(|x| e(&x))?;
        (prices, None)
    };
    let max_output_tokens = u("max_output_tokens").ok_or_else(|| e("missing max_output_tokens"))?;
    Ok(ModelSpec {
        name: s("name").unwrap_or_else(|| id.clone()),
        family,
        tier: s("tier").unwrap_or_default(),
        aliases: list("aliases")?,
        context_window: u("context_window").ok_or_else(|| e("missing context_window"))?,
        max_output_tokens,
        default_max_tokens: u("default_max_tokens").unwrap_or(max_output_tokens.min(1024)),
        capabilities,
        apis,
        mantle_id: s("mantle_id").filter(|x| !x.is_empty()),
        regions: list("regions")?,
        profiles: list("profiles")?,
        prices,
        speech,
        regional_premium_percent: u("regional_premium_percent")
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
        profile_premium_percent,
        profile_prices,
        deprecation_date: lifecycle.eol_date.clone(),
        lifecycle,
        sources: list("sources")?,
        unconfirmed: list("unconfirmed")?,
        notes: s("notes"),
        verified: o.get("verified").and_then(Value::as_bool).unwrap_or(false),
        id,
    })
}

/// `speech: {text_input, endpointing, input_rates, output_rates, prices}`; `prices` is
/// `{speech_input, speech_output, text_input, text_output}` (USD per million tokens) or null
/// when no published price was found.
fn parse_speech(v: Option<&Value>) -> Result<SpeechSpec, String> {
    let o = v
        .and_then(Value::as_object)
        .ok_or("speech: required for a bidirectional model (an object)")?;
    let flag = |k: &str| -> Result<bool, String> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("speech.{k}: expected a boolean")),
        }
    };
    let rates = |k: &str| -> Result<Vec<u32>, String> {
        let list = o
            .get(k)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("speech.{k}: expected a list of sample rates"))?;
        let rates = list
            .iter()
            .map(|r| {
                r.as_u64()
                    .and_then(|r| u32::try_from(r).ok())
                    .filter(|r| (8_000..=48_000).contains(r))
                    .ok_or_else(|| format!("speech.{k}: sample rates are 8000..=48000 Hz"))
            })
            .collect::<Result<Vec<u32>, String>>()?;
        if rates.is_empty() {
            return Err(format!("speech.{k}: names no sample rate"));
        }
        Ok(rates)
    };
    let prices = match o.get("prices") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => {
            let req = |k: &str| -> Result<u64, String> {
                parse_usd(p.get(k).unwrap_or(&Value::Null))
                    .map_err(|x| format!("speech.prices.{k}: {x}"))
            };
            Some(SpeechPrices {
                speech_input: req("speech_input")?,
                speech_output: req("speech_output")?,
                text_input: req("text_input")?,
                text_output: req("text_output")?,
            })
        }
        Some(_) => return Err("speech.prices: expected an object or null".into()),
    };
    Ok(SpeechSpec {
        text_input: flag("text_input")?,
        endpointing: flag("endpointing")?,
        input_rates: rates("input_rates")?,
        output_rates: rates("output_rates")?,
        prices,
    })
}

fn parse_prices(v: Option<&Value>, what: &str) -> Result<Prices, String> {
    let prices = v
        .and_then(Value::as_object)
        .ok_or_else(|| format!("missing {what}"))?;
    let req = |k: &str| -> Result<u64, String> {
        parse_usd(prices.get(k).unwrap_or(&Value::Null)).map_err(|x| format!("{what}.{k}: {x}"))
    };
    let opt = |k: &str| -> Result<Option<u64>, String> {
        match prices.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => parse_usd(v)
                .map(Some)
                .map_err(|x| format!("{what}.{k}: {x}")),
        }
    };
    Ok(Prices {
        input: req("input")?,
        output: req("output")?,
        cache_read: opt("cache_read")?,
        cache_write_5m: opt("cache_write_5m")?,
        cache_write_1h: opt("cache_write_1h")?,
    })
}

/// `lifecycle: {state, launched, legacy_since, eol_date, eol_no_sooner_than, replacement}`;
/// a bare `deprecation_date` (older files) is read as the EOL date.
fn parse_lifecycle(
    v: Option<&Value>,
    deprecation_date: Option<String>,
) -> Result<Lifecycle, String> {
    let Some(obj) = v.filter(|v| !v.is_null()) else {
        return Ok(Lifecycle {
            eol_date: deprecation_date,
            ..Lifecycle::default()
        });
    };
    let obj = obj.as_object().ok_or("lifecycle: expected an object")?;
    let date = |k: &str| -> Result<Option<String>, String> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(d)) if is_iso_date(d) => Ok(Some(d.clone())),
            Some(other) => Err(format!("lifecycle.{k}: expected YYYY-MM-DD, got {other}")),
        }
    };
    let state = match obj.get("state").and_then(Value::as_str) {
        None | Some("active") => LifecycleState::Active,
        Some("legacy") => LifecycleState::Legacy,
        Some("eol") => LifecycleState::Eol,
        Some(other) => {
            return Err(format!(
                "lifecycle.state: {other:?} is not active, legacy or eol"
            ))
        }
    };
    Ok(Lifecycle {
        state,
        launched: date("launched")?,
        legacy_since: date("legacy_since")?,
        eol_date: date("eol_date")?.or(deprecation_date),
        eol_no_sooner_than: date("eol_no_sooner_than")?,
        replacement: obj
            .get("replacement")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Merges overrides over the base catalog JSON.
///
/// Objects merge key by key (JSON merge patch, RFC 7386: `null` deletes a key); arrays and
/// scalars replace. `models` is the exception: it is keyed by `id`, so an override entry
/// patches the model with that id (fields merge the same way), a new id adds a model, and an
/// entry with `"remove": true` deletes it.
pub fn merge_overrides(base: &Value, overrides: &Value) -> Result<Value, CatalogError> {
    let over = match overrides {
        Value::Object(o) => o,
        Value::Null => return Ok(base.clone()),
        _ => return Err(invalid("overrides must be a JSON object")),
    };
    let mut out = base.as_object().cloned().unwrap_or_default();
    for (k, v) in over {
        if k == "models" {
            let models = merge_models(out.get("models"), v)?;
            out.insert(k.clone(), models);
        } else {
            let merged = merge_patch(out.get(k).unwrap_or(&Value::Null), v);
            if merged.is_null() {
                out.remove(k);
            } else {
                out.insert(k.clone(), merged);
            }
        }
    }
    Ok(Value::Object(out))
}

fn merge_models(base: Option<&Value>, over: &Value) -> Result<Value, CatalogError> {
    let mut models: Vec<Value> = base.and_then(Value::as_array).cloned().unwrap_or_default();
    let entries = over
        .as_array()
        .ok_or_else(|| invalid("overrides.models must be a list"))?;
    for entry in entries {
        let id = entry
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("overrides.models entries need an id"))?;
        let remove = entry
            .get("remove")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let pos = models.iter().position(|m| {
            m.get("id")
                .and_then(Value::as_str)
                .is_some_and(|x| x.eq_ignore_ascii_case(id))
        });
        match (pos, remove) {
            (Some(i), true) => {
                models.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => models[i] = merge_patch(&models[i], entry),
            (None, false) => models.push(entry.clone()),
        }
    }
    Ok(Value::Array(models))
}

fn merge_patch(target: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => {
            let mut t: Map<String, Value> = target.as_object().cloned().unwrap_or_default();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    let merged = merge_patch(t.get(k).unwrap_or(&Value::Null), v);
                    t.insert(k.clone(), merged);
                }
            }
            Value::Object(t)
        }
        other => other.clone(),
    }
}
