//! Model specifications: the typed form of one entry of `data/models.json`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Nanodollars per million tokens. $3.00/MTok is `3_000_000_000`. Integer so that every price in
/// the catalog (at most 9 decimals of a dollar) is exact; see `cost.rs` for the arithmetic.
pub type NanoPerMTok = u64;

/// Provider family: tells the engine which InvokeModel body it can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Anthropic,
    Amazon,
    Meta,
    Mistral,
    Cohere,
    Ai21,
    Deepseek,
    Qwen,
    Openai,
    #[serde(other)]
    Other,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Anthropic => "anthropic",
            Family::Amazon => "amazon",
            Family::Meta => "meta",
            Family::Mistral => "mistral",
            Family::Cohere => "cohere",
            Family::Ai21 => "ai21",
            Family::Deepseek => "deepseek",
            Family::Qwen => "qwen",
            Family::Openai => "openai",
            Family::Other => "other",
        }
    }
}

/// A Bedrock API family a model is served on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// bedrock-runtime `Converse` / `ConverseStream`.
    Converse,
    /// bedrock-runtime `InvokeModel` / `InvokeModelWithResponseStream` (provider-native body).
    Invoke,
    /// The Anthropic Messages API on Bedrock (`/anthropic/v1/messages`, SSE), on bedrock-runtime
    /// and / or bedrock-mantle.
    Messages,
    /// bedrock-runtime `InvokeModelWithBidirectionalStream`: speech-to-speech sessions (Amazon
    /// Nova Sonic), served by `Aybiza.Bedrock.Sonic`. A model on this API serves no other.
    Bidirectional,
}

impl Api {
    pub const ALL: [Api; 4] = [
        Api::Converse,
        Api::Invoke,
        Api::Messages,
        Api::Bidirectional,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Api::Converse => "converse",
            Api::Invoke => "invoke",
            Api::Messages => "messages",
            Api::Bidirectional => "bidirectional",
        }
    }

    pub fn parse(s: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// What a model can do on Bedrock (not what the vendor's own API can do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Capabilities {
    pub tools: bool,
    /// Tool use inside ConverseStream (some families only support it non-streaming).
    pub streaming_tools: bool,
    pub vision: bool,
    pub documents: bool,
    /// Extended thinking (`additionalModelRequestFields.thinking`).
    pub thinking: bool,
    /// Explicit prompt caching with `cachePoint` blocks.
    pub prompt_caching: bool,
    /// Minimum tokens before a cache checkpoint takes effect.
    pub min_cache_tokens: u64,
    /// Whether the 1 hour cache TTL is accepted (otherwise only 5 minutes).
    pub cache_ttl_1h: bool,
    /// Newer Claude models (Sonnet 4.5, Haiku 4.5, Opus 4.1 and later) reject a request
    /// setting both `temperature` and `top_p`.
    pub accepts_temperature_and_top_p: bool,
    /// Extended thinking with a token budget (`thinking: {type: "enabled", budget_tokens}`).
    /// When the catalog entry does not say, it follows `thinking`.
    pub thinking_budget: bool,
    /// Adaptive thinking (`thinking: {type: "adaptive"}`), Claude Opus 4.6 / Sonnet 4.6 and later.
    pub thinking_adaptive: bool,
    /// Whether `temperature`, `top_p` and `top_k` may be set at all (Claude Opus 4.7 and later
    /// reject them with a 400). Defaults to true.
    pub accepts_sampling: bool,
}

/// Bedrock lifecycle state of a model version (GetFoundationModel `modelLifecycle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleState {
    #[default]
    Active,
    /// Still callable; scheduled for end of life. Callers get a one-time warning.
    Legacy,
    /// End of life: Bedrock rejects every call (404 ResourceNotFoundException).
    Eol,
}

impl LifecycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleState::Active => "active",
            LifecycleState::Legacy => "legacy",
            LifecycleState::Eol => "eol",
        }
    }
}

/// Lifecycle of a model on Bedrock, with ISO 8601 dates (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// The state the catalog records. [`Lifecycle::state_on`] also honours `eol_date`.
    pub state: LifecycleState,
    pub launched: Option<String>,
    /// Since when the model is Legacy.
    pub legacy_since: Option<String>,
    /// The published end-of-life date (calls fail from that day on).
    pub eol_date: Option<String>,
    /// "EOL no sooner than" from the model card (a promise, not a date the model stops).
    pub eol_no_sooner_than: Option<String>,
    /// The catalog id of the recommended replacement.
    pub replacement: Option<String>,
}

impl Lifecycle {
    /// The effective state on `today` (`YYYY-MM-DD`): a model whose `eol_date` has passed is
    /// EOL whatever `state` says, so the catalog does not need an edit on the day.
    pub fn state_on(&self, today: &str) -> LifecycleState {
        match &self.eol_date {
            Some(eol) if eol.as_str() <= today => LifecycleState::Eol,
            _ => self.state,
        }
    }
}

/// Today's date in UTC as `YYYY-MM-DD` (the default clock of the lifecycle checks).
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Published on-demand prices, per million tokens, at the base (global / list) rate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prices {
    pub input: NanoPerMTok,
    pub output: NanoPerMTok,
    pub cache_read: Option<NanoPerMTok>,
    pub cache_write_5m: Option<NanoPerMTok>,
    pub cache_write_1h: Option<NanoPerMTok>,
}

impl Prices {
    /// The same prices scaled by `percent` (100 = unchanged, 110 = +10%), rounded half up to
    /// the nanodollar per MTok (exact for every price with at most 7 decimals of a dollar).
    pub fn scaled(&self, percent: u32) -> Prices {
        let s = |p: NanoPerMTok| -> NanoPerMTok {
            let v = u128::from(p) * u128::from(percent);
            u64::try_from((v + 50) / 100).unwrap_or(u64::MAX)
        };
        Prices {
            input: s(self.input),
            output: s(self.output),
            cache_read: self.cache_read.map(s),
            cache_write_5m: self.cache_write_5m.map(s),
            cache_write_1h: self.cache_write_1h.map(s),
        }
    }
}

/// Published prices of a speech-to-speech model, per million tokens of each kind (Nova Sonic
/// bills speech and text tokens at different rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpeechPrices {
    pub speech_input: NanoPerMTok,
    pub speech_output: NanoPerMTok,
    pub text_input: NanoPerMTok,
    pub text_output: NanoPerMTok,
}

/// What a speech-to-speech model (served on [`Api::Bidirectional`]) takes and costs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpeechSpec {
    /// `textInput` from the user (typed text mixed into the conversation).
    pub text_input: bool,
    /// `turnDetectionConfiguration.endpointingSensitivity`.
    pub endpointing: bool,
    /// Sample rates of the caller's 16-bit mono PCM (`audioInputConfiguration`).
    pub input_rates: Vec<u32>,
    /// Sample rates the reply audio can be asked in (`audioOutputConfiguration`).
    pub output_rates: Vec<u32>,
    /// `None`: no published price was found (the entry's `unconfirmed` says where we looked).
    pub prices: Option<SpeechPrices>,
}

/// One model of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// Versioned Bedrock model id, e.g. `anthropic.claude-sonnet-4-20250514-v1:0`.
    pub id: String,
    pub name: String,
    pub family: Family,
    /// Coarse class used by routing and docs: opus, sonnet, haiku, nova, llama ...
    pub tier: String,
    /// Friendly names that resolve silently (no warning).
    pub aliases: Vec<String>,
    pub context_window: u64,
    pub max_output_tokens: u64,
    /// `max_tokens` used when the caller gives none (voice defaults from the design).
    pub default_max_tokens: u64,
    pub capabilities: Capabilities,
    /// APIs the model is served on, in the catalog's order (never empty).
    pub apis: Vec<Api>,
    /// The id on bedrock-mantle (`anthropic.claude-haiku-4-5`) when it differs from `id`, or
    /// `None` when the model is not on mantle or uses the same id there.
    pub mantle_id: Option<String>,
    /// Regions where the base id can be invoked on demand (in-region endpoint).
    pub regions: Vec<String>,
    /// Inference profile prefixes the model is offered under (`us`, `eu`, `global` ...).
    pub profiles: Vec<String>,
    /// Text-token prices. Speech-to-speech models carry theirs in `speech.prices` instead
    /// (this field is then all zeros and shown as `null`).
    pub prices: Prices,
    /// Set exactly for models served on [`Api::Bidirectional`].
    pub speech: Option<SpeechSpec>,
    /// Extra percent charged on in-region and geographic endpoints over the global profile.
    pub regional_premium_percent: u32,
    /// Premium per profile that differs from `regional_premium_percent` (e.g. `us-gov`: 20).
    pub profile_premium_percent: std::collections::BTreeMap<String, u32>,
    /// Published prices per profile (or `in_region`) that are not a percentage of `prices`
    /// (Nova's EU and APAC prices). Used as is: no premium is applied on top.
    pub profile_prices: std::collections::BTreeMap<String, Prices>,
    pub lifecycle: Lifecycle,
    /// End of life date (ISO 8601) where known (same as `lifecycle.eol_date`).
    pub deprecation_date: Option<String>,
    /// Pages the entry was checked against.
    pub sources: Vec<String>,
    /// Fields of this entry no primary page confirmed (kept honest next to `verified`).
    pub unconfirmed: Vec<String>,
    pub notes: Option<String>,
    /// Whether the entry was checked against the published sources of the catalog's as-of date.
    pub verified: bool,
}

impl ModelSpec {
    /// Whether the model is served on `api`.
    pub fn serves(&self, api: Api) -> bool {
        self.apis.contains(&api)
    }

    /// Price percent for an endpoint: `profile` is the inference profile prefix used
    /// (`None` = in-region base id). Only the global profile escapes the regional premium.
    pub fn price_percent(&self, profile: Option<&str>, global_profiles: &[String]) -> u32 {
        match profile {
            Some(p) if global_profiles.iter().any(|g| g == p) => 100,
            Some(p) if self.profile_premium_percent.contains_key(p) => {
                100 + self.profile_premium_percent[p]
            }
            _ => 100 + self.regional_premium_percent,
        }
    }

    /// The prices of an endpoint (`profile` None = in-region base id): a published
    /// per-profile table when the catalog has one, else `prices` scaled by `percent`.
    pub fn prices_for(&self, profile: Option<&str>, percent: u32) -> Prices {
        let key = profile.unwrap_or("in_region");
        match self.profile_prices.get(key) {
            Some(p) => p.clone(),
            None => self.prices.scaled(percent),
        }
    }

    /// Whether the model is a speech-to-speech model (InvokeModelWithBidirectionalStream only).
    pub fn is_speech(&self) -> bool {
        self.speech.is_some()
    }

    /// Whether `today` the model is EOL, Legacy or Active.
    pub fn lifecycle_state(&self, today: &str) -> LifecycleState {
        self.lifecycle.state_on(today)
    }

    /// Whether the model can be reached in `region` without leaving it (in-region id).
    /// `"*"` in `regions` means on demand wherever Bedrock offers the model (not listed).
    pub fn in_region(&self, region: &str) -> bool {
        self.regions.iter().any(|r| r == region || r == "*")
    }

    /// Plain JSON view (used by the NIF and docs): prices both as integers (nanodollars per
    /// MTok) and as decimal strings.
    pub fn to_json(&self) -> Value {
        let price = |p: Option<NanoPerMTok>| match p {
            Some(v) => json!({"nanodollars_per_mtok": v, "usd_per_mtok": format_per_mtok(v)}),
            None => Value::Null,
        };
        json!({
            "id": self.id,
            "name": self.name,
            "family": self.family.as_str(),
            "tier": self.tier,
            "aliases": self.aliases,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "default_max_tokens": self.default_max_tokens,
            "capabilities": serde_json::to_value(&self.capabilities).unwrap_or(Value::Null),
            "apis": self.apis.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            "mantle_id": self.mantle_id,
            "regions": self.regions,
            "profiles": self.profiles,
            "prices": if self.is_speech() { Value::Null } else { json!({
                "input": price(Some(self.prices.input)),
                "output": price(Some(self.prices.output)),
                "cache_read": price(self.prices.cache_read),
                "cache_write_5m": price(self.prices.cache_write_5m),
                "cache_write_1h": price(self.prices.cache_write_1h),
            }) },
            "speech": self.speech.as_ref().map(|sp| json!({
                "text_input": sp.text_input,
                "endpointing": sp.endpointing,
                "input_rates": sp.input_rates,
                "output_rates": sp.output_rates,
                "prices": sp.prices.map(|p| json!({
                    "speech_input": price(Some(p.speech_input)),
                    "speech_output": price(Some(p.speech_output)),
                    "text_input": price(Some(p.text_input)),
                    "text_output": price(Some(p.text_output)),
                })),
            })),
            "regional_premium_percent": self.regional_premium_percent,
            "profile_premium_percent": self.profile_premium_percent,
            "profile_prices": self.profile_prices.iter().map(|(k, p)| {
                (k.clone(), json!({
                    "input": price(Some(p.input)),
                    "output": price(Some(p.output)),
                    "cache_read": price(p.cache_read),
                    "cache_write_5m": price(p.cache_write_5m),
                    "cache_write_1h": price(p.cache_write_1h),
                }))
            }).collect::<serde_json::Map<String, Value>>(),
            "lifecycle": {
                "state": self.lifecycle.state.as_str(),
                "launched": self.lifecycle.launched,
                "legacy_since": self.lifecycle.legacy_since,
                "eol_date": self.lifecycle.eol_date,
                "eol_no_sooner_than": self.lifecycle.eol_no_sooner_than,
                "replacement": self.lifecycle.replacement,
            },
            "deprecation_date": self.deprecation_date,
            "notes": self.notes,
            "sources": self.sources,
            "unconfirmed": self.unconfirmed,
            "verified": self.verified,
        })
    }
}

/// Parses a decimal dollar amount ("3", "0.80", "0.00875") into nanodollars, exactly.
/// JSON numbers are accepted through their shortest decimal rendering.
pub fn parse_usd(value: &Value) -> Result<NanoPerMTok, String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(format!(
                "price must be a decimal string or number, got {other}"
            ))
        }
    };
    let text = text.strip_prefix('$').unwrap_or(&text);
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits_ok(int) || !digits_ok(frac) {
        return Err(format!("invalid price {text:?}"));
    }
    if frac.len() > 9 {
        return Err(format!("price {text:?} has more than 9 decimals"));
    }
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse()
            .map_err(|_| format!("price {text:?} too large"))?
    };
    let mut frac_n: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse()
            .map_err(|_| format!("invalid price {text:?}"))?
    };
    for _ in frac.len()..9 {
        frac_n *= 10;
    }
    int.checked_mul(1_000_000_000)
        .and_then(|v| v.checked_add(frac_n))
        .ok_or_else(|| format!("price {text:?} too large"))
}

/// Formats nanodollars per MTok as a dollar string with 2 to 9 decimals ("3.00", "0.00875").
pub fn format_per_mtok(nano: NanoPerMTok) -> String {
    let int = nano / 1_000_000_000;
    let frac = format!("{:09}", nano % 1_000_000_000);
    let trimmed = frac.trim_end_matches('0');
    let frac = if trimmed.len() < 2 {
        &frac[..2]
    } else {
        trimmed
    };
    format!("{int}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prices_exactly() {
        assert_eq!(parse_usd(&json!("3.00")), Ok(3_000_000_000));
        assert_eq!(parse_usd(&json!("0.80")), Ok(800_000_000));
        assert_eq!(parse_usd(&json!("0.00875")), Ok(8_750_000));
        assert_eq!(parse_usd(&json!(0.035)), Ok(35_000_000));
        assert_eq!(parse_usd(&json!(15)), Ok(15_000_000_000));
        assert!(parse_usd(&json!("1.2.3")).is_err());
        assert!(parse_usd(&json!("-1")).is_err());
        assert!(parse_usd(&json!(".")).is_err());
        assert!(parse_usd(&json!(true)).is_err());
    }

    #[test]
    fn formats_prices() {
        assert_eq!(format_per_mtok(3_000_000_000), "3.00");
        assert_eq!(format_per_mtok(800_000_000), "0.80");
        assert_eq!(format_per_mtok(8_750_000), "0.00875");
        assert_eq!(format_per_mtok(3_300_000_000), "3.30");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_426), "2025-12-04");
        assert_eq!(civil_date(20_791), "2026-12-04");
        assert_eq!(civil_date(-1), "1969-12-31");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn eol_date_wins_over_state() {
        let l = Lifecycle {
            state: LifecycleState::Legacy,
            eol_date: Some("2026-09-14".into()),
            ..Lifecycle::default()
        };
        assert_eq!(l.state_on("2026-09-13"), LifecycleState::Legacy);
        assert_eq!(l.state_on("2026-09-14"), LifecycleState::Eol);
    }

    #[test]
    fn scales_prices() {
        let p = Prices {
            input: 3_000_000_000,
            output: 15_000_000_000,
            cache_read: Some(300_000_000),
            cache_write_5m: None,
            cache_write_1h: None,
        };
        let s = p.scaled(110);
        assert_eq!(s.input, 3_300_000_000);
        assert_eq!(s.output, 16_500_000_000);
        assert_eq!(s.cache_read, Some(330_000_000));
        assert_eq!(s.cache_write_5m, None);
    }
}
