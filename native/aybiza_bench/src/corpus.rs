//! A deterministic corpus of spoken-style answers (what a voice agent says), written once so
//! the Rust and Elixir segmenter benchmarks read the very same bytes.

const TEMPLATES: &[&str] = &[
    "Sure, I can help with that. ",
    "Your order {N} shipped on Jan. {D} and should arrive by 5 p.m. on Friday. ",
    "Dr. Patel will call you back at 10:30 a.m. tomorrow. ",
    "The total comes to ${N}.{D}, which includes a 2.5% fee. ",
    "Is there anything else I can help you with today? ",
    "Great! Let me check that for you. ",
    "Hmm, that account isn't showing up. Could you spell the email for me? ",
    "Here are your options. First, we can send a technician on Monday. Second, you can pick up a new router at our store on Main St. near the park. ",
    "Mr. and Mrs. Lopez are booked for {D} guests at 7:45 p.m. ",
    "I'm sorry about the wait! Our lines are busy this morning. ",
    "The U.S. office opens at 9 a.m. Eastern, and the support team answers until midnight. ",
    "Your balance is {N} dollars and {D} cents. The next payment is due on the first. ",
    "Okay. I've updated your address. You'll get a confirmation text in a minute. ",
    "Would you like me to transfer you to billing? ",
    "That plan costs $49.99 a month, and the first month is free. ",
];

/// Builds about `target` bytes of text from the templates (xorshift-chosen, so every run
/// gives the same corpus).
pub fn build(target: usize) -> String {
    let mut s = String::with_capacity(target + 256);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while s.len() < target {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = TEMPLATES[(x % TEMPLATES.len() as u64) as usize];
        s.push_str(
            &t.replace("{N}", &((x >> 8) % 1000).to_string())
                .replace("{D}", &((x >> 20) % 28 + 1).to_string()),
        );
    }
    s
}

pub fn write(path: &str, bytes: usize) -> Result<(), String> {
    let text = build(bytes);
    std::fs::write(path, &text).map_err(|e| format!("{path}: {e}"))?;
    eprintln!("corpus: {} bytes -> {path}", text.len());
    Ok(())
}
