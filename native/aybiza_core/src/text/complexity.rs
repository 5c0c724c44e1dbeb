//! Query heuristics of the design (000, `BedrockClient` and `VoiceAgent`): complexity score,
//! tool intent, the extended-thinking decision and the spoken response length.
//!
//! Pattern sets are compiled once into a `RegexSet`; scoring a query does one pass per set
//! and allocates nothing but the regex engine's cached scratch space.

use regex::{RegexSet, RegexSetBuilder};
use std::sync::LazyLock;

/// The design's four complexity pattern groups (`assess_query_complexity`).
pub const DEFAULT_COMPLEXITY_PATTERNS: &[&str] = &[
    r"(analyze|compare|evaluate|reasoning|logic|step.by.step)",
    r"(troubleshoot|debug|diagnose|investigate)",
    r"(calculate|compute|determine|solve)",
    r"(explain.why|walk.me.through|break.down)",
];

/// The design's tool-intent patterns (`has_tool_intent?`).
pub const DEFAULT_TOOL_PATTERNS: &[&str] = &[
    r"(look\s+up|search|find|check|verify)",
    r"(create|update|modify|change|set)",
    r"(send|email|notify|alert)",
    r"(schedule|book|reserve|cancel)",
    r"(transfer|escalate|connect)",
];

/// The design's extended-thinking patterns (`should_use_extended_thinking?`).
pub const DEFAULT_THINKING_PATTERNS: &[&str] = &[
    r"(analyze|analyze\s+the|break\s+down|step\s+by\s+step)",
    r"(complex|complicated|detailed\s+explanation)",
    r"(troubleshoot|debug|diagnose|investigate)",
    r"(compare|evaluate|assess|determine\s+the\s+best)",
    r"(reasoning|logic|why\s+does|how\s+does\s+this\s+work)",
];

/// A compiled, case-insensitive set of pattern groups.
#[derive(Debug, Clone)]
pub struct ComplexityPatterns {
    set: RegexSet,
}

impl ComplexityPatterns {
    /// Compiles pattern groups (regex syntax, matched case-insensitively as in the design's
    /// `~r/.../i`).
    pub fn new<I, S>(patterns: I) -> Result<Self, regex::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let set = RegexSetBuilder::new(patterns)
            .case_insensitive(true)
            .size_limit(1 << 22)
            .build()?;
        Ok(ComplexityPatterns { set })
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether the set has no groups.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// How many groups match `text`.
    pub fn count_matches(&self, text: &str) -> usize {
        self.set.matches(text).iter().count()
    }

    /// Whether any group matches `text`.
    pub fn any_match(&self, text: &str) -> bool {
        self.set.is_match(text)
    }

    /// The design's complexity groups.
    pub fn default_complexity() -> &'static ComplexityPatterns {
        &COMPLEXITY
    }

    /// The design's tool-intent groups.
    pub fn default_tool_intent() -> &'static ComplexityPatterns {
        &TOOL
    }

    /// The design's extended-thinking groups.
    pub fn default_thinking() -> &'static ComplexityPatterns {
        &THINKING
    }
}

#[allow(clippy::expect_used)]
fn compile_builtin(p: &[&str]) -> ComplexityPatterns {
    // The built-in patterns are constants covered by tests; they always compile.
    ComplexityPatterns::new(p).expect("built-in patterns compile")
}

static COMPLEXITY: LazyLock<ComplexityPatterns> =
    LazyLock::new(|| compile_builtin(DEFAULT_COMPLEXITY_PATTERNS));
static TOOL: LazyLock<ComplexityPatterns> =
    LazyLock::new(|| compile_builtin(DEFAULT_TOOL_PATTERNS));
static THINKING: LazyLock<ComplexityPatterns> =
    LazyLock::new(|| compile_builtin(DEFAULT_THINKING_PATTERNS));

/// The context fields the heuristics read (the design's `context` map).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryContext {
    /// `length(context[:conversation_history])`.
    pub conversation_history_len: usize,
    /// `context[:requires_tools]`.
    pub requires_tools: bool,
    /// `context[:multi_turn]`.
    pub multi_turn: bool,
    /// `context[:agent_type]` (e.g. `"technical_support"`).
    pub agent_type: Option<String>,
}

impl QueryContext {
    fn is_technical(&self) -> bool {
        self.agent_type.as_deref() == Some("technical_support")
    }
}

/// The design's complexity score in `[0, 1]`:
/// `min(words/50, 1)*0.3 + (matching groups / groups)*0.5 + context`, where context is 0.3
/// when the history is longer than 5, else 0.4 when tools are required, else 0.2 for
/// multi-turn, else 0; capped at 1.0.
pub fn assess_query_complexity(query: &str, context: &QueryContext) -> f64 {
    assess_query_complexity_with(query, context, ComplexityPatterns::default_complexity())
}

/// [`assess_query_complexity`] with a custom pattern set.
pub fn assess_query_complexity_with(
    query: &str,
    context: &QueryContext,
    patterns: &ComplexityPatterns,
) -> f64 {
    let words = query.split_whitespace().count() as f64;
    let word_factor = (words / 50.0).min(1.0);
    let pattern_score = if patterns.is_empty() {
        0.0
    } else {
        patterns.count_matches(query) as f64 / patterns.len() as f64
    };
    let context_factor = if context.conversation_history_len > 5 {
        0.3
    } else if context.requires_tools {
        0.4
    } else if context.multi_turn {
        0.2
    } else {
        0.0
    };
    (word_factor * 0.3 + pattern_score * 0.5 + context_factor).min(1.0)
}

/// Whether the query asks for an action a tool would perform (the design's `has_tool_intent?`).
pub fn detect_tool_intent(query: &str) -> bool {
    ComplexityPatterns::default_tool_intent().any_match(query)
}

/// [`detect_tool_intent`] with a custom pattern set.
pub fn detect_tool_intent_with(query: &str, patterns: &ComplexityPatterns) -> bool {
    patterns.any_match(query)
}

/// The design's extended-thinking heuristic: a thinking pattern matches and either the query
/// is longer than 100 characters or the agent is technical support, or the history is longer
/// than 3 and the query longer than 50 characters.
pub fn should_use_extended_thinking(query: &str, context: &QueryContext) -> bool {
    should_use_extended_thinking_with(query, context, ComplexityPatterns::default_thinking())
}

/// [`should_use_extended_thinking`] with a custom pattern set.
pub fn should_use_extended_thinking_with(
    query: &str,
    context: &QueryContext,
    patterns: &ComplexityPatterns,
) -> bool {
    if !patterns.any_match(query) {
        return false;
    }
    let len = query.chars().count();
    let has_context = context.conversation_history_len > 3;
    len > 100 || context.is_technical() || (has_context && len > 50)
}

/// The design's spoken response length in words: 300 when the query says "explain", "detail"
/// or "walk me through"; 75 for "quick", "fast", "briefly"; 225 for technical support; else
/// 150; always within 50..=300. Matching is case-sensitive, as `String.contains?/2` is.
pub fn determine_response_length(query: &str, context: &QueryContext) -> u32 {
    let base = 150.0_f64;
    let len = if ["explain", "detail", "walk me through"]
        .iter()
        .any(|p| query.contains(p))
    {
        base * 2.0
    } else if ["quick", "fast", "briefly"]
        .iter()
        .any(|p| query.contains(p))
    {
        base * 0.5
    } else if context.is_technical() {
        base * 1.5
    } else {
        base
    };
    (len.round() as u32).clamp(50, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complexity_matches_design_formula() {
        let ctx = QueryContext::default();
        assert_eq!(assess_query_complexity("", &ctx), 0.0);
        // 4 words, one group (troubleshoot) of four.
        let s = assess_query_complexity("Please troubleshoot my router", &ctx);
        assert!((s - (4.0 / 50.0 * 0.3 + 0.25 * 0.5)).abs() < 1e-12);
        let ctx = QueryContext {
            conversation_history_len: 6,
            requires_tools: true,
            ..Default::default()
        };
        let s = assess_query_complexity("hi", &ctx);
        assert!((s - (1.0 / 50.0 * 0.3 + 0.3)).abs() < 1e-12);
        let ctx = QueryContext {
            requires_tools: true,
            ..Default::default()
        };
        assert!((assess_query_complexity("hi", &ctx) - (0.006 + 0.4)).abs() < 1e-12);
        let long = "analyze debug calculate explain why ".repeat(20);
        assert_eq!(assess_query_complexity(&long, &ctx), 1.0);
    }

    #[test]
    fn tool_intent_and_thinking() {
        assert!(detect_tool_intent("Can you look up my order?"));
        assert!(detect_tool_intent("BOOK a table"));
        assert!(!detect_tool_intent("Hello there"));
        let ctx = QueryContext::default();
        assert!(!should_use_extended_thinking("analyze this", &ctx));
        let tech = QueryContext {
            agent_type: Some("technical_support".into()),
            ..Default::default()
        };
        assert!(should_use_extended_thinking("analyze this", &tech));
        let long = format!("Please analyze {}", "the network layout ".repeat(6));
        assert!(should_use_extended_thinking(&long, &ctx));
    }

    #[test]
    fn response_length() {
        let ctx = QueryContext::default();
        assert_eq!(determine_response_length("explain this", &ctx), 300);
        assert_eq!(determine_response_length("quick answer", &ctx), 75);
        assert_eq!(determine_response_length("hello", &ctx), 150);
        let tech = QueryContext {
            agent_type: Some("technical_support".into()),
            ..Default::default()
        };
        assert_eq!(determine_response_length("hello", &tech), 225);
        assert_eq!(determine_response_length("Explain", &ctx), 150);
    }

    #[test]
    fn custom_patterns() {
        let p = ComplexityPatterns::new(["refund", "invoice"]).unwrap();
        let s = assess_query_complexity_with("Refund please", &QueryContext::default(), &p);
        assert!((s - (2.0 / 50.0 * 0.3 + 0.25)).abs() < 1e-12);
        assert!(ComplexityPatterns::new(["("]).is_err());
    }
}
