//! Red-team probe of the segmenter's 8-byte delta load (`read_word`, which may read past the
//! end of a delta but never across a 4 KiB page): deltas placed so that they end exactly at
//! the end of a readable page followed by a `PROT_NONE` guard page. An over-read across the
//! page would fault (SIGSEGV kills the test binary, so the test cannot pass by accident).
//! Linux only (raw `mmap`/`mprotect`; no libc crate in this package).

#![cfg(target_os = "linux")]

use aybiza_core::text::segmenter::append_delta;
use aybiza_core::text::{Segmenter, SegmenterOptions};

const PROT_NONE: i32 = 0;
const PROT_READ: i32 = 1;
const PROT_WRITE: i32 = 2;
const MAP_PRIVATE: i32 = 0x02;
const MAP_ANONYMOUS: i32 = 0x20;
const SC_PAGESIZE: i32 = 30;

extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn mprotect(addr: *mut u8, len: usize, prot: i32) -> i32;
    fn munmap(addr: *mut u8, len: usize) -> i32;
    fn sysconf(name: i32) -> i64;
}

/// One readable page followed by a guard page that faults on any access.
struct Guarded {
    base: *mut u8,
    page: usize,
}

impl Guarded {
    fn new() -> Self {
        // SAFETY: plain anonymous mapping of two pages; the second is made inaccessible.
        unsafe {
            let page = sysconf(SC_PAGESIZE) as usize;
            assert!(page >= 4096);
            let base = mmap(
                std::ptr::null_mut(),
                2 * page,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base as isize, -1, "mmap failed");
            assert_eq!(mprotect(base.add(page), page, PROT_NONE), 0);
            Guarded { base, page }
        }
    }

    /// `bytes` copied to the very end of the readable page, as a slice that ends where the
    /// guard page begins.
    fn at_end(&mut self, bytes: &[u8]) -> &[u8] {
        assert!(bytes.len() <= self.page);
        // SAFETY: the range lies inside the readable, writable first page.
        unsafe {
            let start = self.base.add(self.page - bytes.len());
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), start, bytes.len());
            std::slice::from_raw_parts(start, bytes.len())
        }
    }

    /// `bytes` copied at `offset` from the start of the readable page.
    fn at(&mut self, offset: usize, bytes: &[u8]) -> &[u8] {
        assert!(offset + bytes.len() <= self.page);
        // SAFETY: as in `at_end`.
        unsafe {
            let start = self.base.add(offset);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), start, bytes.len());
            std::slice::from_raw_parts(start, bytes.len())
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`.
        unsafe {
            munmap(self.base, 2 * self.page);
        }
    }
}

/// Deltas of the shapes the fast paths take (ASCII tokens of 1 to 8 bytes, end marks,
/// spaces, digits, list markers, line breaks, non-ASCII and cut UTF-8), and longer ones.
fn deltas() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let pieces: [&[u8]; 16] = [
        b"Hello",
        b" world",
        b".",
        b" ",
        b"e.g",
        b"3.5",
        b"1)",
        b"\n",
        b"?!",
        b"`",
        b"caf\xc3\xa9",
        b"\xc3",
        b"\xa9 ok.",
        b"\xf0\x9f\x98",
        b"\x80",
        b"~\x00\x7f",
    ];
    for p in pieces {
        out.push(p.to_vec());
    }
    for n in 1..=24 {
        out.push((0..n).map(|i| b"Ab c.d e!f?g 1)\n"[i % 16]).collect());
        out.push(vec![b'x'; n]);
    }
    out
}

#[test]
fn append_delta_at_a_page_end_reads_no_byte_past_it() {
    let mut g = Guarded::new();
    for delta in deltas() {
        let slice = g.at_end(&delta);
        let mut out = b"ab".to_vec();
        append_delta(&mut out, slice);
        assert_eq!(&out[2..], &delta[..]);
    }
    // Empty slices at the page end and at the page start.
    let mut out = Vec::new();
    append_delta(&mut out, g.at_end(b""));
    append_delta(&mut out, g.at(0, b""));
    assert!(out.is_empty());
}

/// Every delta placed at every one of the last 16 offsets before the guard page (so that
/// the 8 bytes from its start cross into the guard page in all the ways they can), fed to a
/// segmenter alongside one fed the same deltas from an ordinary vector: same sentences.
#[test]
fn segmenter_deltas_at_a_page_end_read_no_byte_past_it() {
    let mut g = Guarded::new();
    let all = deltas();
    let opts = || SegmenterOptions::default();
    for shift in 0..16 {
        let mut a = Segmenter::new(opts());
        let mut b = Segmenter::new(opts());
        let (mut got, mut want) = (Vec::new(), Vec::new());
        for delta in &all {
            // The delta ends `shift` bytes before the guard page.
            let offset = g.page - shift - delta.len().min(g.page - shift);
            let slice = g.at(offset, delta);
            got.extend(a.push_bytes(slice));
            want.extend(b.push_bytes(&delta.clone()));
        }
        got.extend(a.finish());
        want.extend(b.finish());
        assert_eq!(got, want, "shift {shift}");
        assert!(!got.is_empty());
    }
}

/// The same through `push` (`&str` deltas) for the ASCII deltas, whose bytes reach the same
/// 8-byte path.
#[test]
fn segmenter_str_deltas_at_a_page_end() {
    let mut g = Guarded::new();
    let mut a = Segmenter::new(SegmenterOptions::default());
    let mut got = Vec::new();
    for n in 1..=8 {
        for word in ["Hi.", " Yes", "ok", " 2) x", "\n", "Dr.", " Smith!"] {
            let text: String = word.chars().cycle().take(n).collect();
            let slice = g.at_end(text.as_bytes());
            let s = std::str::from_utf8(slice).unwrap();
            got.extend(a.push(s));
        }
    }
    got.extend(a.finish());
    assert!(!got.is_empty());
}

/// Deltas in heap blocks of exactly their size (`Box<[u8]>`), the shape memcheck sees when
/// the segmenter runs under valgrind: the 8-byte load reads past the block's end (in the same
/// page) and only the delta's bytes are used (same sentences as the byte-exact reference).
#[test]
fn heap_deltas_of_exact_size() {
    let text = "Hello there. It is 3.5 p.m. now! Is it? Yes.\nNext line 1) a, b; c: d - e. ";
    let mut fast = Segmenter::new(SegmenterOptions::default());
    let mut got = Vec::new();
    let mut joined = Vec::new();
    let mut at = 0;
    let mut n = 1;
    while at < text.len() {
        let end = (at + n).min(text.len());
        // The delta is the tail of a block of `pad + n` bytes: it ends at the block's end
        // and starts at every alignment.
        let pad = at % 8;
        let mut block = vec![b'#'; pad];
        block.extend_from_slice(&text.as_bytes()[at..end]);
        let boxed: Box<[u8]> = block.into_boxed_slice();
        got.extend(fast.push_bytes(&boxed[pad..]));
        append_delta(&mut joined, &boxed[pad..]);
        at = end;
        n = n % 8 + 1;
    }
    got.extend(fast.finish());
    assert_eq!(joined, text.as_bytes());
    let mut whole = Segmenter::new(SegmenterOptions::default());
    let mut want = whole.push(text);
    want.extend(whole.finish());
    assert_eq!(got, want);
}

/// The NIF's cost count (`cost::end_marks_and_breaks`) reads a text's last 1 to 7 bytes with
/// the same 8-byte load: every length placed at every one of the last 16 offsets before the
/// guard page counts what a byte-wise count gives.
#[test]
fn cost_counts_at_a_page_end_read_no_byte_past_it() {
    use aybiza_core::text::cost::end_marks_and_breaks;
    let mut g = Guarded::new();
    let pattern = b"a.b!c?\n\xc3\xa9d\xe2\x80\xa6 e.";
    for n in 0..=24 {
        let text: Vec<u8> = (0..n).map(|i| pattern[i % pattern.len()]).collect();
        let marks = text.iter().filter(|b| b".!?".contains(b)).count();
        let breaks = text.iter().filter(|&&b| b == b'\n' || b >= 0xc0).count();
        for shift in 0..16 {
            let offset = g.page - shift - n;
            let slice = g.at(offset, &text);
            assert_eq!(
                end_marks_and_breaks(slice),
                (marks, breaks),
                "{n} bytes, {shift} before the guard page"
            );
        }
    }
}

/// With a length limit the deferral stops at `defer_end` rather than at the capacity: the
/// same page-end deltas through that path (and through deltas that cut at the limit).
#[test]
fn segmenter_deltas_at_a_page_end_with_a_length_limit() {
    let mut g = Guarded::new();
    let all = deltas();
    for max_chars in [1, 7, 40] {
        let opts = || SegmenterOptions {
            max_chars,
            ..SegmenterOptions::default()
        };
        for shift in 0..9 {
            let mut a = Segmenter::new(opts());
            let mut b = Segmenter::new(opts());
            let (mut got, mut want) = (Vec::new(), Vec::new());
            for delta in all.iter().chain(all.iter().rev()) {
                let offset = g.page - shift - delta.len().min(g.page - shift);
                let slice = g.at(offset, delta);
                got.extend(a.push_bytes(slice));
                want.extend(b.push_bytes(&delta.clone()));
            }
            got.extend(a.finish());
            want.extend(b.finish());
            assert_eq!(got, want, "max_chars {max_chars}, shift {shift}");
        }
    }
}
