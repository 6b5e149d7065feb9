//! Small text helpers shared by the importer: punctuation folding, Chinese numerals, dates and
//! parenthesis-aware splitting. Chinese plans mix ASCII and full-width punctuation freely, so
//! every comparison goes through [`fold_punct`].

use chrono::NaiveDate;

/// Maps full-width punctuation to its ASCII twin and drops spaces, so that `（牵头单位：A）`
/// and `(牵头单位:A)` read the same. The enumeration comma `、` is kept: it has no ASCII twin.
pub fn fold_punct(s: &str) -> String {
    s.chars()
        .filter(|c| !is_space(*c))
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            '；' => ';',
            '，' => ',',
            '．' => '.',
            _ => c,
        })
        .collect()
}

/// Spaces of every width that published text carries (ideographic space, no-break space).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}' || c == '\u{feff}'
}

/// Trims ASCII and full-width spaces from both ends.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

pub fn is_open(c: char) -> bool {
    c == '(' || c == '（'
}

pub fn is_close(c: char) -> bool {
    c == ')' || c == '）'
}

/// The value of a Chinese numeral up to 99 (一 … 九十九), or of ASCII digits.
pub fn numeral(s: &str) -> Option<u32> {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '〇' | '○' | '零' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [] => None,
        ['十'] => Some(10),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        [u] => digit(*u).filter(|d| *d > 0),
        _ => None,
    }
}

/// Writes 1–99 as a Chinese numeral (十二, 二十九), as section and measure labels use them.
pub fn chinese_numeral(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n as usize].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
        _ => n.to_string(),
    }
}

/// Reads a year written digit by digit (2018, 二〇一八).
fn year(s: &str) -> Option<i32> {
    if s.chars().count() != 4 {
        return None;
    }
    s.chars().try_fold(0i32, |acc, c| {
        let d = if c.is_ascii_digit() {
            c.to_digit(10)?
        } else {
            numeral(&c.to_string()).or(if matches!(c, '〇' | '○' | '零') {
                Some(0)
            } else {
                None
            })?
        };
        Some(acc * 10 + d as i32)
    })
}

/// Parses a whole-line date such as `2018年2月6日` or `二〇一八年二月六日`.
pub fn chinese_date(line: &str) -> Option<NaiveDate> {
    let line = trim(line);
    let (y, rest) = line.split_once('年')?;
    let (m, rest) = rest.split_once('月')?;
    let d = rest.strip_suffix('日')?;
    NaiveDate::from_ymd_opt(year(trim(y))?, numeral(trim(m))?, numeral(trim(d))?)
}

/// Splits at any of `seps`, but only outside parentheses, so that `各县(市)人民政府` stays whole.
pub fn split_top_level(s: &str, seps: &[char]) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for c in s.chars() {
        if is_open(c) {
            depth += 1;
        } else if is_close(c) {
            depth = depth.saturating_sub(1);
        }
        if depth == 0 && seps.contains(&c) {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    parts
}

/// A parenthesised group at the outermost level of a text: its content and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub content: String,
    /// Byte range of the whole group, parentheses included.
    pub start: usize,
    pub end: usize,
}

/// The outermost parenthesised groups of `s`, ASCII and full-width alike. Nested groups stay
/// inside their parent's content; an unclosed group runs to the end of the text.
pub fn top_level_groups(s: &str) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    for (i, c) in s.char_indices() {
        if is_open(c) {
            if depth == 0 {
                start = i;
            }
            depth += 1;
        } else if is_close(c) && depth > 0 {
            depth -= 1;
            if depth == 0 {
                let inner_start = start + s[start..].chars().next().map_or(1, char::len_utf8);
                groups.push(Group {
                    content: s[inner_start..i].to_string(),
                    start,
                    end: i + c.len_utf8(),
                });
            }
        }
    }
    if depth > 0 {
        let inner_start = start + s[start..].chars().next().map_or(1, char::len_utf8);
        groups.push(Group {
            content: s[inner_start..].to_string(),
            start,
            end: s.len(),
        });
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals_up_to_ninety_nine() {
        assert_eq!(numeral("一"), Some(1));
        assert_eq!(numeral("十"), Some(10));
        assert_eq!(numeral("十二"), Some(12));
        assert_eq!(numeral("二十"), Some(20));
        assert_eq!(numeral("二十九"), Some(29));
        assert_eq!(numeral("29"), Some(29));
        assert_eq!(numeral("甲"), None);
        assert_eq!(numeral("零"), None);
        assert_eq!(numeral(""), None);
        for n in 1..=99 {
            assert_eq!(numeral(&chinese_numeral(n)), Some(n), "{n}");
        }
    }

    #[test]
    fn dates_in_digits_and_in_chinese() {
        assert_eq!(
            chinese_date("2018年2月6日"),
            NaiveDate::from_ymd_opt(2018, 2, 6)
        );
        assert_eq!(
            chinese_date("二〇一八年十二月三十一日"),
            NaiveDate::from_ymd_opt(2018, 12, 31)
        );
        assert_eq!(chinese_date(" 2018年2月30日 "), None);
        assert_eq!(chinese_date("2018年2月6日印发"), None);
    }

    #[test]
    fn splitting_keeps_parenthesised_names_whole() {
        assert_eq!(
            split_top_level("经信委,各县(市,区)人民政府", &[',', '、']),
            vec!["经信委", "各县(市,区)人民政府"]
        );
    }

    #[test]
    fn groups_nest_across_both_kinds_of_parenthesis() {
        let g = top_level_groups("甲（地区人社局、各县(市)人民政府等负责）乙(丙");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].content, "地区人社局、各县(市)人民政府等负责");
        assert_eq!(g[1].content, "丙");
    }

    #[test]
    fn folding_treats_full_width_punctuation_as_ascii() {
        assert_eq!(
            fold_punct("（牵头单位： A；配合单位，B）"),
            "(牵头单位:A;配合单位,B)"
        );
    }
}
