//! Size and shape limits applied to every request before anything touches the network.
//!
//! Plain data: the NIF's term converter and the request decoder read the same [`Limits`], so a
//! request that is too deep, too large or has too many parts fails with `invalid_request`
//! naming the field path and the limit, instead of being signed, sent and rejected by the
//! server (or crashing the VM on the way).
//!
//! Bedrock's own limits (checked December 2026):
//! - Message content: "up to 20 images. Each image's size, height, and width must be no more
//!   than 3.75 MB, 8000 px, and 8000 px"; "up to five documents. Each document's size must be
//!   no more than 4.5 MB" —
//!   <https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html>.
//! - Converse `modelId`: length 1 to 2048 —
//!   <https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html>.
//! - Request payload: 20 MB (Anthropic's "Claude in Amazon Bedrock" page, fact sheet [S1]).
//!
//! MB is read as MiB so that no request Bedrock accepts is refused here. The limits Bedrock
//! does not state (nesting depth, items, text per block, messages, tool schema size) are ours,
//! chosen so that no request a model could use is refused, and configurable.

use crate::error::{Error, ErrorKind};
use serde_json::Value;

const MIB: usize = 1024 * 1024;

/// The limits of one call. [`Limits::default`] is what a call gets unless the caller passes
/// `limits:`; [`Limits::from_value`] validates overrides against [`Limits::RANGES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Levels of nested maps and lists, the request itself being level 1. Bounded above by
    /// 100, below serde_json's parser limit (128 levels, which the emulator and any
    /// serde-based peer enforce), so nothing downstream recurses deeper.
    pub max_depth: usize,
    /// The request's size as JSON on the wire (binaries counted as base64).
    pub max_request_bytes: usize,
    /// Values (scalars, maps, lists) in the request.
    pub max_items: usize,
    /// Bytes of one text block (message, system, tool result, reasoning text).
    pub max_text_bytes: usize,
    /// Bytes of one image (Bedrock: 3.75 MB).
    pub max_image_bytes: usize,
    /// Images in one message's content (Bedrock: 20).
    pub max_images_per_message: usize,
    /// Bytes of one document (Bedrock: 4.5 MB).
    pub max_document_bytes: usize,
    /// Documents in one message's content (Bedrock: 5).
    pub max_documents_per_message: usize,
    /// Messages in one request.
    pub max_messages: usize,
    /// Bytes of the model id (Bedrock: 2048).
    pub max_model_id_bytes: usize,
    /// Size as JSON of one tool's input schema.
    pub max_tool_schema_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_request_bytes: 20 * MIB,
            max_items: 1_000_000,
            // More than the largest context window (1M tokens) holds as text.
            max_text_bytes: 8 * MIB,
            max_image_bytes: 3 * MIB + 3 * MIB / 4,
            max_images_per_message: 20,
            max_document_bytes: 4 * MIB + MIB / 2,
            max_documents_per_message: 5,
            max_messages: 10_000,
            max_model_id_bytes: 2048,
            max_tool_schema_bytes: MIB,
        }
    }
}

/// One configurable limit: its name (the option key) and the range it may be set to.
pub struct Range {
    pub name: &'static str,
    pub min: usize,
    pub max: usize,
}

const fn range(name: &'static str, min: usize, max: usize) -> Range {
    Range { name, min, max }
}

impl Limits {
    /// The safe range of every limit. `max_depth` stops at 100: the values are dropped and
    /// cloned recursively (a few hundred bytes of stack per level on a dirty scheduler) and
    /// serde_json parsers refuse 128 levels.
    pub const RANGES: [Range; 11] = [
        range("max_depth", 8, 100),
        range("max_request_bytes", 1024, 100 * MIB),
        range("max_items", 16, 10_000_000),
        range("max_text_bytes", 1, 100 * MIB),
        range("max_image_bytes", 1, 100 * MIB),
        range("max_images_per_message", 0, 1_000),
        range("max_document_bytes", 1, 100 * MIB),
        range("max_documents_per_message", 0, 1_000),
        range("max_messages", 1, 1_000_000),
        range("max_model_id_bytes", 1, 2048),
        range("max_tool_schema_bytes", 2, 100 * MIB),
    ];

    fn slot(&mut self, name: &str) -> Option<&mut usize> {
        Some(match name {
            "max_depth" => &mut self.max_depth,
            "max_request_bytes" => &mut self.max_request_bytes,
            "max_items" => &mut self.max_items,
            "max_text_bytes" => &mut self.max_text_bytes,
            "max_image_bytes" => &mut self.max_image_bytes,
            "max_images_per_message" => &mut self.max_images_per_message,
            "max_document_bytes" => &mut self.max_document_bytes,
            "max_documents_per_message" => &mut self.max_documents_per_message,
            "max_messages" => &mut self.max_messages,
            "max_model_id_bytes" => &mut self.max_model_id_bytes,
            "max_tool_schema_bytes" => &mut self.max_tool_schema_bytes,
            _ => return None,
        })
    }

    /// The defaults with the overrides of a map `{"max_depth": 32, ...}` (`null` or an empty
    /// map: the defaults). Unknown keys and values outside [`Limits::RANGES`] are
    /// `invalid_config` errors naming the key.
    pub fn from_value(value: &Value) -> Result<Limits, Error> {
        let mut limits = Limits::default();
        let map = match value {
            Value::Null => return Ok(limits),
            Value::Object(map) => map,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    "limits must be a map or keyword list",
                ))
            }
        };
        for (key, v) in map {
            let Some(range) = Self::RANGES.iter().find(|r| r.name == key) else {
                let known: Vec<&str> = Self::RANGES.iter().map(|r| r.name).collect();
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    format!(
                        "unknown limit {:?} (known: {})",
                        truncate(key, 64),
                        known.join(", ")
                    ),
                ));
            };
            let n = v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (range.min..=range.max).contains(n))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidConfig,
                        format!(
                            "limit {} must be an integer from {} to {}",
                            range.name, range.min, range.max
                        ),
                    )
                })?;
            if let Some(slot) = limits.slot(key) {
                *slot = n;
            }
        }
        Ok(limits)
    }
}

/// The error of an exceeded limit: `invalid_request`, naming the path, the limit and its key.
pub fn exceeded(path: &str, what: &str, limit: usize, key: &str) -> Error {
    Error::invalid_request(
        path,
        format!("{what} exceeds the limit of {limit} ({key}, see Aybiza.Bedrock limits)"),
    )
}

/// The size of a string as a JSON string (quotes, no escapes counted: a lower bound that is
/// exact for ordinary text).
pub fn string_size(s: &str) -> usize {
    s.len() + 2
}

/// The size of `n` raw bytes once base64-encoded in a JSON string.
pub fn binary_size(n: usize) -> usize {
    n.div_ceil(3) * 4 + 2
}

/// Whether `v` is the NIF's `{"$binary": base64}` marker (one value, not a level).
fn is_binary_marker(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.len() == 1 && m.contains_key(crate::request::BINARY_MARKER))
}

/// The JSON size, item count and depth of a value, walked with an explicit stack (never
/// recursion), stopping at the first exceeded limit. `path` names the value in errors.
pub fn check_value(value: &Value, limits: &Limits, path: &str) -> Result<usize, Error> {
    let mut size = 0usize;
    let mut items = 0usize;
    // The path of each container as its parent's node and its own key or index: the text is
    // built only for an error (building it for every container was most of this walk's
    // allocations on a small request's way to the network).
    let mut nodes: Vec<(usize, Segment)> = vec![(0, Segment::Root)];
    // (value, depth, path node of the value when it is a container)
    let mut stack: Vec<(&Value, usize, Option<usize>)> = vec![(value, 1, Some(0))];
    while let Some((v, depth, node)) = stack.pop() {
        items += 1;
        if items > limits.max_items {
            return Err(exceeded(
                path,
                "the number of values",
                limits.max_items,
                "max_items",
            ));
        }
        let container = match v {
            Value::Array(_) => true,
            Value::Object(_) => !is_binary_marker(v),
            _ => false,
        };
        if container && depth > limits.max_depth {
            let p = node.map_or_else(|| path.to_string(), |n| render(&nodes, n, path));
            return Err(exceeded(
                &p,
                "the nesting depth",
                limits.max_depth,
                "max_depth",
            ));
        }
        size += match v {
            Value::Null => 4,
            Value::Bool(_) => 5,
            Value::Number(n) => number_size(n),
            Value::String(s) => string_size(s),
            Value::Array(a) => 2 + a.len(),
            Value::Object(m) => 2 + m.keys().map(|k| string_size(k) + 2).sum::<usize>(),
        };
        if size > limits.max_request_bytes {
            return Err(exceeded(
                path,
                "the size as JSON",
                limits.max_request_bytes,
                "max_request_bytes",
            ));
        }
        // Child paths are only kept for containers (errors name containers).
        let parent = node.unwrap_or(0);
        match v {
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate().rev() {
                    let cp = (c.is_array() || c.is_object()).then(|| {
                        nodes.push((parent, Segment::Index(i)));
                        nodes.len() - 1
                    });
                    stack.push((c, depth + 1, cp));
                }
            }
            Value::Object(m) => {
                for (k, c) in m.iter() {
                    let cp = (c.is_array() || c.is_object()).then(|| {
                        nodes.push((parent, Segment::Key(k)));
                        nodes.len() - 1
                    });
                    stack.push((c, depth + 1, cp));
                }
            }
            _ => {}
        }
    }
    Ok(size)
}

/// One step of a path in [`check_value`].
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// The text of path node `node`: `path` at the root, then `parent.key` (see [`join_key`])
/// and `parent[i]`.
fn render(nodes: &[(usize, Segment)], node: usize, path: &str) -> String {
    let mut steps = vec![node];
    let mut n = node;
    while n != 0 {
        n = nodes[n].0;
        steps.push(n);
    }
    let mut out = String::new();
    for &n in steps.iter().rev() {
        out = match nodes[n].1 {
            Segment::Root => path.to_string(),
            Segment::Key(k) => join_key(&out, k),
            Segment::Index(i) => format!("{out}[{i}]"),
        };
    }
    out
}

/// `n.to_string().len()` without the string for integers.
fn number_size(n: &serde_json::Number) -> usize {
    fn digits(mut v: u64) -> usize {
        let mut d = 1;
        while v >= 10 {
            v /= 10;
            d += 1;
        }
        d
    }
    if let Some(u) = n.as_u64() {
        digits(u)
    } else if let Some(i) = n.as_i64() {
        // Negative (a non-negative one is a u64).
        1 + digits(i.unsigned_abs())
    } else {
        n.to_string().len()
    }
}

/// `parent.key` (or `key` at the root), the key cut to 64 characters.
pub fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        truncate(key, 64)
    } else {
        format!("{parent}.{}", truncate(key, 64))
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        let mut v = json!(1);
        for _ in 0..depth {
            v = json!([v]);
        }
        v
    }

    #[test]
    fn defaults_are_bedrocks_limits() {
        let l = Limits::default();
        assert_eq!(l.max_image_bytes, 3_932_160);
        assert_eq!(l.max_document_bytes, 4_718_592);
        assert_eq!(l.max_images_per_message, 20);
        assert_eq!(l.max_documents_per_message, 5);
        assert_eq!(l.max_model_id_bytes, 2048);
        assert_eq!(l.max_request_bytes, 20 * MIB);
        assert_eq!(l.max_depth, 64);
        for r in Limits::RANGES.iter() {
            let mut d = Limits::default();
            let v = *d.slot(r.name).expect("every range names a field");
            assert!((r.min..=r.max).contains(&v), "{} default in range", r.name);
        }
    }

    #[test]
    fn overrides_are_validated() {
        let l = Limits::from_value(&json!({"max_depth": 16, "max_messages": 3})).unwrap();
        assert_eq!((l.max_depth, l.max_messages), (16, 3));
        for bad in [
            json!({"max_depth": 1000}),
            json!({"max_depth": 2}),
            json!({"max_depth": -1}),
            json!({"max_depth": 1.5}),
            json!({"max_depht": 10}),
            json!([1]),
        ] {
            let e = Limits::from_value(&bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidConfig, "{bad}");
        }
        assert_eq!(Limits::from_value(&Value::Null).unwrap(), Limits::default());
    }

    #[test]
    fn depth_is_checked_without_recursion_and_names_the_path() {
        let limits = Limits::default();
        assert!(check_value(&nested(63), &limits, "x").is_ok());
        let e = check_value(&json!({"a": [{"b": nested(70)}]}), &limits, "root").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert!(e.message.starts_with("root.a[0].b"), "{}", e.message);
        assert!(e.message.contains("max_depth"), "{}", e.message);
    }

    #[test]
    fn depth_errors_name_the_exact_path_and_sizes_count_numbers_as_json() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        for (value, root, expected) in [
            (json!({"a": [{"b": [1]}]}), "", "a[0].b"),
            (json!({"a": [{"b": [1]}]}), "req", "req.a[0].b"),
            (json!([[0, [[1]]]]), "", "[0][1][0]"),
            (json!({"k": {"x": 1, "y": {"z": {}}}}), "r", "r.k.y.z"),
        ] {
            let e = check_value(&value, &limits, root).unwrap_err();
            assert!(
                e.message.starts_with(&format!("{expected}: ")),
                "{}",
                e.message
            );
        }
        for n in [
            json!(0),
            json!(9),
            json!(10),
            json!(8192),
            json!(u64::MAX),
            json!(-1),
            json!(-10),
            json!(i64::MIN),
            json!(1.5),
            json!(-2.25e-30),
        ] {
            assert_eq!(
                check_value(&n, &Limits::default(), "").unwrap(),
                n.to_string().len(),
                "{n}"
            );
        }
    }

    #[test]
    fn size_and_items_are_checked() {
        let limits = Limits {
            max_request_bytes: 100,
            ..Limits::default()
        };
        let e = check_value(&json!({"t": "x".repeat(200)}), &limits, "").unwrap_err();
        assert!(e.message.contains("max_request_bytes"), "{}", e.message);
        let limits = Limits {
            max_items: 20,
            ..Limits::default()
        };
        let e = check_value(&json!(vec![0; 50]), &limits, "").unwrap_err();
        assert!(e.message.contains("max_items"), "{}", e.message);
    }

    #[test]
    fn binary_markers_are_not_levels() {
        let limits = Limits {
            max_depth: 8,
            ..Limits::default()
        };
        let mut v = json!({"$binary": "AAAA"});
        for _ in 0..7 {
            v = json!([v]);
        }
        assert!(check_value(&v, &limits, "").is_ok());
    }
}
