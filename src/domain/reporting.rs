//! Progress reports (进展报送): the values a report holds, the states an obligation passes
//! through, its light (红黄绿灯), and what counts as acceptable evidence (佐证材料).

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::i18n::tr;

/// Where an obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObligationState {
    Open,
    Submitted,
    Returned,
    Accepted,
}

impl ObligationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ObligationState::Open => "open",
            ObligationState::Submitted => "submitted",
            ObligationState::Returned => "returned",
            ObligationState::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> ObligationState {
        match s {
            "submitted" => ObligationState::Submitted,
            "returned" => ObligationState::Returned,
            "accepted" => ObligationState::Accepted,
            _ => ObligationState::Open,
        }
    }

    /// The contract's `state`: `overdue` for an open or returned obligation past its due date.
    pub fn public(self, due_on: NaiveDate, today: NaiveDate) -> &'static str {
        match self {
            ObligationState::Open | ObligationState::Returned if today > due_on => "overdue",
            other => other.as_str(),
        }
    }

    /// What it means today, in words: one place for the words of every page, email and
    /// export (the catalog's `common.standing`).
    pub fn standing(
        self,
        due_on: NaiveDate,
        handed_in_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Standing {
        let late = |on: NaiveDate| (on - due_on).num_days();
        let (key, days) = match self {
            ObligationState::Open if today > due_on => ("overdue", late(today)),
            ObligationState::Open => ("open", 0),
            ObligationState::Submitted => match handed_in_on {
                Some(on) if on > due_on => ("submitted_late", late(on)),
                _ => ("submitted", 0),
            },
            ObligationState::Returned if today > due_on => ("returned_overdue", late(today)),
            ObligationState::Returned => ("returned", 0),
            ObligationState::Accepted => ("accepted", 0),
        };
        Standing { key, days }
    }
}

/// An obligation's state as people read it: 待报送, 逾期未报（N 天）, 待审核, 逾期报送（迟 N
/// 天）· 待审核, 已退回待修改 (· 逾期 N 天), 本期已通过.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// The catalog key under `common.standing`.
    pub key: &'static str,
    /// The days late it names (0 where it names none).
    pub days: i64,
}

impl Standing {
    /// The words, in the current language.
    pub fn text(self) -> String {
        tr(
            &format!("common.standing.{}", self.key),
            &[("n", &self.days.to_string())],
        )
    }
}

/// 红黄绿灯. Ordered from best to worst, so the worst of several is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    /// No obligation yet.
    None,
    /// The measure is closed (办结).
    Closed,
    Done,
    Green,
    Yellow,
    Red,
}

impl Light {
    pub fn as_str(self) -> &'static str {
        match self {
            Light::None => "none",
            Light::Closed => "closed",
            Light::Done => "done",
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }

    /// Always shown with the colour: a light is never colour alone.
    pub fn label(self) -> &'static str {
        crate::i18n::text(&format!("common.light.{}", self.as_str()))
    }
}

/// The light of one obligation on `today` (the office's local date). Red: past due and not
/// handed in, handed in late and not yet accepted, or the department has not acknowledged
/// receipt in time. Yellow: due within `yellow_days` and not handed in, or returned and not
/// yet resubmitted. Done: accepted.
pub fn light(
    state: ObligationState,
    due_on: NaiveDate,
    handed_in_on: Option<NaiveDate>,
    today: NaiveDate,
    yellow_days: u32,
    receipt_overdue: bool,
) -> Light {
    let waiting = matches!(state, ObligationState::Open | ObligationState::Returned);
    match state {
        ObligationState::Accepted => Light::Done,
        _ if receipt_overdue => Light::Red,
        _ if waiting && today > due_on => Light::Red,
        ObligationState::Submitted if handed_in_on.is_some_and(|on| on > due_on) => Light::Red,
        ObligationState::Returned => Light::Yellow,
        ObligationState::Open if due_on - today <= Duration::days(yellow_days.into()) => {
            Light::Yellow
        }
        _ => Light::Green,
    }
}

/// 正常推进 / 存在困难 / 已完成.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    OnTrack,
    AtRisk,
    Completed,
}

impl Progress {
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::OnTrack => "on_track",
            Progress::AtRisk => "at_risk",
            Progress::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        crate::i18n::text(&format!("common.progress.{}", self.as_str()))
    }

    pub fn parse(s: &str) -> Result<Progress, String> {
        match s.trim() {
            "on_track" => Ok(Progress::OnTrack),
            "at_risk" => Ok(Progress::AtRisk),
            "completed" => Ok(Progress::Completed),
            other => Err(tr("domain.reporting.invalid_status", &[("status", other)])),
        }
    }
}

/// A report's content, validated: 工作进展 (`summary`), 存在问题 and 下步打算 (empty when not
/// asked for or not given), the percent done and how it is going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportContent {
    pub summary: String,
    pub problems: String,
    pub next_steps: String,
    pub percent: i32,
    pub progress: Progress,
}

/// A report's fields as typed into the form or posted to the API.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportFields<'a> {
    pub summary: &'a str,
    pub problems: &'a str,
    pub next_steps: &'a str,
    pub percent: &'a str,
    pub status: &'a str,
}

/// A form field's problem, in words for the person who filled it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field it belongs beside: summary, problems, next_steps, percent or status.
    pub field: &'static str,
    pub message: String,
}

/// Checks one text field of a report: `required` ones may not be empty; none may be longer
/// than 5000 characters or hold control characters. Returns the text with `\r\n` as `\n`.
fn report_text(
    field: &'static str,
    text: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> String {
    let text = text.trim();
    let name = tr(&format!("domain.reporting.field.{field}"), &[]);
    let mut fail = |key: &str| {
        errors.push(FieldError {
            field,
            message: tr(key, &[("field", &name)]),
        })
    };
    if text.is_empty() && required {
        fail("domain.reporting.text_empty");
    } else if text.chars().count() > 5000 {
        fail("domain.reporting.text_too_long");
    } else if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        fail("domain.reporting.text_control");
    }
    text.replace("\r\n", "\n")
}

/// Validates a report's fields, every problem at once, each with its field.
pub fn parse_report(fields: ReportFields<'_>) -> Result<ReportContent, Vec<FieldError>> {
    let mut errors = Vec::new();
    let summary = report_text("summary", fields.summary, true, &mut errors);
    let problems = report_text("problems", fields.problems, false, &mut errors);
    let next_steps = report_text("next_steps", fields.next_steps, false, &mut errors);
    let percent = fields.percent.trim();
    let parsed: Option<i32> = percent.parse().ok().filter(|p| (0..=100).contains(p));
    if parsed.is_none() {
        errors.push(FieldError {
            field: "percent",
            message: tr("domain.reporting.bad_percent", &[("percent", percent)]),
        });
    }
    let progress = Progress::parse(fields.status);
    if let Err(message) = &progress {
        errors.push(FieldError {
            field: "status",
            message: message.clone(),
        });
    }
    match (parsed, progress) {
        (Some(percent), Ok(progress)) if errors.is_empty() => Ok(ReportContent {
            summary,
            problems,
            next_steps,
            percent,
            progress,
        }),
        _ => Err(errors),
    }
}

/// Field problems as one message, for the API.
pub fn field_messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

/// An accepted kind of evidence file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceType {
    pub mime: &'static str,
    pub extension: &'static str,
}

/// Recognises a file by its first bytes. Zip containers (docx, xlsx, pptx, zip) and OLE2
/// files (doc, xls) are told apart by the extension, but only among their own family: the
/// content decides what the file is, the name never makes a file acceptable.
pub fn sniff(head: &[u8], filename: &str) -> Option<EvidenceType> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let t = |mime, extension| Some(EvidenceType { mime, extension });
    if head.starts_with(b"%PDF-") {
        return t("application/pdf", "pdf");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return t("image/png", "png");
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return t("image/jpeg", "jpg");
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return match ext.as_str() {
            "docx" => t(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "docx",
            ),
            "xlsx" => t(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            "pptx" => t(
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "pptx",
            ),
            // 版式文件: the national standard layout format (GB/T 33190), a zip container.
            "ofd" => t("application/ofd", "ofd"),
            _ => t("application/zip", "zip"),
        };
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // OLE2: Microsoft's binary formats, and WPS Office's own (文字 .wps, 表格 .et,
        // 演示 .dps).
        return match ext.as_str() {
            "xls" => t("application/vnd.ms-excel", "xls"),
            "ppt" => t("application/vnd.ms-powerpoint", "ppt"),
            "wps" => t("application/kswps", "wps"),
            "et" => t("application/kset", "et"),
            "dps" => t("application/ksdps", "dps"),
            _ => t("application/msword", "doc"),
        };
    }
    if head.starts_with(b"Rar!\x1a\x07") {
        return t("application/vnd.rar", "rar");
    }
    if head.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return t("application/x-7z-compressed", "7z");
    }
    // HEIC/HEIF photos (phones' default): an ISO media file whose brand names the format.
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => t("image/heic", "heic"),
            b"mif1" | b"msf1" => t("image/heif", if ext == "heic" { "heic" } else { "heif" }),
            _ => None,
        };
    }
    None
}

/// What the report form offers to choose (the browser's filter; the content decides).
pub const ACCEPTED_EXTENSIONS: &str = ".pdf,.ofd,.png,.jpg,.jpeg,.heic,.heif,.doc,.docx,.wps,\
.xls,.xlsx,.et,.ppt,.pptx,.dps,.zip,.rar,.7z";

/// Types shown in the browser rather than only downloaded: they cannot run script when
/// served as themselves under a sandboxing policy.
pub fn previewable(mime: &str) -> bool {
    matches!(mime, "application/pdf" | "image/png" | "image/jpeg")
}

/// A file name safe to show and to put in a header: no path, no control characters, no
/// quotes, at most 120 characters; the extension the content calls for.
pub fn sanitize_filename(name: &str, kind: EvidenceType) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !crate::domain::text::is_format_char(*c)
                && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|')
        })
        .collect();
    let stem = cleaned
        .rsplit_once('.')
        .map_or(cleaned.as_str(), |(s, _)| s)
        .trim()
        .trim_start_matches('.');
    let stem: String = stem.chars().take(110).collect();
    let stem = if stem.is_empty() {
        "佐证材料".to_string()
    } else {
        stem
    };
    format!("{stem}.{}", kind.extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn lights_follow_the_rules() {
        use ObligationState::*;
        let due = d(4, 10);
        assert_eq!(light(Open, due, None, d(3, 1), 7, false), Light::Green);
        assert_eq!(light(Open, due, None, d(4, 3), 7, false), Light::Yellow);
        assert_eq!(
            light(Open, due, None, d(4, 10), 7, false),
            Light::Yellow,
            "due today"
        );
        assert_eq!(light(Open, due, None, d(4, 11), 7, false), Light::Red);
        assert_eq!(
            light(Submitted, due, None, d(4, 11), 7, false),
            Light::Green
        );
        let late = Some(d(4, 12));
        assert_eq!(
            light(Submitted, due, late, d(4, 13), 7, false),
            Light::Red,
            "handed in late and not yet accepted"
        );
        assert_eq!(light(Accepted, due, late, d(4, 13), 7, false), Light::Done);
        assert_eq!(light(Returned, due, None, d(3, 1), 7, false), Light::Yellow);
        assert_eq!(light(Returned, due, None, d(4, 11), 7, false), Light::Red);
        assert_eq!(light(Accepted, due, None, d(5, 1), 7, true), Light::Done);
        assert_eq!(
            light(Open, due, None, d(3, 1), 7, true),
            Light::Red,
            "receipt overdue"
        );
        assert!(
            Light::Red > Light::Yellow
                && Light::Yellow > Light::Green
                && Light::Green > Light::Done
        );
    }

    #[test]
    fn standings_say_how_late_and_what_waits() {
        use ObligationState::*;
        let due = d(4, 10);
        let st = |state: ObligationState, handed: Option<NaiveDate>, today| {
            let s = state.standing(due, handed, today);
            (s.key, s.days)
        };
        assert_eq!(st(Open, None, d(4, 10)), ("open", 0));
        assert_eq!(st(Open, None, d(4, 13)), ("overdue", 3));
        assert_eq!(st(Submitted, Some(d(4, 9)), d(6, 1)), ("submitted", 0));
        assert_eq!(
            st(Submitted, Some(d(4, 10)), d(6, 1)),
            ("submitted", 0),
            "on the due day is on time"
        );
        assert_eq!(
            st(Submitted, Some(d(6, 1)), d(6, 2)),
            ("submitted_late", 52)
        );
        assert_eq!(st(Returned, Some(d(4, 1)), d(4, 5)), ("returned", 0));
        assert_eq!(
            st(Returned, Some(d(4, 1)), d(4, 20)),
            ("returned_overdue", 10)
        );
        assert_eq!(st(Accepted, Some(d(5, 1)), d(6, 1)), ("accepted", 0));
    }

    #[test]
    fn overdue_is_a_public_state_of_waiting_obligations() {
        use ObligationState::*;
        assert_eq!(Open.public(d(4, 10), d(4, 11)), "overdue");
        assert_eq!(Returned.public(d(4, 10), d(4, 11)), "overdue");
        assert_eq!(Open.public(d(4, 10), d(4, 10)), "open");
        assert_eq!(Submitted.public(d(4, 10), d(4, 11)), "submitted");
    }

    #[test]
    fn report_fields_are_checked_and_named() {
        let report = |summary, percent, status| {
            parse_report(ReportFields {
                summary,
                percent,
                status,
                ..ReportFields::default()
            })
        };
        let ok = report(" 已完成调研。\r\n下步推进。", "60", "on_track").unwrap();
        assert_eq!(ok.percent, 60);
        assert_eq!(ok.summary, "已完成调研。\n下步推进。");
        assert_eq!((ok.problems.as_str(), ok.next_steps.as_str()), ("", ""));
        let fields = |s, p, st| -> Vec<&'static str> {
            report(s, p, st)
                .unwrap_err()
                .iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields("x", "150", "on_track"), ["percent"]);
        assert_eq!(fields("x", "-1", "on_track"), ["percent"]);
        assert_eq!(fields("x", "abc", "on_track"), ["percent"]);
        assert_eq!(fields("  ", "10", "on_track"), ["summary"]);
        assert_eq!(fields("x", "10", "done"), ["status"]);
        // Every problem at once, so the form shows each beside its field.
        assert_eq!(fields("", "", "done"), ["summary", "percent", "status"]);
        let errors = report("x", "abc", "on_track").unwrap_err();
        assert!(errors[0].message.contains("0–100") && !errors[0].message.contains("percent"));
    }

    #[test]
    fn problems_and_next_steps_are_optional_but_checked() {
        let ok = parse_report(ReportFields {
            summary: "完成培训 3 期",
            problems: " 资金到位慢\r\n场地不足 ",
            next_steps: "",
            percent: "40",
            status: "at_risk",
        })
        .unwrap();
        assert_eq!(ok.problems, "资金到位慢\n场地不足");
        assert_eq!(ok.next_steps, "");
        let long = "问".repeat(5001);
        let errors = parse_report(ReportFields {
            summary: "x",
            problems: "a\u{7}b",
            next_steps: &long,
            percent: "40",
            status: "at_risk",
        })
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["problems", "next_steps"]);
        // The message names the field in words, never its code.
        assert!(errors.iter().all(|e| !e.message.contains("next_steps")));
    }

    #[test]
    fn files_are_recognised_by_content_not_name() {
        assert_eq!(
            sniff(b"%PDF-1.7 ...", "a.pdf").unwrap().mime,
            "application/pdf"
        );
        assert_eq!(sniff(b"%PDF-1.7 ...", "a.docx").unwrap().extension, "pdf");
        assert_eq!(
            sniff(b"MZ\x90\x00", "setup.pdf"),
            None,
            "an .exe renamed .pdf"
        );
        assert_eq!(sniff(b"hello", "notes.docx"), None);
        assert_eq!(
            sniff(b"PK\x03\x04....", "表.xlsx").unwrap().extension,
            "xlsx"
        );
        assert_eq!(sniff(b"PK\x03\x04....", "a.exe").unwrap().extension, "zip");
        assert_eq!(
            sniff(b"\xff\xd8\xff\xe0", "photo").unwrap().mime,
            "image/jpeg"
        );
        assert_eq!(
            sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls")
                .unwrap()
                .extension,
            "xls"
        );
    }

    #[test]
    fn the_formats_offices_use_keep_their_own_type() {
        let kind = |head: &[u8], name| sniff(head, name).map(|k| (k.extension, k.mime));
        let ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
        assert_eq!(
            kind(b"PK\x03\x04....", "通知.ofd"),
            Some(("ofd", "application/ofd"))
        );
        assert_eq!(kind(ole2, "报告.wps"), Some(("wps", "application/kswps")));
        assert_eq!(kind(ole2, "台账.et"), Some(("et", "application/kset")));
        assert_eq!(kind(ole2, "汇报.dps"), Some(("dps", "application/ksdps")));
        assert_eq!(
            kind(ole2, "汇报.ppt"),
            Some(("ppt", "application/vnd.ms-powerpoint"))
        );
        assert_eq!(
            kind(b"Rar!\x1a\x07\x01\x00", "材料.rar"),
            Some(("rar", "application/vnd.rar"))
        );
        assert_eq!(
            kind(b"7z\xbc\xaf\x27\x1c\x00\x04", "材料.7z"),
            Some(("7z", "application/x-7z-compressed"))
        );
        assert_eq!(
            kind(b"\x00\x00\x00\x18ftypheic\x00\x00", "IMG_0001.HEIC"),
            Some(("heic", "image/heic"))
        );
        assert_eq!(
            kind(b"\x00\x00\x00\x18ftypmif1\x00\x00", "photo.heif"),
            Some(("heif", "image/heif"))
        );
        // An MP4 video is an ISO media file too, and not evidence.
        assert_eq!(kind(b"\x00\x00\x00\x18ftypisom\x00\x00", "v.heic"), None);
        // The name alone never makes a file acceptable.
        assert_eq!(kind(b"hello", "a.ofd"), None);
        for ext in ["ofd", "wps", "et", "dps", "rar", "7z", "heic", "heif"] {
            assert!(ACCEPTED_EXTENSIONS
                .split(',')
                .any(|e| e == format!(".{ext}")));
        }
    }

    #[test]
    fn filenames_lose_paths_and_dangerous_characters() {
        let pdf = sniff(b"%PDF-", "x").unwrap();
        assert_eq!(sanitize_filename("../../etc/passwd", pdf), "passwd.pdf");
        assert_eq!(
            sanitize_filename("C:\\docs\\会议纪要.PDF", pdf),
            "会议纪要.pdf"
        );
        assert_eq!(sanitize_filename("a\"b\r\n.pdf", pdf), "ab.pdf");
        assert_eq!(sanitize_filename("", pdf), "佐证材料.pdf");
        assert_eq!(sanitize_filename(".htaccess", pdf), "佐证材料.pdf");
        assert!(sanitize_filename(&"长".repeat(300), pdf).chars().count() <= 120);
    }
}
