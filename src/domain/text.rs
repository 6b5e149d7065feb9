//! Text that people will read back: invisible Unicode format characters removed.
//!
//! Bidirectional controls (U+202A–U+202E, U+2066–U+2069) make `inv\u{202e}fdp.exe` display as
//! "invexe.pdf"; zero-width characters make two names that look the same differ. Neither has
//! a place in a file name, a unit's name or a label, so they are dropped wherever such text
//! comes in.

use std::borrow::Cow;

/// A file size as people read it: `512 B`, `34 KB`, `1.2 MB` (binary multiples, one decimal
/// below 10 MB).
pub fn human_size(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes.max(0) as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", (b / KB).max(1.0))
    } else if b < 10.0 * KB * KB {
        format!("{:.1} MB", b / (KB * KB))
    } else {
        format!("{:.0} MB", b / (KB * KB))
    }
}

/// Unicode's format characters (general category Cf) that occur in practice, and the
/// deprecated format controls around them.
pub fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{0600}'..='\u{0605}'
        | '\u{061C}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}')
}

/// `s` without its format characters; borrowed when there are none.
pub fn strip_format(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_format_char) {
        Cow::Owned(s.chars().filter(|c| !is_format_char(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_kb_and_mb() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1000), "1000 B");
        assert_eq!(human_size(1024), "1 KB");
        assert_eq!(human_size(350_000), "342 KB");
        assert_eq!(human_size(1_300_000), "1.2 MB");
        assert_eq!(human_size(20 * 1024 * 1024), "20 MB");
    }

    #[test]
    fn bidi_and_zero_width_characters_go_and_chinese_stays() {
        assert_eq!(strip_format("inv\u{202e}fdp.exe"), "invfdp.exe");
        assert_eq!(strip_format("地区\u{200b}财政局\u{2066}"), "地区财政局");
        assert!(matches!(
            strip_format("塔城地区人社局（就业局）"),
            Cow::Borrowed(_)
        ));
    }
}
