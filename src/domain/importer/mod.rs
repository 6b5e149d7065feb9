//! The importer: a policy document's text in, its structure out — document number (文号),
//! title, issue date, sections, measures (措施) and, for each measure, its lead unit (牵头单位)
//! and co-responsible units (配合单位), with one department per real unit across the document.
//!
//! Pure: no database, no I/O. Text published on the web still carries the page around the
//! document (navigation, 上一条/下一条, share links); the importer reads past it.

pub mod corrections;
pub mod deadline;
pub mod formats;
pub mod table;
pub mod text;
pub mod units;

use std::collections::HashMap;

use chrono::NaiveDate;
use regex::Regex;
use serde::Serialize;

use text::{chinese_date, chinese_numeral, is_space, numeral, trim};
pub use units::Role;
use units::{parse_clause, scope_prefix, NamedUnit};

/// A parsed document, ready to store or to show as a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDocument {
    /// 文号, e.g. 塔行办发〔2018〕10号.
    pub number: Option<String>,
    pub title: Option<String>,
    /// 发文机关, where the text names it.
    pub issuing_office: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub sections: Vec<ParsedSection>,
    pub measures: Vec<ParsedMeasure>,
    pub departments: Vec<ParsedDepartment>,
    pub warnings: Vec<Warning>,
}

impl ParsedDocument {
    fn empty() -> ParsedDocument {
        ParsedDocument {
            number: None,
            title: None,
            issuing_office: None,
            issued_on: None,
            sections: Vec::new(),
            measures: Vec::new(),
            departments: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// A section (部分), headed 一、二、…
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSection {
    pub ordinal: u32,
    pub title: String,
}

/// A measure (措施).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMeasure {
    /// Position in the document, 1-based. Equals the written number where the document numbers
    /// its measures straight through (1. … 29.); stays unique where numbering restarts per
    /// section ((一) (二) … under each section).
    pub number: u32,
    /// The number as written: `1`, `（一）`.
    pub label: String,
    /// Ordinal of the section it stands in, if any.
    pub section: Option<u32>,
    /// First sentence, without the responsibility clause.
    pub title: String,
    /// The whole text after the number, paragraphs separated by newlines.
    pub text: String,
    /// In the order listed; the lead unit first.
    pub assignments: Vec<ParsedAssignment>,
    /// The completion deadline (办结时限) its words name, if they name a date.
    pub deadline: Option<NaiveDate>,
    /// The deadline as written (`2018年底前`, `长期坚持`).
    pub deadline_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAssignment {
    /// Index into [`ParsedDocument::departments`].
    pub department: usize,
    pub role: Role,
}

/// A department (责任单位) as the document names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDepartment {
    /// Canonical name: the fullest form, with the document's scope prefix (地区财政局).
    pub name: String,
    /// Other forms the document uses for the same unit (财政局).
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    NoUnit,
    NoLead,
    SeveralLeads,
    OutOfPlace,
    DuplicateUnit,
    NumberingGap,
    NumberingRepeat,
    NoNumber,
    NoDate,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::NoUnit => "no_unit",
            WarningKind::NoLead => "no_lead",
            WarningKind::SeveralLeads => "several_leads",
            WarningKind::OutOfPlace => "out_of_place",
            WarningKind::DuplicateUnit => "duplicate_unit",
            WarningKind::NumberingGap => "numbering_gap",
            WarningKind::NumberingRepeat => "numbering_repeat",
            WarningKind::NoNumber => "no_number",
            WarningKind::NoDate => "no_date",
        }
    }
}

/// Something a person should check; the document imports all the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The measure's number, or `None` for the document as a whole.
    pub measure: Option<u32>,
    pub kind: WarningKind,
    pub message: String,
}

/// Why a text could not be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file is not in a format the importer reads, or is damaged.
    #[error(transparent)]
    Format(#[from] formats::FormatError),
    #[error("the document is empty")]
    Empty,
    #[error("no measure found: expected numbered measures such as \"1.\", \"1、\" or \"（一）\"")]
    NoMeasures,
}

/// Lines from which on the rest is the web page around the document.
const TAIL_MARKERS: &[&str] = &[
    "上一条",
    "下一条",
    "上一篇",
    "下一篇",
    "关闭窗口",
    "【关闭】",
    "【打印】",
    "打印本页",
    "分享到",
    "相关链接",
    "相关阅读",
    "责任编辑",
];

/// Reads a file of any supported format (see [`formats`]) and parses its text.
pub fn parse_bytes(bytes: &[u8]) -> Result<ParsedDocument, ImportError> {
    parse(&formats::extract(bytes)?.text)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line<'a> {
    Blank,
    Section(u32, &'a str),
    Arabic(u32, &'a str),
    /// `11.121人才梯队项目`: a number whose text starts with digits — measure 11 when 11 is
    /// the next number, a figure otherwise.
    ArabicDigits(u32, &'a str),
    Paren(u32, &'a str),
    Date(NaiveDate),
    Other(&'a str),
}

/// Compiled once: the patterns are constants of the importer.
static PATTERNS: std::sync::LazyLock<Patterns> = std::sync::LazyLock::new(Patterns::new);

struct Patterns {
    section: Regex,
    arabic: Regex,
    arabic_digits: Regex,
    paren: Regex,
    number: Regex,
    place: Regex,
}

impl Patterns {
    fn new() -> Self {
        // The patterns are literals: compiling them cannot fail.
        let re = |p: &str| Regex::new(p).expect("importer pattern");
        Patterns {
            section: re(r"^([一二三四五六七八九十]{1,3})[、.．]\s*(\S.*)$"),
            arabic: re(r"^(\d{1,3})[.．、]\s*([^\d\s].*)$"),
            arabic_digits: re(r"^(\d{1,3})[.．、](\d+\p{Han}.*)$"),
            paren: re(r"^[(（]([一二三四五六七八九十]{1,3})[)）]\s*(\S.*)$"),
            number: re(
                r"\p{Han}{1,12}[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,4}\s*号",
            ),
            place: re(r"^(\p{Han}{2,5}?)(?:地区|自治州|自治区|市|县|州|盟|省)"),
        }
    }

    fn classify<'a>(&self, line: &'a str) -> Line<'a> {
        if line.is_empty() {
            return Line::Blank;
        }
        if let Some(c) = self.section.captures(line) {
            if let Some(n) = numeral(&c[1]) {
                return Line::Section(n, c.get(2).map_or("", |m| m.as_str()));
            }
        }
        if let Some(c) = self.paren.captures(line) {
            if let Some(n) = numeral(&c[1]) {
                return Line::Paren(n, c.get(2).map_or("", |m| m.as_str()));
            }
        }
        if let Some(c) = self.arabic.captures(line) {
            if let Ok(n) = c[1].parse() {
                return Line::Arabic(n, c.get(2).map_or("", |m| m.as_str()));
            }
        }
        if let Some(c) = self.arabic_digits.captures(line) {
            if let Ok(n) = c[1].parse() {
                return Line::ArabicDigits(n, c.get(2).map_or("", |m| m.as_str()));
            }
        }
        if let Some(d) = chinese_date(line) {
            return Line::Date(d);
        }
        Line::Other(line)
    }
}

/// The numbering level that marks measures: `1.`, `（一）` or `一、` (in a plan whose
/// measures are its top level).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Arabic,
    Paren,
    Section,
}

impl Style {
    /// Depth of the level: 一、 above （一） above 1.
    fn depth(self) -> u8 {
        match self {
            Style::Section => 1,
            Style::Paren => 2,
            Style::Arabic => 3,
        }
    }
}

/// The level a numbered line stands at, if it is numbered.
fn level_of(line: &Line) -> Option<Style> {
    match line {
        Line::Section(..) => Some(Style::Section),
        Line::Paren(..) => Some(Style::Paren),
        Line::Arabic(..) => Some(Style::Arabic),
        _ => None,
    }
}

fn measure_of<'a>(line: &Line<'a>, style: Style) -> Option<(u32, &'a str)> {
    match (line, style) {
        (Line::Arabic(n, rest), Style::Arabic)
        | (Line::Paren(n, rest), Style::Paren)
        | (Line::Section(n, rest), Style::Section) => Some((*n, rest)),
        _ => None,
    }
}

/// Where the document's body ends: the signature date, the page's tail, an annex.
fn ends_body(line: &Line) -> bool {
    match line {
        Line::Date(_) => true,
        Line::Other(text) => {
            TAIL_MARKERS.iter().any(|m| text.starts_with(m)) || text.starts_with("附件")
        }
        _ => false,
    }
}

/// The measures are the numbered items that carry responsible units, which is not always
/// the first numbered level: under `一、` sections and `（一）` sub-headings the units may sit
/// on the `1.` items, and a plan may number its measures `一、` … `三十、` with no sections.
/// Each level is tried; the one with the most items naming units wins (the deeper on a tie).
/// With no units anywhere, the first level under the first section is taken, as before.
fn choose_style(lines: &[Line], raw: &[&str]) -> Option<Style> {
    let mut best: Option<(usize, Style)> = None;
    for style in [Style::Arabic, Style::Paren, Style::Section] {
        let with_units = items_with_units(lines, raw, style);
        if with_units > 0 && best.is_none_or(|(n, _)| with_units > n) {
            best = Some((with_units, style));
        }
    }
    if let Some((_, style)) = best {
        return Some(style);
    }
    let first_section = lines.iter().position(|l| matches!(l, Line::Section(..)));
    lines[first_section.unwrap_or(0)..]
        .iter()
        .find_map(|l| match l {
            Line::Arabic(..) => Some(Style::Arabic),
            Line::Paren(..) => Some(Style::Paren),
            _ => None,
        })
}

/// How many items of `style` name a responsible unit in their text.
fn items_with_units(lines: &[Line], raw: &[&str], style: Style) -> usize {
    let mut count = 0;
    let mut current: Option<Vec<&str>> = None;
    let close = |item: Option<Vec<&str>>, count: &mut usize| {
        if let Some(parts) = item {
            if !parse_clause(&parts.join("\n"), None).units.is_empty() {
                *count += 1;
            }
        }
    };
    for (line, text) in lines.iter().zip(raw) {
        if ends_body(line) && current.is_some() {
            break;
        }
        match level_of(line) {
            Some(l) if l == style => {
                close(current.take(), &mut count);
                current = Some(vec![text]);
            }
            Some(l) if l.depth() < style.depth() => close(current.take(), &mut count),
            _ => {
                if let Some(parts) = current.as_mut() {
                    parts.push(text);
                }
            }
        }
    }
    close(current, &mut count);
    count
}

/// Parts of a plan that set out aims, not tasks: numbered items there are no measures when
/// they name no unit.
const NON_TASK_PARTS: &[&str] = &[
    "指导思想",
    "基本原则",
    "工作目标",
    "总体要求",
    "主要目标",
    "发展目标",
    "总体目标",
    "目标任务",
    "工作原则",
];

/// A measure while its lines are being gathered.
struct Draft<'a> {
    written: u32,
    label: String,
    section: Option<u32>,
    paragraphs: Vec<&'a str>,
    /// From a table's 完成时限 column.
    deadline: Option<String>,
}

/// Parses a policy document's text.
pub fn parse(input: &str) -> Result<ParsedDocument, ImportError> {
    // Invisible format characters would split one unit's name into two.
    let cleaned = crate::domain::text::strip_format(input);
    let input = cleaned.as_ref();
    if input.chars().all(is_space) {
        return Err(ImportError::Empty);
    }
    let from_text = parse_text(input);
    // A task-division table (任务分工表) wins where it assigns at least as many measures as
    // the numbered text does: it is where the office wrote who does what. (Its lines are
    // read untrimmed: a leading tab is an empty first cell.)
    let untrimmed: Vec<&str> = input.lines().collect();
    if let Some(table) = table::find(&untrimmed) {
        let raw: Vec<&str> = untrimmed.iter().map(|l| trim(l)).collect();
        let in_table = table
            .tasks()
            .filter(|t| !(t.lead.is_empty() && t.co.is_empty() && t.responsible.is_empty()))
            .count();
        let in_text = from_text.as_ref().map_or(0, |d| {
            d.measures
                .iter()
                .filter(|m| !m.assignments.is_empty())
                .count()
        });
        if in_table >= in_text.max(1) {
            return Ok(parse_table(input, &raw, &table));
        }
    }
    from_text
}

/// The head of a document: number, date, title and issuing office from the lines before
/// its body.
fn read_head(doc: &mut ParsedDocument, input: &str, lines: &[Line], body_start: usize) {
    let pat: &Patterns = &PATTERNS;
    let head: Vec<&str> = input.lines().take(body_start).collect();
    doc.number = pat
        .number
        .find(&head.join("\n"))
        .or_else(|| pat.number.find(input))
        .map(|m| m.as_str().chars().filter(|c| !is_space(*c)).collect());
    doc.issued_on = lines.iter().find_map(|l| match l {
        Line::Date(d) => Some(*d),
        _ => None,
    });
    doc.title = title_before(&lines[..body_start]);
    doc.issuing_office = signature_before_date(&lines[..body_start]);
}

/// A document whose measures are the rows of its task-division table.
fn parse_table(input: &str, raw: &[&str], table: &table::TaskTable) -> ParsedDocument {
    let pat: &Patterns = &PATTERNS;
    let lines: Vec<Line> = raw.iter().map(|l| pat.classify(l)).collect();
    let mut doc = ParsedDocument::empty();
    // The head ends at the body's first section, or at the table (for a table alone, the
    // lines above it: 附件 / 任务分工表 are not the title).
    let first_section = lines[..table.start]
        .iter()
        .position(|l| matches!(l, Line::Section(..)));
    let head_end = first_section.unwrap_or(table.start);
    read_head(&mut doc, input, &lines, head_end);
    if doc
        .title
        .as_deref()
        .is_some_and(|t| t.contains("分工") || t == "附件")
    {
        // The notice that issues the plan names it, whatever it is called; failing that, a
        // heading that is not the annex's own.
        let head = &lines[..head_end];
        doc.title = head
            .iter()
            .find_map(|l| match l {
                Line::Other(t) => plan_in_notice(t),
                _ => None,
            })
            .or_else(|| {
                head.iter().find_map(|l| match l {
                    Line::Other(t)
                        if is_title_like(t) && !t.starts_with("附件") && !t.contains("分工") =>
                    {
                        Some(t.to_string())
                    }
                    _ => None,
                })
            });
    }

    // Each row becomes the text of a measure followed by a clause naming its units, read
    // by the same rules as a measure written out in the text.
    /// A row's measure text, section, number as written and as a number, and deadline.
    struct RowText {
        text: String,
        section: Option<u32>,
        label: String,
        written: u32,
        deadline: Option<String>,
    }
    let mut texts: Vec<RowText> = Vec::new();
    let mut section: Option<u32> = None;
    for row in &table.rows {
        match row {
            table::Row::Section(title) => {
                let ordinal = doc.sections.len() as u32 + 1;
                doc.sections.push(ParsedSection {
                    ordinal,
                    title: title.clone(),
                });
                section = Some(ordinal);
            }
            table::Row::Task(t) => {
                let clause = if !t.lead.is_empty() || !t.co.is_empty() {
                    let mut c = String::new();
                    if !t.lead.is_empty() {
                        c.push_str(&format!("牵头单位：{}", t.lead));
                    }
                    if !t.co.is_empty() {
                        if !c.is_empty() {
                            c.push('；');
                        }
                        c.push_str(&format!("配合单位：{}", t.co));
                    }
                    c
                } else if !t.responsible.is_empty() {
                    format!("责任单位：{}", t.responsible)
                } else {
                    String::new()
                };
                let task = t.task.trim_end_matches(['。', '；', ';']);
                let text = if clause.is_empty() {
                    format!("{task}。")
                } else {
                    format!("{task}。（{clause}）")
                };
                let n = texts.len() as u32 + 1;
                let written = t
                    .number
                    .as_deref()
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(n);
                let label = t.number.clone().unwrap_or_else(|| n.to_string());
                let deadline = Some(t.deadline.clone()).filter(|d| !d.is_empty());
                texts.push(RowText {
                    text,
                    section,
                    label,
                    written,
                    deadline,
                });
            }
        }
    }
    let drafts: Vec<Draft> = texts
        .iter()
        .map(|r| Draft {
            written: r.written,
            label: r.label.clone(),
            section: r.section,
            paragraphs: vec![r.text.as_str()],
            deadline: r.deadline.clone(),
        })
        .collect();
    let place = doc
        .title
        .as_deref()
        .and_then(|t| pat.place.captures(t))
        .map(|c| c[1].to_string());
    build_measures(&mut doc, drafts, place.as_deref());
    head_warnings(&mut doc);
    doc.warnings.sort_by_key(|w| w.measure.unwrap_or(0));
    doc
}

fn head_warnings(doc: &mut ParsedDocument) {
    if doc.number.is_none() {
        doc.warnings.push(Warning {
            measure: None,
            kind: WarningKind::NoNumber,
            message: "未识别到文号（如 塔行办发〔2018〕10号）".into(),
        });
    }
    if doc.issued_on.is_none() {
        doc.warnings.push(Warning {
            measure: None,
            kind: WarningKind::NoDate,
            message: "未识别到成文日期（如 2018年2月6日）".into(),
        });
    }
}

/// A document whose measures are numbered paragraphs of its text.
fn parse_text(input: &str) -> Result<ParsedDocument, ImportError> {
    let pat: &Patterns = &PATTERNS;
    let raw: Vec<&str> = input.lines().map(trim).collect();
    let lines: Vec<Line> = raw.iter().map(|l| pat.classify(l)).collect();

    let style = choose_style(&lines, &raw).ok_or(ImportError::NoMeasures)?;
    // Sections exist only above the measures' level.
    let first_section = lines
        .iter()
        .position(|l| matches!(l, Line::Section(..)))
        .filter(|_| style != Style::Section);
    let body_start = first_section.unwrap_or_else(|| {
        lines
            .iter()
            .position(|l| measure_of(l, style).is_some())
            .unwrap_or(0)
    });

    let mut doc = ParsedDocument::empty();
    // The head: everything before the first section or measure.
    read_head(&mut doc, input, &lines, body_start);

    // The body: sections and measures, up to the signature date or the page's tail.
    let mut drafts: Vec<Draft> = Vec::new();
    let mut section: Option<u32> = None;
    let mut in_measure = false;
    // A `责任单位：…` line of its own that stands before the measure it belongs to.
    let mut pending: Option<&str> = None;
    for (line, raw) in lines[body_start..].iter().zip(&raw[body_start..]) {
        let next = drafts.last().map_or(1, |d| d.written + 1);
        let continues_numbering = match line {
            Line::ArabicDigits(n, rest) if style == Style::Arabic && *n == next => {
                Some((*n, *rest))
            }
            _ => None,
        };
        if let Some((n, rest)) = measure_of(line, style).or(continues_numbering) {
            let mut paragraphs = vec![rest];
            paragraphs.extend(pending.take());
            drafts.push(Draft {
                written: n,
                label: label_of(n, style),
                section,
                paragraphs,
                deadline: None,
            });
            in_measure = true;
            continue;
        }
        if let Line::Other(text) = line {
            // It belongs to the measure before it, unless that one has its units already
            // (or there is none): then to the next.
            if units::is_label_line(text) {
                let previous_has_units = drafts.last().filter(|_| in_measure).is_some_and(|d| {
                    !parse_clause(&d.paragraphs.join("\n"), None)
                        .units
                        .is_empty()
                });
                if !in_measure || previous_has_units {
                    pending = Some(raw);
                    continue;
                }
            }
        }
        // A heading above the measures' level ends the measure (a `（一）` sub-heading over
        // `1.` measures); lower levels stay inside it.
        if level_of(line).is_some_and(|l| l.depth() < style.depth())
            && !matches!(line, Line::Section(..))
        {
            in_measure = false;
            continue;
        }
        match line {
            Line::Section(_, title) => {
                pending = None;
                let ordinal = doc.sections.len() as u32 + 1;
                doc.sections.push(ParsedSection {
                    ordinal,
                    title: first_sentence(title).to_string(),
                });
                section = Some(ordinal);
                in_measure = false;
            }
            Line::Date(_) => {
                // The signature date closes the document; a short line just above it is the
                // issuing office's signature, not part of the last measure.
                if let Some(last) = drafts.last_mut() {
                    if last.paragraphs.len() > 1
                        && last.paragraphs.last().is_some_and(|p| is_title_like(p))
                    {
                        let signature = last.paragraphs.pop().map(str::to_string);
                        doc.issuing_office = doc.issuing_office.take().or(signature);
                    }
                }
                break;
            }
            Line::Other(text) if TAIL_MARKERS.iter().any(|m| text.starts_with(m)) => break,
            Line::Other(text) if text.starts_with("附件") => break,
            Line::Blank => {}
            Line::Other(_) | Line::Arabic(..) | Line::ArabicDigits(..) | Line::Paren(..)
                if in_measure =>
            {
                if let Some(d) = drafts.last_mut() {
                    d.paragraphs.push(raw);
                }
            }
            _ => {}
        }
    }
    drop_non_task_parts(&mut drafts, &doc.sections);
    if drafts.is_empty() {
        return Err(ImportError::NoMeasures);
    }

    let place = doc
        .title
        .as_deref()
        .and_then(|t| pat.place.captures(t))
        .map(|c| c[1].to_string());
    let written: Vec<_> = drafts
        .iter()
        .map(|d| (d.written, d.section, d.label.clone()))
        .collect();
    build_measures(&mut doc, drafts, place.as_deref());
    numbering_warnings(&mut doc, &written);
    head_warnings(&mut doc);
    // Document-wide warnings first, then by measure; order within a measure as found.
    doc.warnings.sort_by_key(|w| w.measure.unwrap_or(0));
    Ok(doc)
}

fn label_of(n: u32, style: Style) -> String {
    match style {
        Style::Arabic => n.to_string(),
        Style::Paren => format!("（{}）", chinese_numeral(n)),
        Style::Section => format!("{}、", chinese_numeral(n)),
    }
}

/// Items under 指导思想, 基本原则, 工作目标 … that name no unit are aims, not measures —
/// where other parts of the plan do name units.
fn drop_non_task_parts(drafts: &mut Vec<Draft>, sections: &[ParsedSection]) {
    let has_units = |d: &Draft| {
        !parse_clause(&d.paragraphs.join("\n"), None)
            .units
            .is_empty()
    };
    if !drafts.iter().any(has_units) {
        return;
    }
    let aims: Vec<u32> = sections
        .iter()
        .filter(|s| NON_TASK_PARTS.iter().any(|w| s.title.contains(w)))
        .map(|s| s.ordinal)
        .filter(|o| !drafts.iter().any(|d| d.section == Some(*o) && has_units(d)))
        .collect();
    drafts.retain(|d| !d.section.is_some_and(|s| aims.contains(&s)));
}

/// A heading-like line: short, with no sentence punctuation.
fn is_title_like(line: &str) -> bool {
    let n = line.chars().count();
    (2..=40).contains(&n)
        && !line.contains([
            '。', '，', ',', '；', ';', '：', ':', '！', '？', '|', '>', '(', '（', '-', '〔', '[',
            '［',
        ])
}

/// The title: the heading lines just before the body, above any preamble; failing that, the
/// plan named by a notice line `关于印发…的通知`.
fn title_before(head: &[Line]) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for line in head.iter().rev() {
        match line {
            Line::Blank => continue,
            Line::Other(t) if is_title_like(t) => parts.push(t),
            // Preamble paragraphs between the title and the first section.
            Line::Other(_) if parts.is_empty() => continue,
            _ => break,
        }
    }
    if !parts.is_empty() {
        parts.reverse();
        let title = parts.concat();
        // The notice that issues the plan names it: 关于印发《…》的通知.
        return Some(plan_in_notice(&title).unwrap_or(title));
    }
    head.iter().find_map(|l| match l {
        Line::Other(t) => plan_in_notice(t),
        _ => None,
    })
}

/// The plan a notice issues: 某市人民政府办公室关于印发《某市…方案》的通知 → 某市…方案.
fn plan_in_notice(line: &str) -> Option<String> {
    line.split_once("关于印发")
        .and_then(|(_, r)| r.strip_suffix("的通知"))
        .map(|r| r.trim_matches(['《', '》']).to_string())
        .filter(|r| !r.is_empty())
}

/// The issuing office's signature: a short line ending in an office's title just above the
/// date in the head.
fn signature_before_date(head: &[Line]) -> Option<String> {
    let date = head.iter().position(|l| matches!(l, Line::Date(_)))?;
    head[..date]
        .iter()
        .rev()
        .find(|l| !matches!(l, Line::Blank))
        .and_then(|l| match l {
            Line::Other(t)
                if is_title_like(t)
                    && ["办公室", "办公厅", "人民政府", "公署", "委员会"]
                        .iter()
                        .any(|s| t.ends_with(s)) =>
            {
                Some(t.to_string())
            }
            _ => None,
        })
}

/// Up to the first full stop or line break (or the whole text when there is neither).
fn first_sentence(s: &str) -> &str {
    let s = s.split(['。', '\n']).next().unwrap_or(s);
    trim(s)
}

/// Turns drafts into measures, resolving every unit to one department per real unit.
fn build_measures(doc: &mut ParsedDocument, drafts: Vec<Draft>, place: Option<&str>) {
    let clauses: Vec<_> = drafts
        .iter()
        .map(|d| parse_clause(&d.paragraphs.join("\n"), place))
        .collect();
    let all_units = clauses.iter().flat_map(|c| c.units.iter());
    let registry = Registry::build(all_units);

    for (i, (draft, clause)) in drafts.into_iter().zip(clauses).enumerate() {
        let number = i as u32 + 1;
        let text = draft.paragraphs.join("\n");
        let title_end = clause.span.map_or(text.len(), |(start, _)| start);
        let title = shorten(first_sentence(&text[..title_end]), 100);

        let mut assignments: Vec<ParsedAssignment> = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for unit in &clause.units {
            let department = registry.index_of(&unit.full);
            if !listed.insert(department) {
                doc.warnings.push(Warning {
                    measure: Some(number),
                    kind: WarningKind::DuplicateUnit,
                    message: format!("措施{number}重复列出“{}”，只计一次", unit.written),
                });
                continue;
            }
            assignments.push(ParsedAssignment {
                department,
                role: unit.role,
            });
            if unit.out_of_place {
                doc.warnings
                    .push(registry.out_of_place_warning(number, &unit.written));
            }
        }
        if clause.units.is_empty() {
            doc.warnings.push(Warning {
                measure: Some(number),
                kind: WarningKind::NoUnit,
                message: format!("措施{number}未列明责任单位，请指定牵头单位"),
            });
        } else if !assignments.iter().any(|a| a.role == Role::Lead) {
            doc.warnings.push(Warning {
                measure: Some(number),
                kind: WarningKind::NoLead,
                message: format!("措施{number}只列出配合单位，未列明牵头单位"),
            });
        }
        if clause.several_leads {
            doc.warnings.push(Warning {
                measure: Some(number),
                kind: WarningKind::SeveralLeads,
                message: format!(
                    "措施{number}列出多个牵头单位，以第一位为牵头单位，其余按配合单位登记"
                ),
            });
        }
        let deadline_text = draft.deadline.clone().or(clause.deadline.clone());
        let year = doc.issued_on.map(|d| chrono::Datelike::year(&d));
        doc.measures.push(ParsedMeasure {
            number,
            label: draft.label,
            section: draft.section,
            title,
            text,
            assignments,
            deadline: deadline_text
                .as_deref()
                .and_then(|t| deadline::parse(t, year)),
            deadline_text,
        });
    }
    doc.departments = registry.departments;
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// One department per real unit: `地区财政局` and a bare `财政局` under the same scope are
/// one unit; the canonical name carries the document's most common scope prefix.
struct Registry {
    departments: Vec<ParsedDepartment>,
    by_form: HashMap<String, usize>,
    keys: Vec<String>,
}

impl Registry {
    fn build<'a>(units: impl Iterator<Item = &'a NamedUnit> + Clone) -> Registry {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for u in units.clone() {
            if let Some(p) = scope_prefix(&u.full) {
                *counts.entry(p).or_default() += 1;
            }
        }
        let default_scope = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
            .map(|(p, _)| p);
        let key_of = |full: &str| -> String {
            match default_scope {
                Some(p) if scope_prefix(full) == Some(p) => full[p.len()..].to_string(),
                _ => full.to_string(),
            }
        };

        let mut reg = Registry {
            departments: Vec::new(),
            by_form: HashMap::new(),
            keys: Vec::new(),
        };
        let mut by_key: HashMap<String, usize> = HashMap::new();
        for u in units {
            let key = key_of(&u.full);
            let idx = *by_key.entry(key.clone()).or_insert_with(|| {
                reg.keys.push(key.clone());
                reg.departments.push(ParsedDepartment {
                    name: u.full.clone(),
                    aliases: Vec::new(),
                });
                reg.departments.len() - 1
            });
            let dept = &mut reg.departments[idx];
            // Prefer the form with the document's scope prefix as the canonical name.
            if let Some(p) = default_scope {
                if !dept.name.starts_with(p) && u.full.starts_with(p) {
                    let old = std::mem::replace(&mut dept.name, u.full.clone());
                    dept.aliases.push(old);
                }
            }
            for form in [&u.written, &u.full] {
                if *form != dept.name && !dept.aliases.contains(form) {
                    dept.aliases.push(form.clone());
                }
                reg.by_form.insert(form.clone(), idx);
            }
        }
        for d in &mut reg.departments {
            let name = d.name.clone();
            d.aliases.retain(|a| *a != name);
        }
        reg
    }

    fn index_of(&self, full: &str) -> usize {
        // Every unit was registered in `build`.
        self.by_form[full]
    }

    fn out_of_place_warning(&self, measure: u32, written: &str) -> Warning {
        let stem = written.trim_end_matches('厅');
        let similar = self
            .keys
            .iter()
            .position(|k| k == &format!("{stem}局"))
            .map(|i| self.departments[i].name.clone());
        let message = match similar {
            Some(name) => format!(
                "措施{measure}列出的“{written}”是省（自治区）级机构称谓，本文件其他措施写作“{name}”：\
                 请核实是否为同一单位，如是请在部门管理中合并"
            ),
            None => format!(
                "措施{measure}列出的“{written}”是省（自治区）级机构称谓，与本文件的层级不符，请核实"
            ),
        };
        Warning {
            measure: Some(measure),
            kind: WarningKind::OutOfPlace,
            message,
        }
    }
}

/// Gaps and repeats in the written numbering. Numbering that restarts at 1 in a new section
/// is a convention, not a repeat.
fn numbering_warnings(doc: &mut ParsedDocument, written: &[(u32, Option<u32>, String)]) {
    let mut prev: Option<(u32, Option<u32>)> = None;
    for (i, (n, section, label)) in written.iter().enumerate() {
        let number = i as u32 + 1;
        let (kind, message) = match prev {
            None if *n != 1 => (
                WarningKind::NumberingGap,
                format!("措施编号从{label}开始，前面的编号缺失"),
            ),
            Some((_, s)) if s != *section && *n == 1 => {
                prev = Some((*n, *section));
                continue;
            }
            Some((p, _)) if *n <= p => (
                WarningKind::NumberingRepeat,
                format!("措施编号{label}重复或倒序（前一条为{p}），已按出现顺序登记为第{number}条"),
            ),
            Some((p, _)) if *n > p + 1 => (
                WarningKind::NumberingGap,
                format!("措施编号{p}之后是{label}，中间的编号缺失"),
            ),
            _ => {
                prev = Some((*n, *section));
                continue;
            }
        };
        doc.warnings.push(Warning {
            measure: Some(number),
            kind,
            message,
        });
        prev = Some((*n, *section));
    }
}

impl ParsedDocument {
    /// The lead department's canonical name of a measure.
    pub fn lead_of(&self, measure: &ParsedMeasure) -> Option<&str> {
        measure
            .assignments
            .iter()
            .find(|a| a.role == Role::Lead)
            .map(|a| self.departments[a.department].name.as_str())
    }

    /// The co-responsible departments' canonical names, in the order listed.
    pub fn co_of(&self, measure: &ParsedMeasure) -> Vec<&str> {
        measure
            .assignments
            .iter()
            .filter(|a| a.role == Role::Co)
            .map(|a| self.departments[a.department].name.as_str())
            .collect()
    }
}

/// The contract's JSON view of a parse (`duban import --json`).
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub document: SummaryDocument<'a>,
    pub sections: Vec<SummarySection<'a>>,
    pub measures: Vec<SummaryMeasure<'a>>,
    pub departments: Vec<SummaryDepartment<'a>>,
    pub warnings: &'a [Warning],
}

#[derive(Debug, Serialize)]
pub struct SummaryDocument<'a> {
    pub number: Option<&'a str>,
    pub title: Option<&'a str>,
    pub issuing_office: Option<&'a str>,
    pub issued_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct SummarySection<'a> {
    pub ordinal: u32,
    pub title: &'a str,
}

#[derive(Debug, Serialize)]
pub struct SummaryMeasure<'a> {
    pub number: u32,
    pub label: &'a str,
    pub section: Option<u32>,
    pub title: &'a str,
    pub lead: Option<&'a str>,
    pub co: Vec<&'a str>,
    /// The completion deadline (办结时限), where the plan names a date.
    pub deadline: Option<NaiveDate>,
    /// The deadline as the plan writes it.
    pub deadline_text: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct SummaryDepartment<'a> {
    pub name: &'a str,
    pub aliases: &'a [String],
}

impl ParsedDocument {
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            document: SummaryDocument {
                number: self.number.as_deref(),
                title: self.title.as_deref(),
                issuing_office: self.issuing_office.as_deref(),
                issued_on: self.issued_on,
            },
            sections: self
                .sections
                .iter()
                .map(|s| SummarySection {
                    ordinal: s.ordinal,
                    title: &s.title,
                })
                .collect(),
            measures: self
                .measures
                .iter()
                .map(|m| SummaryMeasure {
                    number: m.number,
                    label: &m.label,
                    section: m.section,
                    title: &m.title,
                    lead: self.lead_of(m),
                    co: self.co_of(m),
                    deadline: m.deadline,
                    deadline_text: m.deadline_text.as_deref(),
                })
                .collect(),
            departments: self
                .departments
                .iter()
                .map(|d| SummaryDepartment {
                    name: &d.name,
                    aliases: &d.aliases,
                })
                .collect(),
            warnings: &self.warnings,
        }
    }
}

#[cfg(test)]
mod tests;
