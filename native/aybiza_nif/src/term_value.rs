//! Generic conversion between Elixir terms and `serde_json::Value`, so the logic crates can
//! decode loosely-typed input (maps with atom or string keys) without knowing rustler.
//!
//! Terms come from callers, models and tools, so both directions walk with an explicit stack
//! (no recursion per level: a dirty scheduler's stack is small) and the term direction
//! enforces [`Limits`] as it goes: nesting depth, size as JSON and number of values. A term
//! that breaks a limit, or holds something JSON cannot (improper lists, tuples, pids,
//! integers beyond 64 bits, map keys that are not atoms or UTF-8 strings) is an
//! `invalid_request` error naming the field path, never a panic.

use aybiza_core::error::Error;
use aybiza_core::limits::{binary_size, exceeded, join_key, string_size, Limits};
use aybiza_core::request::BINARY_MARKER;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rustler::types::map::MapIterator;
use rustler::types::tuple::get_tuple;
use rustler::{Binary, Encoder, Env, NewBinary, Term, TermType};
use serde_json::{Map, Number, Value};
use std::fmt::Write;

/// Converts an Elixir term into a JSON value under the default [`Limits`]; the error is a
/// message (for the NIFs whose errors are not `Aybiza.Error`s).
pub fn term_to_value(term: Term) -> Result<Value, String> {
    term_to_value_with(term, &Limits::default(), "").map_err(|e| e.message)
}

/// Which Elixir shapes beyond plain JSON data a conversion accepts.
#[derive(Clone, Copy, Debug)]
pub struct Accept {
    /// Tuples become arrays (`{model_id, region}` pairs of routing options).
    pub tuples: bool,
    /// A non-empty list of `{atom, value}` pairs becomes an object (`[tools: true]`); when a
    /// key repeats, the first value wins, as with `Keyword.get/2`.
    pub keyword_lists: bool,
    /// Binaries that are not UTF-8 travel as `{"$binary": base64}` markers (request
    /// content: images, documents); otherwise they are an error.
    pub raw_binaries: bool,
}

impl Accept {
    /// Request data: JSON shapes only, raw binaries as markers.
    pub const REQUEST: Accept = Accept {
        tuples: false,
        keyword_lists: false,
        raw_binaries: true,
    };
    /// Options and lookup arguments (catalog, cost, routing): tuples and keyword lists too,
    /// text only.
    pub const OPTIONS: Accept = Accept {
        tuples: true,
        keyword_lists: true,
        raw_binaries: false,
    };
}

/// Converts an options-like term ([`Accept::OPTIONS`]) under the default [`Limits`]; the
/// error is a message naming the path.
pub fn options_to_value(term: Term) -> Result<Value, String> {
    convert(term, &Limits::default(), "", Accept::OPTIONS).map_err(|e| e.message)
}

/// A list, keyword list, tuple or map being converted.
enum Frame<'a> {
    /// `rest` is the part of the list not yet read; `items` what was converted so far.
    List { rest: Term<'a>, items: Vec<Value> },
    /// A tuple's elements not yet read, and what was converted so far.
    Tuple {
        rest: std::vec::IntoIter<Term<'a>>,
        items: Vec<Value>,
    },
    /// A keyword list: `rest` the pairs not yet read, `key` the key of the value being
    /// converted.
    Keyword {
        rest: Term<'a>,
        map: Map<String, Value>,
        key: String,
    },
    /// `key` is the key of the value being converted.
    Map {
        // Boxed: the iterator is large and most frames are lists.
        iter: Box<MapIterator<'a>>,
        map: Map<String, Value>,
        key: String,
    },
}

/// The path of the value under conversion: `root` and one segment per open frame.
fn path_of(root: &str, stack: &[Frame]) -> String {
    let mut path = root.to_string();
    for frame in stack {
        match frame {
            Frame::List { items, .. } | Frame::Tuple { items, .. } => {
                let _ = write!(path, "[{}]", items.len());
            }
            Frame::Map { key, .. } | Frame::Keyword { key, .. } => path = join_key(&path, key),
        }
    }
    path
}

/// Counts the JSON size and the number of values against the limits.
struct Budget<'l> {
    limits: &'l Limits,
    bytes: usize,
    items: usize,
}

impl Budget<'_> {
    fn add(&mut self, bytes: usize) -> Result<(), &'static str> {
        self.items += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        if self.items > self.limits.max_items {
            Err("max_items")
        } else if self.bytes > self.limits.max_request_bytes {
            Err("max_request_bytes")
        } else {
            Ok(())
        }
    }
}

fn over_budget(root: &str, limits: &Limits, which: &str, stack: &[Frame]) -> Error {
    let path = path_of(root, stack);
    if which == "max_items" {
        exceeded(&path, "the number of values", limits.max_items, which)
    } else {
        exceeded(&path, "the size as JSON", limits.max_request_bytes, which)
    }
}

/// What the next step of the walk is.
enum Step<'a> {
    /// Convert this term (a list element or map value).
    Visit(Term<'a>),
    /// The top frame is complete: this is its value.
    Close(Value),
}

/// Converts an Elixir term into a JSON value. Maps become objects (atom or string keys),
/// lists become arrays, binaries become strings, atoms become strings except `true`, `false`
/// and `nil`. Binaries that are not UTF-8 (images, documents) travel as `{"$binary": base64}`
/// markers that the request decoder turns back into bytes. `root` prefixes error paths.
pub fn term_to_value_with(term: Term, limits: &Limits, root: &str) -> Result<Value, Error> {
    convert(term, limits, root, Accept::REQUEST)
}

/// A non-empty proper list whose every element is an `{atom, value}` pair. Reads only the
/// list's own cells (no descent), so it is linear in the list's length.
fn is_keyword_list(term: Term) -> bool {
    let mut rest = term;
    let mut any = false;
    while let Ok((head, tail)) = rest.list_get_cell() {
        let pair = head.get_type() == TermType::Tuple
            && get_tuple(head).is_ok_and(|t| t.len() == 2 && t[0].get_type() == TermType::Atom);
        if !pair {
            return false;
        }
        any = true;
        rest = tail;
    }
    any && rest.get_type() == TermType::List
}

/// The walk behind [`term_to_value_with`] and [`options_to_value`]: one explicit stack, the
/// limits checked as it goes, `accept` deciding the shapes beyond plain JSON data.
pub fn convert(term: Term, limits: &Limits, root: &str, accept: Accept) -> Result<Value, Error> {
    let mut budget = Budget {
        limits,
        bytes: 0,
        items: 0,
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut current = term;
    loop {
        // Convert `current`: a scalar is done at once, a container opens a frame.
        let container = match current.get_type() {
            TermType::List | TermType::Map => true,
            TermType::Tuple => accept.tuples,
            _ => false,
        };
        let mut done = match current.get_type() {
            _ if container => {
                if stack.len() >= limits.max_depth {
                    let path = path_of(root, &stack);
                    return Err(exceeded(
                        &path,
                        "the nesting depth",
                        limits.max_depth,
                        "max_depth",
                    ));
                }
                budget
                    .add(2)
                    .map_err(|w| over_budget(root, limits, w, &stack))?;
                if current.get_type() == TermType::Tuple {
                    let elems = get_tuple(current).map_err(|_| {
                        Error::invalid_request(&path_of(root, &stack), "unreadable tuple")
                    })?;
                    stack.push(Frame::Tuple {
                        rest: elems.into_iter(),
                        items: Vec::new(),
                    });
                } else if current.get_type() == TermType::List
                    && accept.keyword_lists
                    && is_keyword_list(current)
                {
                    stack.push(Frame::Keyword {
                        rest: current,
                        map: Map::new(),
                        key: String::new(),
                    });
                } else if current.get_type() == TermType::List {
                    stack.push(Frame::List {
                        rest: current,
                        items: Vec::new(),
                    });
                } else {
                    let iter = MapIterator::new(current).ok_or_else(|| {
                        Error::invalid_request(&path_of(root, &stack), "unreadable map")
                    })?;
                    stack.push(Frame::Map {
                        iter: Box::new(iter),
                        map: Map::new(),
                        key: String::new(),
                    });
                }
                None
            }
            _ => Some(
                scalar(current, &mut budget, accept).map_err(|fault| match fault {
                    Fault::Budget(w) => over_budget(root, limits, w, &stack),
                    Fault::Invalid(msg) => Error::invalid_request(&path_of(root, &stack), msg),
                })?,
            ),
        };
        // Hand finished values to their parents until one has another child to visit.
        loop {
            let Some(top) = stack.last_mut() else {
                // The root was a scalar or its frame just closed.
                return done.ok_or_else(|| Error::invalid_request(root, "empty term"));
            };
            let step = match top {
                Frame::List { rest, items } => {
                    if let Some(v) = done.take() {
                        items.push(v);
                    }
                    match rest.list_get_cell() {
                        Ok((head, tail)) => {
                            *rest = tail;
                            Step::Visit(head)
                        }
                        Err(_) if rest.get_type() == TermType::List => {
                            Step::Close(Value::Array(std::mem::take(items)))
                        }
                        Err(_) => {
                            let path = path_of(root, &stack[..stack.len() - 1]);
                            return Err(Error::invalid_request(
                                &path,
                                "is an improper list (its tail is not a list)",
                            ));
                        }
                    }
                }
                Frame::Tuple { rest, items } => {
                    if let Some(v) = done.take() {
                        items.push(v);
                    }
                    match rest.next() {
                        Some(t) => Step::Visit(t),
                        None => Step::Close(Value::Array(std::mem::take(items))),
                    }
                }
                Frame::Keyword { rest, map, key } => {
                    if let Some(v) = done.take() {
                        // The first value of a repeated key wins (`Keyword.get/2`).
                        map.entry(std::mem::take(key)).or_insert(v);
                    }
                    // `is_keyword_list` checked every cell: a proper list of atom pairs.
                    match rest.list_get_cell() {
                        Ok((head, tail)) => {
                            *rest = tail;
                            let pair = get_tuple(head).unwrap_or_default();
                            match (pair.first(), pair.get(1)) {
                                (Some(&k), Some(&v)) => match map_key(k) {
                                    Ok(k) => {
                                        budget.bytes = budget.bytes.saturating_add(k.len() + 4);
                                        *key = k;
                                        Step::Visit(v)
                                    }
                                    Err(msg) => {
                                        let path = path_of(root, &stack[..stack.len() - 1]);
                                        return Err(Error::invalid_request(&path, msg));
                                    }
                                },
                                _ => {
                                    let path = path_of(root, &stack[..stack.len() - 1]);
                                    return Err(Error::invalid_request(
                                        &path,
                                        "keyword list changed under conversion",
                                    ));
                                }
                            }
                        }
                        Err(_) => Step::Close(Value::Object(std::mem::take(map))),
                    }
                }
                Frame::Map { iter, map, key } => {
                    if let Some(v) = done.take() {
                        let k = std::mem::take(key);
                        map.insert(k, v);
                    }
                    match iter.next() {
                        Some((k, v)) => match map_key(k) {
                            Ok(k) if map.contains_key(&k) => {
                                let path = path_of(root, &stack[..stack.len() - 1]);
                                return Err(Error::invalid_request(
                                    &join_key(&path, &k),
                                    "the key appears twice (as an atom and as a string)",
                                ));
                            }
                            Ok(k) => {
                                // The key's quotes, colon and comma.
                                budget.bytes = budget.bytes.saturating_add(k.len() + 4);
                                *key = k;
                                Step::Visit(v)
                            }
                            Err(msg) => {
                                let path = path_of(root, &stack[..stack.len() - 1]);
                                return Err(Error::invalid_request(&path, msg));
                            }
                        },
                        None => Step::Close(Value::Object(std::mem::take(map))),
                    }
                }
            };
            match step {
                Step::Visit(t) => {
                    current = t;
                    break;
                }
                Step::Close(v) => {
                    stack.pop();
                    done = Some(v);
                }
            }
        }
    }
}

enum Fault {
    Budget(&'static str),
    Invalid(String),
}

fn scalar(term: Term, budget: &mut Budget, accept: Accept) -> Result<Value, Fault> {
    match term.get_type() {
        TermType::Atom => {
            let name = term
                .atom_to_string()
                .map_err(|_| Fault::Invalid("unreadable atom".into()))?;
            budget.add(string_size(&name)).map_err(Fault::Budget)?;
            Ok(match name.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "nil" => Value::Null,
                _ => Value::String(name),
            })
        }
        TermType::Binary => {
            let bin = Binary::from_term(term)
                .map_err(|_| Fault::Invalid("is a bitstring, not a binary".into()))?;
            let bytes = bin.as_slice();
            // Count before copying: a 50 MB binary is refused without being copied.
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    budget.add(string_size(s)).map_err(Fault::Budget)?;
                    Ok(Value::String(s.to_owned()))
                }
                Err(_) if !accept.raw_binaries => {
                    Err(Fault::Invalid("is a binary that is not valid UTF-8".into()))
                }
                Err(_) => {
                    // Raw bytes (images, documents) travel as the core's marker.
                    budget
                        .add(binary_size(bytes.len()))
                        .map_err(Fault::Budget)?;
                    let mut marker = Map::new();
                    marker.insert(
                        BINARY_MARKER.to_string(),
                        Value::String(BASE64.encode(bytes)),
                    );
                    Ok(Value::Object(marker))
                }
            }
        }
        TermType::Integer => {
            let n: Number = if let Ok(i) = term.decode::<i64>() {
                i.into()
            } else if let Ok(u) = term.decode::<u64>() {
                u.into()
            } else {
                return Err(Fault::Invalid(
                    "is an integer beyond 64 bits (JSON numbers here are 64-bit)".into(),
                ));
            };
            budget.add(n.to_string().len()).map_err(Fault::Budget)?;
            Ok(Value::Number(n))
        }
        TermType::Float => {
            let f: f64 = term
                .decode()
                .map_err(|_| Fault::Invalid("unreadable float".into()))?;
            budget.add(24).map_err(Fault::Budget)?;
            Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| Fault::Invalid("is a float that is not finite".into()))
        }
        other => Err(Fault::Invalid(format!(
            "expected a map, list, string, number, boolean, nil or atom, got {}",
            type_name(other)
        ))),
    }
}

fn type_name(t: TermType) -> &'static str {
    match t {
        TermType::Tuple => "a tuple",
        TermType::Pid => "a pid",
        TermType::Port => "a port",
        TermType::Ref => "a reference",
        TermType::Fun => "a function",
        _ => "an unsupported term",
    }
}

fn map_key(key: Term) -> Result<String, String> {
    match key.get_type() {
        TermType::Atom => key
            .atom_to_string()
            .map_err(|_| "unreadable atom key".to_string()),
        TermType::Binary => match Binary::from_term(key) {
            Ok(bin) => std::str::from_utf8(bin.as_slice())
                .map(str::to_owned)
                .map_err(|_| "has a map key that is not valid UTF-8".to_string()),
            Err(_) => Err("has a bitstring map key".to_string()),
        },
        other => Err(format!(
            "map keys must be atoms or strings, got {}",
            match other {
                TermType::Integer => "an integer",
                TermType::Float => "a float",
                TermType::List => "a list",
                TermType::Map => "a map",
                t => type_name(t),
            }
        )),
    }
}

/// Work of the JSON-to-term walk.
enum Build<'v> {
    Visit(&'v Value),
    /// Make a list of the last `n` built terms.
    List(usize),
    /// Make a map of the object's keys and the last `len` built terms.
    Map(&'v Map<String, Value>),
}

/// Converts a JSON value into an Elixir term. Objects become maps with string keys (no atoms
/// are created from data), `null` becomes `nil`. Walks with an explicit stack.
pub fn value_to_term<'a>(env: Env<'a>, value: &Value) -> Term<'a> {
    let mut work = vec![Build::Visit(value)];
    let mut built: Vec<Term<'a>> = Vec::new();
    while let Some(step) = work.pop() {
        match step {
            Build::Visit(v) => match v {
                Value::Null => built.push(rustler::types::atom::nil().encode(env)),
                Value::Bool(b) => built.push(b.encode(env)),
                Value::Number(n) => built.push(if let Some(i) = n.as_i64() {
                    i.encode(env)
                } else if let Some(u) = n.as_u64() {
                    u.encode(env)
                } else {
                    n.as_f64().unwrap_or(0.0).encode(env)
                }),
                Value::String(s) => built.push(binary_term(env, s.as_bytes())),
                Value::Array(items) => {
                    work.push(Build::List(items.len()));
                    work.extend(items.iter().rev().map(Build::Visit));
                }
                Value::Object(map) => {
                    work.push(Build::Map(map));
                    work.extend(map.values().rev().map(Build::Visit));
                }
            },
            Build::List(n) => {
                let items = built.split_off(built.len().saturating_sub(n));
                built.push(items.encode(env));
            }
            Build::Map(map) => {
                let values = built.split_off(built.len().saturating_sub(map.len()));
                let keys: Vec<Term> = map.keys().map(|k| binary_term(env, k.as_bytes())).collect();
                built.push(
                    Term::map_from_term_arrays(env, &keys, &values)
                        .unwrap_or_else(|_| rustler::types::map::map_new(env)),
                );
            }
        }
    }
    built
        .pop()
        .unwrap_or_else(|| rustler::types::atom::nil().encode(env))
}

/// Encodes bytes as an Elixir binary.
/// A binary term of `bytes`. `enif_make_new_binary` makes a heap binary up to 64 bytes (a
/// streamed delta or sentence): no off-heap allocation, reference count or later free, as
/// an `OwnedBinary` (`enif_alloc_binary`, always reference-counted) would cost for each.
pub fn binary_term<'a>(env: Env<'a>, bytes: &[u8]) -> Term<'a> {
    NewBinary::from_slice(env, bytes).into()
}
