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
}

impl Api {
    pub const ALL: [Api; 3] = [Api::Converse, Api::Invoke, Api::Messages];

    pub fn as_str(self) -> &'static str {
        match self {
            Api::Converse => "converse",
            Api::Invoke => "invoke",
            Api::Messages => "messages",
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
}

/// Published on-demand prices, per million tokens, at the base (global / list) rate.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub prices: Prices,
    /// Extra percent charged on in-region and geographic endpoints over the global profile.
    pub regional_premium_percent: u32,
    /// End of life / deprecation date (ISO 8601) where known.
    pub deprecation_date: Option<String>,
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
            _ => 100 + self.regional_premium_percent,
        }
    }

    /// Whether the model can be reached in `region` without leaving it (in-region id).
    pub fn in_region(&self, region: &str) -> bool {
        self.regions.iter().any(|r| r == region)
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
            "prices": {
                "input": price(Some(self.prices.input)),
                "output": price(Some(self.prices.output)),
                "cache_read": price(self.prices.cache_read),
                "cache_write_5m": price(self.prices.cache_write_5m),
                "cache_write_1h": price(self.prices.cache_write_1h),
            },
            "regional_premium_percent": self.regional_premium_percent,
            "deprecation_date": self.deprecation_date,
            "notes": self.notes,
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
