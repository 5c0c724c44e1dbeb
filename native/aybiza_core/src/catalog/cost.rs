//! Exact cost of a call.
//!
//! Arithmetic: prices are integer nanodollars per million tokens, so `tokens * price` is an
//! exact integer in femtodollars (1e-15 $). Everything is summed in femtodollars (u128, no
//! float anywhere) and rounded once, half up, to nanodollars for the total. Summing many
//! calls' `femtodollars` therefore never drifts.
//!
//! What is billed (Bedrock usage semantics):
//! - `input_tokens` are the *uncached* input tokens, as Bedrock reports them (Converse
//!   `inputTokens` and InvokeModel `input_tokens` exclude cache reads and writes). Cache reads
//!   and writes are priced on their own lines and never subtracted from or added to input.
//! - Thinking tokens are billed as output. Bedrock's `outputTokens` already include them, so
//!   by default `thinking_tokens` is only a breakdown of `output_tokens` (billed output =
//!   max(output, thinking)); set `thinking_billed_separately` when a source reports them
//!   apart, and they are added to output instead.
//! - Cache writes are priced by TTL (5 minutes: 1.25x input for Claude; 1 hour: 2x input).
//!   A model without a separate 1 hour price is billed at its 5 minute price; a model
//!   without cache write prices bills written tokens as plain input.
//! - Bedrock's Converse usage says how the written tokens split by TTL (`cacheDetails`, one
//!   `{inputTokens, ttl}` per TTL); [`cache_write_split`] turns it into
//!   `cache_write_input_tokens` + `cache_write_1h_input_tokens`, so a mixed write is priced
//!   line by line.

use super::data::Catalog;
use super::error::CatalogError;
use super::ids::ResolvedModel;
use super::spec::{NanoPerMTok, Prices};

/// Cache time-to-live of written cache tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CacheTtl {
    #[default]
    FiveMinutes,
    OneHour,
}

/// Token usage of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Uncached input tokens (Bedrock `inputTokens`).
    pub input_tokens: u64,
    /// Output tokens (Bedrock `outputTokens`, thinking included).
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    /// TTL of the written tokens not covered by `cache_write_1h_input_tokens`.
    pub cache_write_ttl: CacheTtl,
    /// Of `cache_write_input_tokens`, those written with a 1 hour TTL (from Bedrock's
    /// `cacheDetails`); always priced at the 1 hour rate, the rest at `cache_write_ttl`'s.
    /// Clamped to `cache_write_input_tokens`.
    pub cache_write_1h_input_tokens: u64,
    /// Thinking tokens if known separately. Billed as output; not double-counted when they are
    /// already inside `output_tokens` (the Bedrock case, the default).
    pub thinking_tokens: u64,
    /// `thinking_tokens` are NOT included in `output_tokens` and must be added.
    pub thinking_billed_separately: bool,
}

impl Usage {
    /// Output tokens actually billed.
    pub fn billed_output_tokens(&self) -> u64 {
        if self.thinking_billed_separately {
            self.output_tokens.saturating_add(self.thinking_tokens)
        } else {
            self.output_tokens.max(self.thinking_tokens)
        }
    }
}

/// The cost of one call. All amounts are nanodollars unless named otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cost {
    pub model_id: String,
    pub base_model_id: String,
    pub profile: Option<String>,
    /// Exact total in femtodollars (1e-15 $). Sum these to aggregate without drift.
    pub femtodollars: u128,
    /// Total rounded half up to the nanodollar.
    pub nanodollars: u128,
    /// Components, each rounded half up on its own (so they may differ from the total by a
    /// nanodollar or two); `thinking` is the share of `output` due to thinking tokens.
    pub input: u128,
    pub output: u128,
    pub thinking: u128,
    pub cache_read: u128,
    pub cache_write: u128,
    pub billed_output_tokens: u64,
    /// 100, or 110 on in-region / geographic endpoints of models with a regional premium.
    pub price_percent: u32,
    /// True when usage was estimated (interrupted stream without closing usage).
    pub estimated: bool,
}

const FEMTO_PER_NANO: u128 = 1_000_000;

fn round_nano(femto: u128) -> u128 {
    (femto + FEMTO_PER_NANO / 2) / FEMTO_PER_NANO
}

fn line(tokens: u64, price: NanoPerMTok) -> u128 {
    // tokens * nano$/MTok = femto$ exactly (1e-9 / 1e6 = 1e-15).
    u128::from(tokens) * u128::from(price)
}

impl Cost {
    /// "$0.001234": the total in dollars rounded half up to the micro-dollar.
    pub fn display(&self) -> String {
        format_usd(self.nanodollars, 6)
    }

    /// The total with all 9 decimals ("$0.001234567").
    pub fn display_precise(&self) -> String {
        format_usd(self.nanodollars, 9)
    }
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())?;
        if self.estimated {
            f.write_str(" (estimated)")?;
        }
        Ok(())
    }
}

/// Formats nanodollars as dollars with `decimals` (0..=9) places, rounding half up.
pub fn format_usd(nanodollars: u128, decimals: u32) -> String {
    let decimals = decimals.min(9);
    let unit = 10u128.pow(9 - decimals);
    let scaled = (nanodollars + unit / 2) / unit;
    let base = 10u128.pow(decimals);
    if decimals == 0 {
        return format!("${scaled}");
    }
    format!(
        "${}.{:0width$}",
        scaled / base,
        scaled % base,
        width = decimals as usize
    )
}

/// Prices `usage` at `prices` (already scaled for the endpoint).
pub fn price_usage(prices: &Prices, usage: &Usage) -> (u128, [u128; 5]) {
    let billed_output = usage.billed_output_tokens();
    let thinking_tokens = usage.thinking_tokens.min(billed_output);
    let write_price = |ttl| {
        match ttl {
            CacheTtl::FiveMinutes => prices.cache_write_5m,
            CacheTtl::OneHour => prices.cache_write_1h.or(prices.cache_write_5m),
        }
        .unwrap_or(prices.input)
    };
    let one_hour = usage
        .cache_write_1h_input_tokens
        .min(usage.cache_write_input_tokens);
    let rest = usage.cache_write_input_tokens - one_hour;
    let input = line(usage.input_tokens, prices.input);
    let output = line(billed_output, prices.output);
    let thinking = line(thinking_tokens, prices.output);
    // A model without a cache-read price cannot produce cache reads; bill them as input.
    let cache_read = line(
        usage.cache_read_input_tokens,
        prices.cache_read.unwrap_or(prices.input),
    );
    let cache_write = line(rest, write_price(usage.cache_write_ttl))
        + line(one_hour, write_price(CacheTtl::OneHour));
    (
        input + output + cache_read + cache_write,
        [input, output, thinking, cache_read, cache_write],
    )
}

/// One entry of Bedrock's Converse `usage.cacheDetails`: tokens written to the prompt cache
/// with one TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheDetail {
    pub input_tokens: u64,
    pub ttl: CacheTtl,
}

/// Most `cacheDetails` entries accepted. Bedrock's `CacheDetail.ttl` has two values (`5m`,
/// `1h`; API reference, API_runtime_CacheDetail), so a real list has at most one entry per
/// TTL; this bound (ours, not AWS's) leaves room and keeps the work on a caller's list fixed.
pub const MAX_CACHE_DETAILS: usize = 8;

impl CacheTtl {
    /// The TTL from Bedrock's `CacheDetail.ttl` (`"5m"` or `"1h"`, the only valid values per
    /// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CacheDetail.html).
    pub fn from_bedrock(ttl: &str) -> Option<CacheTtl> {
        match ttl {
            "5m" => Some(CacheTtl::FiveMinutes),
            "1h" => Some(CacheTtl::OneHour),
            _ => None,
        }
    }

    /// The TTL as Bedrock writes it (`"5m"`, `"1h"`).
    pub fn as_bedrock(self) -> &'static str {
        match self {
            CacheTtl::FiveMinutes => "5m",
            CacheTtl::OneHour => "1h",
        }
    }
}

/// Decodes a `cacheDetails` list (JSON, as Bedrock sends it or snake_cased): at most
/// [`MAX_CACHE_DETAILS`] objects, each with `inputTokens` / `input_tokens` (a non-negative
/// integer) and `ttl` (`"5m"` | `"1h"`). `null` is no details.
pub fn parse_cache_details(v: &serde_json::Value) -> Result<Vec<CacheDetail>, String> {
    use serde_json::Value;
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err("cache_details must be a list".into()),
    };
    if items.len() > MAX_CACHE_DETAILS {
        return Err(format!(
            "cache_details has {} entries; at most {MAX_CACHE_DETAILS} are accepted",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let o = item
                .as_object()
                .ok_or_else(|| format!("cache_details[{i}] must be a map"))?;
            let tokens = o.get("inputTokens").or_else(|| o.get("input_tokens"));
            let input_tokens = tokens.and_then(Value::as_u64).ok_or_else(|| {
                format!("cache_details[{i}].inputTokens must be a non-negative integer")
            })?;
            let ttl = o
                .get("ttl")
                .and_then(Value::as_str)
                .and_then(CacheTtl::from_bedrock)
                .ok_or_else(|| format!("cache_details[{i}].ttl must be \"5m\" or \"1h\""))?;
            Ok(CacheDetail { input_tokens, ttl })
        })
        .collect()
}

/// `(cache_write_input_tokens, cache_write_1h_input_tokens)` from `cacheDetails` and the
/// reported `cacheWriteInputTokens`. The details' sum must equal the reported total when
/// both are present: a usage whose two counts disagree is not Bedrock's, and picking one
/// would bill a number nobody reported, so it is an error rather than a guess.
pub fn cache_write_split(
    details: &[CacheDetail],
    reported_total: Option<u64>,
) -> Result<(u64, u64), String> {
    let (mut total, mut one_hour) = (0u64, 0u64);
    for d in details {
        total = total
            .checked_add(d.input_tokens)
            .ok_or("cache_details: the token counts overflow")?;
        if d.ttl == CacheTtl::OneHour {
            one_hour += d.input_tokens; // <= total, cannot overflow
        }
    }
    match reported_total {
        Some(reported) if reported != total => Err(format!(
            "cache_details sum to {total} tokens but cache_write_input_tokens is {reported}"
        )),
        _ => Ok((total, one_hour)),
    }
}

impl Catalog {
    /// The cost of `usage` on the model / profile / ARN named by `id`.
    pub fn cost(&self, id: &str, usage: &Usage) -> Result<Cost, CatalogError> {
        Ok(self.cost_resolved(&self.resolve_text(id)?, usage, false))
    }

    /// Same as [`Catalog::cost`], flagged as estimated (see [`estimate_interrupted_usage`]).
    pub fn cost_estimated(&self, id: &str, usage: &Usage) -> Result<Cost, CatalogError> {
        Ok(self.cost_resolved(&self.resolve_text(id)?, usage, true))
    }

    /// A model priced per text token: speech-to-speech models bill speech and text tokens
    /// at their own rates (`SpeechSpec::prices`), which this usage shape cannot carry.
    fn resolve_text(&self, id: &str) -> Result<ResolvedModel, CatalogError> {
        let r = self.resolve_quiet(id)?;
        if r.spec.is_speech() {
            return Err(CatalogError::Rejected {
                field: "modelId".into(),
                message: format!(
                    "{} is a speech-to-speech model priced per speech and text token: use \
                     Aybiza.Bedrock.Sonic.cost/2",
                    r.spec.id
                ),
            });
        }
        Ok(r)
    }

    /// Prices usage on an already-resolved model (regional premium included).
    pub fn cost_resolved(&self, model: &ResolvedModel, usage: &Usage, estimated: bool) -> Cost {
        let prices = model
            .spec
            .prices_for(model.profile.as_deref(), model.price_percent);
        let (femto, [input, output, thinking, cache_read, cache_write]) =
            price_usage(&prices, usage);
        Cost {
            model_id: model.model_id.clone(),
            base_model_id: model.base_model_id.clone(),
            profile: model.profile.clone(),
            femtodollars: femto,
            nanodollars: round_nano(femto),
            input: round_nano(input),
            output: round_nano(output),
            thinking: round_nano(thinking),
            cache_read: round_nano(cache_read),
            cache_write: round_nano(cache_write),
            billed_output_tokens: usage.billed_output_tokens(),
            price_percent: model.price_percent,
            estimated,
        }
    }
}

/// Approximate token count of `text`, for calls whose usage never arrived.
///
/// Claude-family tokenizers average about 4 characters or 0.75 words per English token, and
/// about one token per CJK character. We take the larger of the character estimate
/// (`ceil(ascii_chars / 4) + other_chars`, where non-ASCII chars count 1 each for CJK/kana/
/// hangul and 1/2 otherwise) and the word estimate (`words * 4 / 3`, rounded), so the estimate
/// leans high rather than under-billing. Any non-empty text is at least 1 token. Typical
/// error on English prose is within about +-20%.
pub fn estimate_tokens(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    let (mut ascii, mut wide, mut other) = (0u64, 0u64, 0u64);
    for c in text.chars() {
        if c.is_ascii() {
            ascii += 1;
        } else if is_wide(c) {
            wide += 1;
        } else {
            other += 1;
        }
    }
    let by_chars = ascii.div_ceil(4) + wide + other.div_ceil(2);
    let words = text.split_whitespace().count() as u64;
    let by_words = (words * 4 + 1) / 3;
    by_chars.max(by_words).max(1)
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK ext A
        | 0x4E00..=0x9FFF    // CJK unified
        | 0xAC00..=0xD7AF    // hangul
        | 0xF900..=0xFAFF    // CJK compatibility
        | 0x20000..=0x2FFFF) // CJK ext B+
}

/// Usage for a stream that ended without its closing usage event (caller hung up, barge-in,
/// cancel). Output tokens are estimated from the text actually generated; input tokens are
/// the known count when the stream reported it (InvokeModel `message_start` does), else
/// estimated from the request text. Thinking text, if any, is part of `generated_text`.
pub fn estimate_interrupted_usage(
    request_text: &str,
    generated_text: &str,
    known_input_tokens: Option<u64>,
) -> Usage {
    Usage {
        input_tokens: known_input_tokens.unwrap_or_else(|| estimate_tokens(request_text)),
        output_tokens: estimate_tokens(generated_text),
        ..Usage::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dollars() {
        assert_eq!(format_usd(1_234_000, 6), "$0.001234");
        assert_eq!(format_usd(1_234_500, 6), "$0.001235");
        assert_eq!(format_usd(0, 6), "$0.000000");
        assert_eq!(format_usd(12_345_678_901, 6), "$12.345679");
        assert_eq!(format_usd(1_234_567, 9), "$0.001234567");
        assert_eq!(format_usd(1_500_000_000, 0), "$2");
    }

    #[test]
    fn estimates_tokens() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("a"), 1);
        assert_eq!(
            estimate_tokens("Hello there, how can I help you today?"),
            11
        );
        assert_eq!(estimate_tokens("こんにちは"), 5);
    }

    // Prices come from the embedded catalog (never typed in here): the expected totals are
    // built from its 5 minute and 1 hour write rates.
    const HAIKU45: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

    fn haiku45() -> (std::sync::Arc<Catalog>, Prices) {
        let c = crate::catalog::catalog();
        let r = c.resolve_quiet(HAIKU45).unwrap();
        let p = r.spec.prices_for(r.profile.as_deref(), r.price_percent);
        (c, p)
    }

    fn details(json: &str) -> Result<Vec<CacheDetail>, String> {
        parse_cache_details(&serde_json::from_str(json).unwrap())
    }

    fn write_cost(c: &Catalog, json: &str, reported: Option<u64>) -> Result<u128, String> {
        let (total, one_hour) = cache_write_split(&details(json)?, reported)?;
        let usage = Usage {
            cache_write_input_tokens: total,
            cache_write_1h_input_tokens: one_hour,
            ..Usage::default()
        };
        Ok(c.cost(HAIKU45, &usage).unwrap().femtodollars)
    }

    #[test]
    fn cache_details_price_each_entry_at_its_ttl() {
        let (c, p) = haiku45();
        let (p5, p1) = (p.cache_write_5m.unwrap(), p.cache_write_1h.unwrap());
        assert!(p1 > p5, "the model has a dearer 1 hour write");

        let five = write_cost(&c, r#"[{"inputTokens": 101, "ttl": "5m"}]"#, Some(101));
        assert_eq!(five, Ok(101 * u128::from(p5)));

        let hour = write_cost(&c, r#"[{"input_tokens": 2000, "ttl": "1h"}]"#, None);
        assert_eq!(hour, Ok(2000 * u128::from(p1)));
        // The same as the whole write declared 1 hour through `cache_write_ttl`.
        let by_ttl = Usage {
            cache_write_input_tokens: 2000,
            cache_write_ttl: CacheTtl::OneHour,
            ..Usage::default()
        };
        assert_eq!(hour, Ok(c.cost(HAIKU45, &by_ttl).unwrap().femtodollars));

        let mixed = r#"[{"inputTokens": 300, "ttl": "5m"}, {"inputTokens": 700, "ttl": "1h"}]"#;
        assert_eq!(
            write_cost(&c, mixed, Some(1000)),
            Ok(300 * u128::from(p5) + 700 * u128::from(p1))
        );
        assert_eq!(
            cache_write_split(&details(mixed).unwrap(), None),
            Ok((1000, 700))
        );
        assert_eq!(cache_write_split(&[], None), Ok((0, 0)));
        assert_eq!(details("null"), Ok(vec![]));
    }

    #[test]
    fn cache_details_that_disagree_with_the_total_are_refused() {
        let mixed =
            details(r#"[{"inputTokens": 300, "ttl": "5m"}, {"inputTokens": 700, "ttl": "1h"}]"#)
                .unwrap();
        let e = cache_write_split(&mixed, Some(999)).unwrap_err();
        assert!(e.contains("sum to 1000") && e.contains("999"), "{e}");
        assert!(cache_write_split(&[], Some(5)).is_err());
        let huge = [
            CacheDetail {
                input_tokens: u64::MAX,
                ttl: CacheTtl::OneHour,
            },
            CacheDetail {
                input_tokens: 1,
                ttl: CacheTtl::FiveMinutes,
            },
        ];
        assert!(cache_write_split(&huge, None)
            .unwrap_err()
            .contains("overflow"));
    }

    #[test]
    fn malformed_cache_details_are_errors() {
        for (json, want) in [
            (r#"{"inputTokens": 1, "ttl": "5m"}"#, "must be a list"),
            (r#""5m""#, "must be a list"),
            (r#"[1]"#, "cache_details[0] must be a map"),
            (r#"[{"ttl": "5m"}]"#, "inputTokens"),
            (r#"[{"inputTokens": -1, "ttl": "5m"}]"#, "non-negative"),
            (r#"[{"inputTokens": 1.5, "ttl": "5m"}]"#, "non-negative"),
            (r#"[{"inputTokens": "1", "ttl": "5m"}]"#, "non-negative"),
            (r#"[{"inputTokens": 1}]"#, "ttl"),
            (r#"[{"inputTokens": 1, "ttl": "1d"}]"#, "ttl"),
            (r#"[{"inputTokens": 1, "ttl": "5M"}]"#, "ttl"),
            (r#"[{"inputTokens": 1, "ttl": 300}]"#, "ttl"),
            (
                r#"[{"inputTokens": 1, "ttl": "5m"}, {"inputTokens": 1, "ttl": "1x"}]"#,
                "cache_details[1].ttl",
            ),
        ] {
            let e = details(json).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
        let many = format!(
            "[{}]",
            [r#"{"inputTokens": 1, "ttl": "5m"}"#; MAX_CACHE_DETAILS + 1].join(",")
        );
        assert!(details(&many).unwrap_err().contains("at most"));
        let most = format!(
            "[{}]",
            [r#"{"inputTokens": 1, "ttl": "5m"}"#; MAX_CACHE_DETAILS].join(",")
        );
        assert_eq!(details(&most).unwrap().len(), MAX_CACHE_DETAILS);
    }

    #[test]
    fn one_hour_share_is_clamped_to_the_write() {
        let (c, p) = haiku45();
        let usage = Usage {
            cache_write_input_tokens: 10,
            cache_write_1h_input_tokens: 50,
            ..Usage::default()
        };
        let cost = c.cost(HAIKU45, &usage).unwrap();
        assert_eq!(
            cost.femtodollars,
            10 * u128::from(p.cache_write_1h.unwrap())
        );
    }
}
