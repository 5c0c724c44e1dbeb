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
    pub cache_write_ttl: CacheTtl,
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
    let write_price = match usage.cache_write_ttl {
        CacheTtl::FiveMinutes => prices.cache_write_5m,
        CacheTtl::OneHour => prices.cache_write_1h.or(prices.cache_write_5m),
    }
    .unwrap_or(prices.input);
    let input = line(usage.input_tokens, prices.input);
    let output = line(billed_output, prices.output);
    let thinking = line(thinking_tokens, prices.output);
    // A model without a cache-read price cannot produce cache reads; bill them as input.
    let cache_read = line(
        usage.cache_read_input_tokens,
        prices.cache_read.unwrap_or(prices.input),
    );
    let cache_write = line(usage.cache_write_input_tokens, write_price);
    (
        input + output + cache_read + cache_write,
        [input, output, thinking, cache_read, cache_write],
    )
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
}
