//! Text pipeline NIFs: the streaming segmenter as a resource, sentence splitting, speech
//! normalization and the query heuristics. Options arrive as maps with atom or string keys
//! (snake_case or camelCase); the Elixir facade validates them first.
//!
//! `segmenter_push` / `segmenter_finish` handle a small delta (microseconds) on the normal
//! scheduler and answer `:dirty` for large work, which the facade sends to their dirty twins;
//! whole-text calls may get large inputs and run on a dirty CPU scheduler.

use std::sync::Mutex;

use aybiza_core::text::complexity::{self, QueryContext};
use aybiza_core::text::cost::end_marks_and_breaks;
use aybiza_core::text::segmenter::{
    append_delta, split_sentences as split, Segmenter, SegmenterOptions,
};
use aybiza_core::text::speech::{self, SpeechOptions};
use rustler::sys::{self as nif, c_void, ErlNifEnv, ErlNifResourceFlags, ErlNifResourceType};
use rustler::{Binary, Encoder, Env, Error, NifResult, Term};
use serde_json::Value;
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::term_value::term_to_value;

/// A segmenter owned by one Elixir process (or shared: the mutex serializes pushes).
pub struct SegmenterResource {
    inner: Mutex<Held>,
}

/// What the resource's lock guards.
struct Held {
    segmenter: Segmenter,
    /// Work done on normal schedulers not yet reported to the VM (see [`report_work`]):
    /// counted under the lock a push holds anyway, so a call pays no atomic for it.
    work: u32,
    /// End marks pushed since the segmenter last released a piece, while more than a few
    /// bytes stayed held (see [`on_normal_scheduler`]): text the segmenter appended without
    /// scanning it is scanned at once by a later call, marks and all.
    marks: usize,
}

/// Work units (a byte pushed = 1, a call = [`CALL_UNITS`]) that count as 1% of a process's
/// time slice (~1 ms): about 10 µs of segmenting.
const UNITS_PER_PERCENT: u32 = 1_500;
/// A call's own cost in work units (decoding, the lock, the result term).
const CALL_UNITS: u32 = 64;

/// Tells the VM how much of the calling process's time slice a normal-scheduler call used
/// (`enif_consume_timeslice`), in whole percents, carrying the rest to the next call. A NIF
/// call otherwise counts as one reduction, so a process pushing deltas in a loop kept its
/// scheduler for thousands of calls (2 ms and more) before another process got a turn.
fn report_work(env: Env, work: &mut u32, bytes: usize) {
    let units = u32::try_from(bytes)
        .unwrap_or(u32::MAX)
        .saturating_add(CALL_UNITS);
    let mut total = work.saturating_add(units);
    if total >= UNITS_PER_PERCENT {
        let percent = (total / UNITS_PER_PERCENT).min(100);
        total -= percent * UNITS_PER_PERCENT;
        rustler::schedule::consume_timeslice(env, percent as i32);
    }
    *work = total;
}

// The segmenter's resource type is opened here rather than with `#[rustler::resource_impl]`:
// rustler 0.39 finds a resource's type in a `HashMap<TypeId, _>` (SipHash, ~120 instructions
// under callgrind) on every decode, more than pushing a small delta costs; this pointer is
// read with one load.
static SEGMENTER_TYPE: AtomicPtr<ErlNifResourceType> = AtomicPtr::new(std::ptr::null_mut());

/// The resource memory of `enif_alloc_resource` aligned for `SegmenterResource` (ERTS
/// guarantees 8 bytes; `segmenter_new` allocates `align - 1` more).
fn aligned(obj: *const c_void) -> *mut SegmenterResource {
    let align = std::mem::align_of::<SegmenterResource>();
    ((obj as usize + align - 1) & !(align - 1)) as *mut SegmenterResource
}

unsafe extern "C" fn drop_segmenter(_env: *mut ErlNifEnv, obj: *mut c_void) {
    // SAFETY: ERTS calls this once, when the last reference is gone, on memory that
    // `segmenter_new` initialized.
    unsafe { std::ptr::drop_in_place(aligned(obj)) }
}

/// Opens the segmenter's resource type; called from the NIF library's `load`.
pub fn open_segmenter_type(env: Env) -> bool {
    let mut tried = ErlNifResourceFlags::ERL_NIF_RT_CREATE;
    // SAFETY: called from `load` with its environment; the names are NUL-terminated.
    let ty = unsafe {
        nif::enif_open_resource_type(
            env.as_c_arg(),
            std::ptr::null(),
            c"AybizaSegmenter".as_ptr(),
            Some(drop_segmenter),
            ErlNifResourceFlags::ERL_NIF_RT_CREATE,
            &mut tried,
        )
    };
    SEGMENTER_TYPE.store(ty.cast_mut(), Ordering::Release);
    !ty.is_null()
}

/// The segmenter of a resource term, or `badarg`. Borrowed for the call: the term keeps the
/// resource alive.
fn segmenter_of<'a>(term: Term<'a>) -> NifResult<&'a SegmenterResource> {
    let ty = SEGMENTER_TYPE.load(Ordering::Acquire);
    if ty.is_null() {
        return Err(Error::BadArg);
    }
    let mut obj: *const c_void = std::ptr::null();
    // SAFETY: `term` belongs to the calling environment; `ty` is the type opened in `load`.
    let found =
        unsafe { nif::enif_get_resource(term.get_env().as_c_arg(), term.as_c_arg(), ty, &mut obj) };
    if found == 0 {
        return Err(Error::BadArg);
    }
    // SAFETY: a resource of this type was initialized by `segmenter_new` and lives while the
    // term does.
    Ok(unsafe { &*aligned(obj) })
}

/// Reads `key` (snake_case) or its camelCase form from a decoded options map.
fn field<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = map.as_object()?;
    if let Some(v) = obj.get(key) {
        return Some(v);
    }
    let mut camel = String::with_capacity(key.len());
    let mut up = false;
    for c in key.chars() {
        if c == '_' {
            up = true;
        } else if up {
            camel.extend(c.to_uppercase());
            up = false;
        } else {
            camel.push(c);
        }
    }
    obj.get(&camel)
}

fn bad(msg: &str) -> Error {
    Error::RaiseTerm(Box::new(format!("invalid text option: {msg}")))
}

fn opt_bool(map: &Value, key: &str, default: bool) -> NifResult<bool> {
    match field(map, key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(key)),
    }
}

/// Largest value of a length option (characters): larger is a caller's mistake, not a policy.
pub const MAX_LENGTH_OPTION: u64 = 1_000_000;

fn opt_usize(map: &Value, key: &str) -> NifResult<Option<usize>> {
    match field(map, key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|&n| n <= MAX_LENGTH_OPTION)
            .map(|n| Some(n as usize))
            .ok_or_else(|| bad(key)),
    }
}

fn decode_map(term: Term) -> NifResult<Value> {
    let v = term_to_value(term).map_err(|e| bad(&e))?;
    match v {
        Value::Object(_) => Ok(v),
        Value::Null => Ok(Value::Object(Default::default())),
        Value::Array(a) if a.is_empty() => Ok(Value::Object(Default::default())),
        _ => Err(bad("expected a map")),
    }
}

fn segmenter_options(term: Term) -> NifResult<SegmenterOptions> {
    segmenter_options_from(&decode_map(term)?)
}

/// Segmenter options from a decoded map (also used by the streaming engine's NIF).
pub fn segmenter_options_from(m: &Value) -> NifResult<SegmenterOptions> {
    let d = SegmenterOptions::default();
    Ok(SegmenterOptions {
        min_chars: opt_usize(m, "min_chars")?.unwrap_or(d.min_chars),
        merge_short: opt_bool(m, "merge_short", d.merge_short)?,
        max_chars: opt_usize(m, "max_chars")?.unwrap_or(d.max_chars),
        first_chunk_min_chars: opt_usize(m, "first_chunk_min_chars")?,
        skip_code_blocks: opt_bool(m, "skip_code_blocks", d.skip_code_blocks)?,
        newline_boundaries: opt_bool(m, "newline_boundaries", d.newline_boundaries)?,
        // `false`/absent: pieces as written; `true`: default speech options; a map: those.
        speech: match field(m, "speech") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(SpeechOptions::default()),
            Some(v @ Value::Object(_)) => Some(speech_options_from(v)?),
            Some(_) => return Err(bad("speech")),
        },
    })
}

fn speech_options(term: Term) -> NifResult<SpeechOptions> {
    speech_options_from(&decode_map(term)?)
}

fn speech_options_from(m: &Value) -> NifResult<SpeechOptions> {
    let d = SpeechOptions::default();
    let acronyms = match field(m, "acronyms") {
        None | Some(Value::Null) => d.acronyms,
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(bad("acronyms")),
            })
            .collect::<NifResult<Vec<_>>>()?,
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                // A bare word is spelled letter by letter.
                Value::String(s) => Ok((s.clone(), speech::spell(s))),
                _ => Err(bad("acronyms")),
            })
            .collect::<NifResult<Vec<_>>>()?,
        Some(_) => return Err(bad("acronyms")),
    };
    Ok(SpeechOptions {
        acronyms,
        strip_markdown: opt_bool(m, "strip_markdown", d.strip_markdown)?,
        drop_code_blocks: opt_bool(m, "drop_code_blocks", d.drop_code_blocks)?,
        drop_emoji: opt_bool(m, "drop_emoji", d.drop_emoji)?,
        acronym_index: Default::default(),
    })
}

fn query_context(term: Term) -> NifResult<QueryContext> {
    let m = decode_map(term)?;
    let history = match field(&m, "conversation_history") {
        Some(Value::Array(a)) => a.len(),
        _ => opt_usize(&m, "conversation_history_len")?.unwrap_or(0),
    };
    let truthy = |k: &str| match field(&m, k) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(_) => true,
    };
    Ok(QueryContext {
        conversation_history_len: history,
        requires_tools: truthy("requires_tools"),
        multi_turn: truthy("multi_turn"),
        agent_type: field(&m, "agent_type")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

fn text_of(bin: &Binary) -> String {
    String::from_utf8_lossy(bin.as_slice()).into_owned()
}

// Dirty: the first segmenter of the process parses the language tables (a few ms).
#[rustler::nif(schedule = "DirtyCpu")]
fn segmenter_new<'a>(env: Env<'a>, options: Term<'a>) -> NifResult<Term<'a>> {
    let opts = segmenter_options(options)?;
    let ty = SEGMENTER_TYPE.load(Ordering::Acquire);
    if ty.is_null() {
        return Err(Error::BadArg);
    }
    let size =
        std::mem::size_of::<SegmenterResource>() + std::mem::align_of::<SegmenterResource>() - 1;
    // Built before the allocation, so nothing is left half made if this panics.
    let segmenter = Segmenter::new(opts);
    // Here on the dirty scheduler, not at the first push on a normal one.
    if let Some(speech) = &segmenter.options().speech {
        speech.prepare();
    }
    let resource = SegmenterResource {
        inner: Mutex::new(Held {
            segmenter,
            work: 0,
            marks: 0,
        }),
    };
    // SAFETY: `ty` is the type opened in `load`; the allocation has room for the aligned
    // struct, which is written before the term is made, and the term keeps the resource
    // alive after our reference is released.
    unsafe {
        let obj = nif::enif_alloc_resource(ty, size);
        if obj.is_null() {
            return Err(Error::RaiseAtom("enomem"));
        }
        aligned(obj).write(resource);
        let term = nif::enif_make_resource(env.as_c_arg(), obj);
        nif::enif_release_resource(obj);
        Ok(Term::new(env, term))
    }
}

/// Bytes a call on a normal scheduler may scan: the segmenter scans 100-200 MB/s, so this
/// stays well under the ~1 ms a NIF may hold a scheduler. Larger work goes to a dirty CPU
/// scheduler.
const NORMAL_SCHEDULER_BYTES: usize = 16 * 1024;

/// End marks (`.`, `!`, `?`) a call on a normal scheduler may decide. A period costs the
/// segmenter up to a few microseconds when the word before it is long (`U.S.U.S.U.S...`:
/// every period looks back over a 256-byte token), so 16 KiB of them took about 10 ms in a
/// release build; a period followed by a lower-case word costs more (`ab. ab. ...`: the
/// language check reads the 512 bytes before each one, ~75k instructions), so 1 KiB of them
/// (256 periods, under the earlier bound of 256) held a normal scheduler for 1.2 ms (release,
/// min of 20, loaded machine; 64 of them: 0.3 ms). `!` and `?` glued to a word (`ab!a`) cost
/// ~4k instructions each: 16 KiB of them took 0.8 ms.
const NORMAL_SCHEDULER_PERIODS: usize = 64;

/// Line breaks a call on a normal scheduler may cut at. Each is a piece of its own with
/// `newline_boundaries` (the default): a `String` and a term per piece, 0.1-0.2 µs each, so
/// 16 KB of `a\n` (8,000 pieces) held a normal scheduler for 1-2 ms (release build, loaded
/// machine). The lead bytes of non-ASCII characters count too: the end marks of other scripts
/// (`。`, `！`, `？`, `।`, `։`, ...) cut a piece each whatever follows (16 KiB of `x。`: 4,096
/// pieces, as many instructions as 5,462 line breaks).
const NORMAL_SCHEDULER_BREAKS: usize = 2048;

/// Whether a push whose text has `counts` (end marks, possible breaks:
/// [`end_marks_and_breaks`]) holds more than a normal-scheduler call may decide.
fn too_many(counts: (usize, usize)) -> bool {
    counts.0 > NORMAL_SCHEDULER_PERIODS || counts.1 > NORMAL_SCHEDULER_BREAKS
}

mod atoms {
    rustler::atoms! { dirty }
}

/// Runs `f` on the segmenter if the lock is free and the work is small: else `None` (the
/// caller retries on a dirty scheduler, where waiting for the lock or a long scan is allowed).
/// `bytes` is the text `f` pushes, `new_marks` its end marks.
fn on_normal_scheduler<T>(
    segmenter: &SegmenterResource,
    bytes: &[u8],
    new_marks: usize,
    f: impl FnOnce(&mut Held) -> T,
) -> Option<T> {
    let mut s = match segmenter.inner.try_lock() {
        Ok(s) => s,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return None,
    };
    // Held text may be scanned again (a long sentence in sentence mode): count it.
    if s.segmenter.pending_len().saturating_add(bytes.len()) > NORMAL_SCHEDULER_BYTES {
        return None;
    }
    // Deltas the segmenter appends without scanning (`ab!a`, `3.5`, `e.g`: no sentence can
    // end there yet) are scanned together by a later call: 4,096 such deltas of `ab!a`, then
    // a line break, held a normal scheduler ~1 ms (16 M instructions) in that last call. The
    // marks pushed while text stays held count against the bound, as if pushed at once.
    let before = s.segmenter.pending_len();
    let marks = held_marks(&s) + new_marks;
    if marks > NORMAL_SCHEDULER_PERIODS {
        return None;
    }
    let out = f(&mut s);
    s.marks = marks_after(&s, before, bytes.len(), marks);
    Some(out)
}

/// [`Held::marks`] after a call that pushed `pushed` bytes onto `before` held ones: none once
/// little text is held, or once the held text grew by less than the push (a piece went out,
/// so the segmenter scanned all it held); else `marks`.
fn marks_after(held: &Held, before: usize, pushed: usize, marks: usize) -> usize {
    let after = held.segmenter.pending_len();
    if after <= NORMAL_SCHEDULER_PERIODS || after < before.saturating_add(pushed) {
        0
    } else {
        marks
    }
}

/// The marks of [`Held::marks`] that still count: none once little text is held.
fn held_marks(held: &Held) -> usize {
    if held.segmenter.pending_len() <= NORMAL_SCHEDULER_PERIODS {
        0
    } else {
        held.marks
    }
}

/// Pushes `bytes` under the lock of a normal-scheduler call and reports the work.
fn push_reported(env: Env, held: &mut Held, bytes: &[u8]) -> Vec<String> {
    let sentences = held.segmenter.push_bytes(bytes);
    report_work(env, &mut held.work, bytes.len());
    sentences
}

/// Runs `f`, which pushes `bytes`, on the segmenter (a dirty scheduler: waits for the lock),
/// keeping the count of held marks as [`on_normal_scheduler`] does.
fn locked<T>(
    segmenter: &SegmenterResource,
    bytes: &[u8],
    f: impl FnOnce(&mut Segmenter) -> T,
) -> T {
    let mut s = segmenter.inner.lock().unwrap_or_else(|p| p.into_inner());
    let (before, marks) = (s.segmenter.pending_len(), held_marks(&s));
    let out = f(&mut s.segmenter);
    s.marks = marks_after(
        &s,
        before,
        bytes.len(),
        marks.saturating_add(end_marks_and_breaks(bytes).0),
    );
    out
}

/// Pushes raw bytes (a delta may end inside a UTF-8 character) on the normal scheduler, or
/// returns `:dirty` without doing anything when the delta plus the held text is large, the
/// delta holds many periods or another process holds the segmenter: the facade then calls
/// `segmenter_push_dirty`.
/// The resource is found with one `enif_get_resource` ([`segmenter_of`]) and borrowed from the
/// argument term (alive for the call) rather than taken as a `ResourceArc`, which would pay a
/// keep and a release (two atomics) on every delta.
#[rustler::nif]
fn segmenter_push<'a>(env: Env<'a>, segmenter: Term<'a>, delta: Binary<'a>) -> NifResult<Term<'a>> {
    let segmenter = segmenter_of(segmenter)?;
    let bytes = delta.as_slice();
    let counts = end_marks_and_breaks(&bytes[..bytes.len().min(NORMAL_SCHEDULER_BYTES + 1)]);
    if too_many(counts) {
        return Ok(atoms::dirty().encode(env));
    }
    Ok(
        match on_normal_scheduler(segmenter, bytes, counts.0, |h| push_reported(env, h, bytes)) {
            Some(sentences) => sentences.encode(env),
            None => atoms::dirty().encode(env),
        },
    )
}

#[rustler::nif(schedule = "DirtyCpu")]
fn segmenter_push_dirty(segmenter: Term, delta: Binary) -> NifResult<Vec<String>> {
    Ok(locked(segmenter_of(segmenter)?, delta.as_slice(), |s| {
        s.push_bytes(delta.as_slice())
    }))
}

/// Largest batch `segmenter_push_many` takes on a normal scheduler (with the byte bound).
const NORMAL_SCHEDULER_DELTAS: usize = 4096;

/// Joins a proper list of binaries into `out` (cleared first), or `badarg` (improper list,
/// other element); `Ok(false)` as soon as the list has more than `max_deltas` cells or the
/// bytes pass `max_bytes`, before copying the delta that passes it (the caller then goes to a
/// dirty scheduler, which joins again without bounds). The list is walked before the
/// segmenter is touched, so a bad element leaves it untouched.
fn join_deltas(
    deltas: Term,
    max_deltas: usize,
    max_bytes: usize,
    out: &mut Vec<u8>,
) -> NifResult<bool> {
    out.clear();
    let mut rest = deltas;
    let mut count = 0usize;
    while let Ok((head, tail)) = rest.list_get_cell() {
        count += 1;
        if count > max_deltas {
            return Ok(false);
        }
        let bin: Binary = head.decode()?;
        if out.len().saturating_add(bin.len()) > max_bytes {
            return Ok(false);
        }
        append_delta(out, bin.as_slice());
        rest = tail;
    }
    // An improper tail (or not a list at all).
    if !rest.is_empty_list() {
        return Err(Error::BadArg);
    }
    Ok(true)
}

/// The largest join buffer a scheduler thread keeps between calls (the normal-scheduler bound).
const JOIN_KEEP: usize = NORMAL_SCHEDULER_BYTES;

thread_local! {
    /// The join buffer of `segmenter_push_many` on this scheduler thread, reused so that a
    /// batch costs no allocation (at most `JOIN_KEEP` bytes are kept).
    static JOIN_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Pushes a list of deltas in order with one call: the same sentences as one
/// `segmenter_push` per delta, concatenated, without a NIF call per delta. The deltas are
/// joined and pushed as one: the segmenter releases the same sentences however the text is
/// cut, and all of them return together, so one scan of the joined bytes gives exactly the
/// concatenation (and skips the per-delta work). `:dirty` as `segmenter_push` does when the
/// batch is large (bytes or count) or the segmenter busy.
#[rustler::nif]
fn segmenter_push_many<'a>(
    env: Env<'a>,
    segmenter: Term<'a>,
    deltas: Term<'a>,
) -> NifResult<Term<'a>> {
    let segmenter = segmenter_of(segmenter)?;
    JOIN_BUFFER.with(|buffer| {
        // A reentrant call cannot happen on one scheduler thread; a fresh buffer if it did.
        let mut own = Vec::new();
        let mut borrowed = buffer.try_borrow_mut();
        let bytes = match borrowed.as_deref_mut() {
            Ok(b) => b,
            Err(_) => &mut own,
        };
        // At most one cell past the count bound and one delta past the byte bound are
        // looked at: walking (and decoding) a list of a million deltas here would hold the
        // scheduler.
        let small = join_deltas(
            deltas,
            NORMAL_SCHEDULER_DELTAS,
            NORMAL_SCHEDULER_BYTES,
            bytes,
        )?;
        // Many periods cost far more than their bytes (each looks back over its token).
        let counts = if small {
            end_marks_and_breaks(bytes)
        } else {
            (0, 0)
        };
        let result = if !small || too_many(counts) {
            atoms::dirty().encode(env)
        } else {
            match on_normal_scheduler(segmenter, bytes, counts.0, |h| push_reported(env, h, bytes))
            {
                Some(sentences) => sentences.encode(env),
                None => atoms::dirty().encode(env),
            }
        };
        if bytes.capacity() > JOIN_KEEP {
            *bytes = Vec::new();
        }
        Ok(result)
    })
}

#[rustler::nif(schedule = "DirtyCpu")]
fn segmenter_push_many_dirty(segmenter: Term, deltas: Term) -> NifResult<Vec<String>> {
    let segmenter = segmenter_of(segmenter)?;
    let mut bytes = Vec::new();
    join_deltas(deltas, usize::MAX, usize::MAX, &mut bytes)?;
    Ok(locked(segmenter, &bytes, |s| s.push_bytes(&bytes)))
}

/// Ends the stream on the normal scheduler, or `:dirty` (see `segmenter_push`).
#[rustler::nif]
fn segmenter_finish<'a>(env: Env<'a>, segmenter: Term<'a>) -> NifResult<Term<'a>> {
    Ok(
        match on_normal_scheduler(segmenter_of(segmenter)?, b"", 0, |h| h.segmenter.finish()) {
            Some(sentences) => sentences.encode(env),
            None => atoms::dirty().encode(env),
        },
    )
}

#[rustler::nif(schedule = "DirtyCpu")]
fn segmenter_finish_dirty(segmenter: Term) -> NifResult<Vec<String>> {
    Ok(locked(segmenter_of(segmenter)?, b"", Segmenter::finish))
}

#[rustler::nif(schedule = "DirtyCpu")]
fn split_sentences(text: Binary, options: Term) -> NifResult<Vec<String>> {
    let opts = segmenter_options(options)?;
    Ok(split(&text_of(&text), &opts))
}

#[rustler::nif(schedule = "DirtyCpu")]
fn optimize_text_for_speech(text: Binary, options: Term) -> NifResult<String> {
    let opts = speech_options(options)?;
    Ok(speech::optimize_text_for_speech(&text_of(&text), &opts))
}

#[rustler::nif(schedule = "DirtyCpu")]
fn assess_query_complexity(query: Binary, context: Term) -> NifResult<f64> {
    let ctx = query_context(context)?;
    Ok(complexity::assess_query_complexity(&text_of(&query), &ctx))
}

#[rustler::nif(schedule = "DirtyCpu")]
fn detect_tool_intent(query: Binary) -> bool {
    complexity::detect_tool_intent(&text_of(&query))
}

#[rustler::nif(schedule = "DirtyCpu")]
fn should_use_extended_thinking(query: Binary, context: Term) -> NifResult<bool> {
    let ctx = query_context(context)?;
    Ok(complexity::should_use_extended_thinking(
        &text_of(&query),
        &ctx,
    ))
}

#[rustler::nif(schedule = "DirtyCpu")]
fn determine_response_length(query: Binary, context: Term) -> NifResult<u32> {
    let ctx = query_context(context)?;
    Ok(complexity::determine_response_length(
        &text_of(&query),
        &ctx,
    ))
}
