//! Deterministic reply planning: scripted text from rules, otherwise spoken customer-service
//! answers mixed from a template pool, seeded by a hash of the request body.
//!
//! Tool rule: with tools offered and no tool result in the last user turn, a tool is called
//! when toolChoice is `any` (best match, else the first tool) or `tool` (that tool), or, with
//! `auto`, when the last user text mentions a tool's name (case-insensitive, `_`/`-` read as
//! spaces) or a word of 5+ letters from its description. After tool results, the answer
//! quotes the result.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::config::{PrefillMode, Script};
use crate::request::{tokens, Conversation, Tool, ToolChoice};

/// Deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn from_bytes(bytes: &[u8]) -> Rng {
        let digest = Sha256::digest(bytes);
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        Rng(u64::from_le_bytes(seed))
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// `n` characters from `[A-Za-z0-9]`.
    pub fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| CHARS[self.below(CHARS.len())] as char)
            .collect()
    }
}

/// Bedrock's `"p"` padding: a prefix of `abc...XYZ0123...` of random length.
pub fn padding(rng: &mut Rng) -> String {
    const SEQ: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let n = 1 + rng.below(SEQ.len());
    SEQ[..n].to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    StopSequence(String),
    GuardrailIntervened,
}

impl StopReason {
    /// Converse spelling.
    pub fn converse(&self) -> &'static str {
        match self {
            StopReason::EndTurn => "end_turn",
            StopReason::ToolUse => "tool_use",
            StopReason::MaxTokens => "max_tokens",
            StopReason::StopSequence(_) => "stop_sequence",
            StopReason::GuardrailIntervened => "guardrail_intervened",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlannedToolUse {
    pub id: String,
    pub name: String,
    pub input: Value,
}

/// A cited passage: the answer's first block restates a sentence of a document
/// (Converse `citationsContent`, before the text block, as Bedrock answers it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCitation {
    /// The generated text the citation supports.
    pub text: String,
    /// The document's words (`sourceContent`).
    pub cited: String,
    /// The document's name (`title`) and position (`documentIndex`).
    pub title: String,
    pub document_index: u64,
    /// Character offsets of `cited` in the document, end exclusive (`documentChar`).
    pub start: u64,
    pub end: u64,
}

/// What the model "says".
#[derive(Debug, Clone)]
pub struct Plan {
    /// Reasoning text and signature (thinking enabled only).
    pub reasoning: Option<(String, String)>,
    /// A cited passage before the text (a document with citations enabled).
    pub citation: Option<PlannedCitation>,
    pub text: String,
    pub tool_uses: Vec<PlannedToolUse>,
    pub stop_reason: StopReason,
}

impl Plan {
    pub fn output_tokens(&self) -> u64 {
        let reasoning = self.reasoning.as_ref().map_or(0, |(t, _)| tokens(t));
        let cited = self.citation.as_ref().map_or(0, |c| tokens(&c.text));
        let tools: u64 = self
            .tool_uses
            .iter()
            .map(|t| tokens(&t.name) + tokens(&t.input.to_string()))
            .sum();
        reasoning + cited + tokens(&self.text) + tools
    }
}

/// The first sentence of a document (up to `.`, `!` or `?` before whitespace or the end, or
/// a line break; at most 300 characters), with its character offsets: what the model cites.
pub fn first_sentence(text: &str) -> Option<(u64, u64, String)> {
    let chars: Vec<char> = text.chars().collect();
    let start = chars.iter().position(|c| !c.is_whitespace())?;
    let mut end = chars.len().min(start + 300);
    for i in start..end {
        let next_blank = chars.get(i + 1).is_none_or(|c| c.is_whitespace());
        if chars[i] == '\n' {
            end = i;
            break;
        }
        if matches!(chars[i], '.' | '!' | '?') && next_blank {
            end = i + 1;
            break;
        }
    }
    let cited: String = chars[start..end]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string();
    let end = start + cited.chars().count();
    (!cited.is_empty()).then_some((start as u64, end as u64, cited))
}

const OPENERS: &[&str] = &[
    "Thanks for calling, I can help you with that.",
    "Sure, I'd be happy to help with that today.",
    "Of course. Let me walk you through it.",
    "Great question, here's what I can tell you.",
    "Absolutely, I've pulled up the details for you.",
    "Thanks for your patience, I have that information now.",
];

const BODIES: &[&str] = &[
    "Dr. Patel has an opening on Tuesday at 10:30 a.m., and Dr. Nguyen can see you Thursday at 2:15 p.m.",
    "The standard transfer fee is $3.50, and same-day transfers within the U.S. are $12.99.",
    "Your current balance is $1,284.75, and your next payment of $89.99 is due on the 15th.",
    "Our office hours are 8:00 a.m. to 6:00 p.m. Eastern time, Monday through Friday.",
    "Mr. Alvarez from our billing team confirmed the refund of $42.10 on Jan. 5.",
    "The package left our St. Louis warehouse this morning and should arrive by 4:00 p.m. on Friday.",
    "The new plan is 4.5 percent cheaper than your current one, which saves about $27.40 a month.",
    "As the policy says, \"refunds are issued within 5 to 7 business days.\"",
    "Your appointment with Mrs. Johnson is confirmed for March 3rd at 9:45 a.m. at our Main St. office.",
    "The premium model weighs 2.3 kilograms and comes with a 2-year warranty.",
    "I see two open orders on your account, numbers 10482 and 10519.",
    "The U.S. shipping rate is $5.95 for orders under $50, and shipping is free above that.",
    "Your flight departs at 7:05 p.m. from gate B12, and boarding starts 40 minutes earlier.",
    "Prof. Kim's workshop has 3 seats left, and the early-bird price is $149.00 until Oct. 1.",
];

const LISTS: &[&str] = &[
    "You have three options: pay online, pay by phone, or visit a branch.",
    "To reset it, first open Settings, then tap Security, and finally choose Reset PIN.",
    "Please have these ready: your account number, the last 4 digits of your card, and your ZIP code.",
    "The main steps are simple: confirm your address, pick a delivery window, and sign on arrival.",
];

const CLOSERS: &[&str] = &[
    "Is there anything else I can help you with?",
    "Let me know if you'd like me to set that up for you.",
    "Would you like me to send a confirmation by text or e-mail?",
    "Is there anything else I can do for you today?",
];

const PREFACES: &[&str] = &[
    "Let me check that for you.",
    "One moment while I look that up.",
    "Sure, let me pull that up.",
];

fn generated_answer(rng: &mut Rng) -> String {
    let mut parts = vec![OPENERS[rng.below(OPENERS.len())].to_string()];
    let n = 1 + rng.below(3);
    let mut used = Vec::new();
    while used.len() < n {
        let i = rng.below(BODIES.len());
        if !used.contains(&i) {
            used.push(i);
            parts.push(BODIES[i].to_string());
        }
    }
    if rng.below(10) < 4 {
        parts.push(LISTS[rng.below(LISTS.len())].to_string());
    }
    parts.push(CLOSERS[rng.below(CLOSERS.len())].to_string());
    parts.join(" ")
}

fn snippet(text: &str, max: usize) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= max {
        t
    } else {
        format!("{}...", t.chars().take(max).collect::<String>())
    }
}

fn after_tool_answer(conv: &Conversation, rng: &mut Rng) -> String {
    let results = conv.last_tool_results();
    let mut parts = Vec::new();
    for (id, text, is_error) in &results {
        let tool = conv
            .tool_name_for(id)
            .unwrap_or_else(|| "the system".to_string());
        let tool = tool.replace(['_', '-'], " ");
        if *is_error {
            parts.push(format!(
                "I'm sorry, I wasn't able to complete that with {tool}: {}.",
                snippet(text, 160)
            ));
        } else {
            parts.push(format!(
                "Thanks for waiting. I checked with {tool}, and here's what I found: {}.",
                snippet(text, 160)
            ));
        }
    }
    parts.push(CLOSERS[rng.below(CLOSERS.len())].to_string());
    parts.join(" ")
}

const STOPWORDS: &[&str] = &[
    "about",
    "which",
    "there",
    "their",
    "would",
    "could",
    "should",
    "these",
    "those",
    "other",
    "given",
    "using",
    "based",
    "returns",
    "return",
    "information",
    "specified",
    "provided",
    "current",
    "where",
    "while",
    "after",
    "before",
    "first",
    "please",
];

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn tool_matches(tool: &Tool, user_words: &[String], user_lower: &str) -> bool {
    let name = tool.name.to_lowercase();
    if user_lower.contains(&name) || user_lower.contains(&name.replace(['_', '-'], " ")) {
        return true;
    }
    words(&tool.description)
        .iter()
        .filter(|w| w.chars().count() >= 5 && !STOPWORDS.contains(&w.as_str()))
        .any(|w| user_words.contains(w))
}

fn choose_tool(conv: &Conversation) -> Option<&Tool> {
    if conv.tools.is_empty() || conv.tool_choice == ToolChoice::None {
        return None;
    }
    if !conv.last_tool_results().is_empty() {
        return None;
    }
    let user = conv.last_user_text();
    let lower = user.to_lowercase();
    let user_words = words(&user);
    let matching = conv
        .tools
        .iter()
        .find(|t| tool_matches(t, &user_words, &lower));
    match &conv.tool_choice {
        ToolChoice::Tool(name) => conv.tools.iter().find(|t| &t.name == name),
        ToolChoice::Any => matching.or(conv.tools.first()),
        _ => matching,
    }
}

/// Builds a plausible value for a JSON schema.
pub fn sample_value(schema: &Value, name: &str, user_text: &str, rng: &mut Rng) -> Value {
    if let Some(v) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return v.clone();
    }
    if let Some(v) = schema.get("const") {
        return v.clone();
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    let n = name.to_lowercase();
    match ty {
        "object" => sample_object(schema, user_text, rng),
        "array" => {
            let item = schema
                .get("items")
                .cloned()
                .unwrap_or(json!({"type": "string"}));
            json!([sample_value(&item, name, user_text, rng)])
        }
        "integer" => {
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(1);
            let max = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(min.max(1) + 4);
            json!(min + (rng.below((max - min + 1).clamp(1, 1000) as usize) as i64))
        }
        "number" => {
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(1.0);
            json!(min + 2.5)
        }
        "boolean" => json!(true),
        _ => {
            let s = if n.contains("email") {
                "jane.doe@example.com".to_string()
            } else if n.contains("phone") {
                "+1-555-0134".to_string()
            } else if n.contains("date") {
                "2025-03-14".to_string()
            } else if n.contains("time") {
                "10:30".to_string()
            } else if n.contains("zip") || n.contains("postal") {
                "98101".to_string()
            } else if n.contains("currency") {
                "USD".to_string()
            } else if n.contains("city") || n.contains("location") || n.contains("address") {
                // The place the caller named, as a model would take it from the question.
                place_named(user_text).unwrap_or_else(|| "Seattle, WA".to_string())
            } else if n.contains("name") {
                "Jane Doe".to_string()
            } else if n.ends_with("id")
                || n.contains("number")
                || n.contains("account")
                || n.contains("order")
            {
                format!("A-{}", 10000 + rng.below(90000))
            } else if n.contains("query")
                || n.contains("question")
                || n.contains("text")
                || n.contains("message")
            {
                snippet(user_text, 80)
            } else {
                format!("sample {}", n.replace('_', " "))
            };
            json!(s)
        }
    }
}

/// The last run of capitalized words in `text` that does not open a sentence ("Paris" in
/// "What's the weather in Paris?", "New York" in "Flights to New York tomorrow").
fn place_named(text: &str) -> Option<String> {
    let mut best: Option<Vec<&str>> = None;
    let mut run: Vec<&str> = Vec::new();
    let mut sentence_start = true;
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let capital = word.chars().next().is_some_and(char::is_uppercase);
        if capital && !sentence_start && word != "I" {
            run.push(word);
        } else if !run.is_empty() {
            best = Some(std::mem::take(&mut run));
        }
        if !run.is_empty() && raw.ends_with([',', ';', ':', '.', '?', '!']) {
            best = Some(std::mem::take(&mut run));
        }
        sentence_start = raw.ends_with(['.', '?', '!']);
    }
    if !run.is_empty() {
        best = Some(run);
    }
    best.map(|words| words.join(" "))
}

fn sample_object(schema: &Value, user_text: &str, rng: &mut Rng) -> Value {
    let mut out = Map::new();
    let props = schema.get("properties").and_then(Value::as_object);
    for req in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(key) = req.as_str() else { continue };
        let prop = props
            .and_then(|p| p.get(key))
            .cloned()
            .unwrap_or(json!({"type": "string"}));
        out.insert(key.to_string(), sample_value(&prop, key, user_text, rng));
    }
    Value::Object(out)
}

/// Bedrock-style tool use id: `tooluse_` + 22 base62 characters.
pub fn tool_use_id(rng: &mut Rng) -> String {
    format!("tooluse_{}", rng.alnum(22))
}

/// A thinking signature under a nonce from `rng` (see [`crate::request::thinking_signature`]).
fn signature(rng: &mut Rng, text: &str) -> String {
    let mut nonce = [0u8; 32];
    for chunk in nonce.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next().to_le_bytes());
    }
    crate::request::thinking_signature(nonce, text)
}

/// Plans the reply for a validated conversation. `rng` is seeded from the request body (same
/// request, same reply); `ids` gives the tool use ids, new on every call as Bedrock's are.
pub fn plan(conv: &Conversation, script: &Script, rng: &mut Rng, ids: &mut Rng) -> Plan {
    let user_text = conv.last_user_text();
    let after_tool = !conv.last_tool_results().is_empty();
    let mut tool_uses = Vec::new();
    let text;
    if after_tool {
        text = script
            .reply_after_tool
            .clone()
            .or_else(|| script.reply.clone())
            .unwrap_or_else(|| after_tool_answer(conv, rng));
    } else if let Some(scripted) = &script.tool_uses {
        text = script.reply.clone().unwrap_or_default();
        for t in scripted {
            tool_uses.push(PlannedToolUse {
                id: t.id.clone().unwrap_or_else(|| tool_use_id(ids)),
                name: t.name.clone(),
                input: if t.input.is_null() {
                    json!({})
                } else {
                    t.input.clone()
                },
            });
        }
    } else if let Some(reply) = &script.reply {
        text = reply.clone();
    } else if let Some(tool) = choose_tool(conv) {
        // A forced tool choice (`any` or a named tool) makes the model answer with the tool
        // call only: Bedrock documents that no text is generated then.
        text = if matches!(conv.tool_choice, ToolChoice::Any | ToolChoice::Tool(_)) {
            String::new()
        } else {
            PREFACES[rng.below(PREFACES.len())].to_string()
        };
        let input = sample_object_or_value(&tool.schema, &user_text, rng);
        tool_uses.push(PlannedToolUse {
            id: tool_use_id(ids),
            name: tool.name.clone(),
            input,
        });
    } else if let Some(schema) = &conv.output_schema {
        // Structured output: the answer is JSON that follows the schema.
        text = sample_value(schema, "output", &user_text, rng).to_string();
    } else {
        text = generated_answer(rng);
    }
    // A model continues after an assistant prefill (unless a rule makes it restart).
    let text = match conv.prefill() {
        Some(prefill) if script.prefill == PrefillMode::Continue => after_prefill(&text, &prefill),
        _ => text,
    };
    let thinking_on = conv.thinking.is_some() || conv.adaptive_thinking;
    let reasoning = thinking_on.then(|| {
        let t = script.thinking.clone().unwrap_or_else(|| {
            let mut t = format!(
                "The caller is asking: \"{}\". I should answer briefly and clearly, in a friendly spoken style.",
                snippet(&user_text, 80)
            );
            if let Some(tu) = tool_uses.first() {
                t.push_str(&format!(" I need to call {} to get the exact details.", tu.name));
            }
            t
        });
        // Per call, as Bedrock's (an encrypted blob, new on every answer).
        let sig = signature(ids, &t);
        (t, sig)
    });
    // A plain answer cites the document it was given with citations on.
    let citation = conv
        .citable
        .as_ref()
        .filter(|_| tool_uses.is_empty() && !after_tool && conv.output_schema.is_none())
        .and_then(|doc| {
            let (start, end, cited) = first_sentence(&doc.text)?;
            Some(PlannedCitation {
                text: cited.clone(),
                cited,
                title: doc.title.clone(),
                document_index: doc.index,
                start,
                end,
            })
        });
    // The text goes on after the cited passage.
    let text = match &citation {
        Some(_) if !text.is_empty() => format!(" {text}"),
        _ => text,
    };
    let mut plan = Plan {
        reasoning,
        citation,
        text,
        stop_reason: if tool_uses.is_empty() {
            StopReason::EndTurn
        } else {
            StopReason::ToolUse
        },
        tool_uses,
    };
    apply_limits(conv, &mut plan);
    plan
}

/// What a model writes after `prefill` when its answer is `reply`: the rest of `reply` when
/// it starts with the prefill (runs of whitespace compare equal, so a prefill whose
/// sentences were joined with single spaces still matches), else `reply` itself (a scripted
/// continuation that does not repeat the prefill).
pub fn after_prefill(reply: &str, prefill: &str) -> String {
    let mut rest = reply.char_indices().filter(|(_, c)| !c.is_whitespace());
    let mut end = 0;
    for p in prefill.chars().filter(|c| !c.is_whitespace()) {
        match rest.next() {
            Some((i, c)) if c == p => end = i + c.len_utf8(),
            _ => return reply.to_string(),
        }
    }
    reply[end..].to_string()
}

fn sample_object_or_value(schema: &Value, user_text: &str, rng: &mut Rng) -> Value {
    match sample_value(schema, "input", user_text, rng) {
        v @ Value::Object(_) => v,
        _ => json!({}),
    }
}

/// Stop sequences and max tokens cut the reply like a model would.
fn apply_limits(conv: &Conversation, plan: &mut Plan) {
    if let Some((pos, seq)) = conv
        .stop_sequences
        .iter()
        .filter_map(|s| plan.text.find(s.as_str()).map(|p| (p, s)))
        .min_by_key(|(p, _)| *p)
    {
        plan.text.truncate(pos);
        plan.tool_uses.clear();
        plan.stop_reason = StopReason::StopSequence(seq.clone());
    }
    if plan.output_tokens() > conv.max_tokens {
        // Cut short, the answer keeps no citation.
        if let Some(c) = plan.citation.take() {
            plan.text.insert_str(0, &c.text);
        }
        let reasoning = plan.reasoning.as_ref().map_or(0, |(t, _)| tokens(t));
        let budget = conv.max_tokens.saturating_sub(reasoning);
        let chars = (budget * 4) as usize;
        plan.text = plan.text.chars().take(chars).collect();
        if let Some((t, _)) = plan.reasoning.as_mut() {
            if reasoning > conv.max_tokens {
                *t = t.chars().take((conv.max_tokens * 4) as usize).collect();
            }
        }
        plan.tool_uses.clear();
        plan.stop_reason = StopReason::MaxTokens;
    }
}

/// Splits text into deltas of about `size` characters, cutting after whitespace.
/// A word longer than `2 * size` is cut in `size`-character heads in one pass (counting and
/// re-collecting the rest per head was quadratic: a schema's 200,000-character `const` held a
/// worker for minutes).
pub fn split_deltas(text: &str, size: usize) -> Vec<String> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_chars = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let word_chars = word.chars().count();
        if !cur.is_empty() && cur_chars + word_chars > size {
            out.push(std::mem::take(&mut cur));
            cur_chars = 0;
        }
        cur.push_str(word);
        cur_chars += word_chars;
        if cur_chars > size * 2 {
            let mut at = cur.char_indices().map(|(i, _)| i).step_by(size);
            let mut from = at.next().unwrap_or(0);
            while cur_chars > size * 2 {
                let to = at.next().unwrap_or(cur.len());
                out.push(cur[from..to].to_string());
                from = to;
                cur_chars -= size;
            }
            cur = cur[from..].to_string();
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Splits any string into pieces of exactly `size` characters (the last may be shorter).
pub fn split_chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentence_is_cited_with_char_offsets() {
        let text = "  Our clinic opens at 9 a.m. sharp. Parking is free.";
        // A period before a space ends the sentence, an abbreviation's too (as a
        // sentence splitter without a dictionary would cut it).
        let (start, end, cited) = first_sentence(text).unwrap();
        assert_eq!(cited, "Our clinic opens at 9 a.m.");
        assert_eq!((start, end), (2, 28));
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(
            chars[start as usize..end as usize]
                .iter()
                .collect::<String>(),
            cited
        );
        assert_eq!(
            first_sentence("Première ligne\nsuite").unwrap(),
            (0, 14, "Première ligne".to_string())
        );
        assert_eq!(first_sentence(" \n "), None);
        let long = "word ".repeat(100);
        assert_eq!(first_sentence(&long).unwrap().2.chars().count(), 299);
    }

    #[test]
    fn after_prefill_continues_or_takes_the_reply() {
        let reply = "First we check.\nThen we book. Bye.";
        assert_eq!(
            after_prefill(reply, "First we check."),
            "\nThen we book. Bye."
        );
        assert_eq!(
            after_prefill(reply, "First we check. Then we"),
            " book. Bye."
        );
        assert_eq!(after_prefill(reply, "Other."), reply);
        assert_eq!(after_prefill(reply, " "), reply);
        assert_eq!(after_prefill("Caf\u{e9} ok.", "Caf\u{e9}"), " ok.");
        assert_eq!(after_prefill("Hi.", "Hi. And more"), "Hi.");
    }

    /// Probe (red team): a reply with a long word (a schema's 200,000-character `const`)
    /// re-collected the rest of the word for every delta cut off it (quadratic).
    #[test]
    fn long_words_split_in_one_pass() {
        // The cut as it was, the reference.
        fn reference(text: &str, size: usize) -> Vec<String> {
            let size = size.max(1);
            let mut out = Vec::new();
            let mut cur = String::new();
            for word in text.split_inclusive(char::is_whitespace) {
                if !cur.is_empty() && cur.chars().count() + word.chars().count() > size {
                    out.push(std::mem::take(&mut cur));
                }
                cur.push_str(word);
                while cur.chars().count() > size * 2 {
                    let head: String = cur.chars().take(size).collect();
                    cur = cur.chars().skip(size).collect();
                    out.push(head);
                }
            }
            if !cur.is_empty() {
                out.push(cur);
            }
            out
        }
        let mut rng = Rng(7);
        let alphabet = ["a", "é", "日", " ", "\n", "bb ", "x".repeat(30).leak()];
        for _ in 0..500 {
            let n = (rng.next() % 40) as usize;
            let text: String = (0..n)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect();
            for size in [0, 1, 2, 5, 12, 40] {
                assert_eq!(
                    split_deltas(&text, size),
                    reference(&text, size),
                    "{text:?} {size}"
                );
            }
        }
        let word = "é".repeat(200_000);
        let parts = split_deltas(&word, 12);
        assert_eq!(parts.concat(), word);
        assert!(parts.iter().all(|p| p.chars().count() <= 24));
    }

    #[test]
    fn deltas_rejoin() {
        let text = "Dr. Patel has an opening on Tuesday at 10:30 a.m. today.";
        let parts = split_deltas(text, 12);
        assert!(parts.len() > 2);
        assert_eq!(parts.concat(), text);
        assert_eq!(split_chunks("{\"a\":1}", 3).concat(), "{\"a\":1}");
    }

    #[test]
    fn schema_samples() {
        let mut rng = Rng(1);
        let schema = json!({"type": "object", "properties": {
            "city": {"type": "string"}, "days": {"type": "integer"}, "metric": {"type": "boolean"}
        }, "required": ["city", "days", "metric"]});
        let v = sample_value(&schema, "input", "", &mut rng);
        assert_eq!(v["city"], "Seattle, WA");
        assert!(v["days"].is_i64());
        assert_eq!(v["metric"], true);
        let v = sample_value(&schema, "input", "What's the weather in Paris?", &mut rng);
        assert_eq!(v["city"], "Paris");
    }

    #[test]
    fn places_are_taken_from_the_question() {
        for (text, place) in [
            ("What's the weather forecast in Paris?", Some("Paris")),
            ("Flights to New York tomorrow, please", Some("New York")),
            ("Is it raining in São Paulo right now", Some("São Paulo")),
            ("I live in Lyon. What about tomorrow?", Some("Lyon")),
            ("What's the weather like?", None),
            ("Weather. Tomorrow.", None),
        ] {
            assert_eq!(place_named(text).as_deref(), place, "{text}");
        }
    }
}
