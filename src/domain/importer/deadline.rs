//! Deadlines (时限) as plans write them: `2018年底前`, `2019年6月底前`, `2018年12月31日前`,
//! `2019年上半年`, `每年年底前` → the last day of that period; `长期坚持`, `持续推进` → no date
//! (the words are kept and shown).

use chrono::{Datelike, NaiveDate};

/// The date a deadline's words name: the end of the period they give. `year` stands for
/// 每年 (every year): the plan's own year.
pub fn parse(text: &str, year: Option<i32>) -> Option<NaiveDate> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace("年年底", "年底");
    let t = t
        .trim_end_matches(['前', '。', ';', '；'])
        .trim_end_matches("以前")
        .to_string();
    let t = t
        .trim_end_matches("完成")
        .trim_end_matches('前')
        .trim_start_matches("于")
        .trim_start_matches("在")
        .to_string();
    let (y, rest) = if let Some(rest) = t.strip_prefix("每年") {
        (year?, rest.to_string())
    } else {
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.len() != 4 {
            return None;
        }
        let rest = t[digits.len()..].strip_prefix('年')?.to_string();
        (digits.parse().ok()?, rest)
    };
    if !(1990..=2100).contains(&y) {
        return None;
    }
    let end_of_month = |m: u32| -> Option<NaiveDate> {
        let first_next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)?
        };
        first_next.pred_opt()
    };
    let rest = rest.as_str();
    match rest {
        "" | "底" | "内" | "年底" | "末" | "年末" | "全年" => {
            return NaiveDate::from_ymd_opt(y, 12, 31)
        }
        "上半年" | "上半年底" | "6月底" | "年中" => {
            return NaiveDate::from_ymd_opt(y, 6, 30)
        }
        "下半年" => return NaiveDate::from_ymd_opt(y, 12, 31),
        _ => {}
    }
    for (q, m) in [
        ("一", 3),
        ("二", 6),
        ("三", 9),
        ("四", 12),
        ("1", 3),
        ("2", 6),
        ("3", 9),
        ("4", 12),
    ] {
        if rest == format!("第{q}季度")
            || rest == format!("第{q}季度末")
            || rest == format!("{q}季度")
        {
            return end_of_month(m);
        }
    }
    // 6月底, 6月, 12月31日.
    let month_digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let month: u32 = month_digits.parse().ok()?;
    let after = rest[month_digits.len()..].strip_prefix('月')?;
    if after.is_empty() || after == "底" || after == "末" || after == "份" {
        return end_of_month(month).filter(|d| d.month() == month);
    }
    let day_digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
    let day: u32 = day_digits.parse().ok()?;
    let tail = &after[day_digits.len()..];
    if tail == "日" || tail == "号" || tail.is_empty() {
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    None
}

/// Words that set no date but say how long the work lasts.
pub fn is_ongoing(text: &str) -> bool {
    [
        "长期坚持",
        "持续推进",
        "长期推进",
        "持续实施",
        "长期",
        "持续开展",
        "常态化",
    ]
    .iter()
    .any(|w| text.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn the_common_forms_end_where_their_period_ends() {
        assert_eq!(parse("2018年底前", None), d(2018, 12, 31));
        assert_eq!(parse("2018年年底前", None), d(2018, 12, 31));
        assert_eq!(parse("2019年6月底前", None), d(2019, 6, 30));
        assert_eq!(parse("2019年2月底前完成", None), d(2019, 2, 28));
        assert_eq!(parse("2018年12月31日前", None), d(2018, 12, 31));
        assert_eq!(parse("2020年上半年", None), d(2020, 6, 30));
        assert_eq!(parse("2020年第三季度", None), d(2020, 9, 30));
        assert_eq!(parse("2019年", None), d(2019, 12, 31));
        assert_eq!(parse("每年年底前", Some(2018)), d(2018, 12, 31));
        assert_eq!(parse("每年年底前", None), None);
    }

    #[test]
    fn ongoing_work_and_nonsense_have_no_date() {
        for t in [
            "长期坚持",
            "持续推进",
            "按要求",
            "2019年13月底前",
            "19年底",
            "",
        ] {
            assert_eq!(parse(t, Some(2019)), None, "{t}");
        }
        assert!(is_ongoing("长期坚持") && is_ongoing("持续推进") && !is_ongoing("2019年底前"));
    }
}
