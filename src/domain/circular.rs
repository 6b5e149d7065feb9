//! 督办通报 (a circular on how a document is being carried out): the numbers it states, from
//! the same obligation facts the scorecard scores, and the `.docx` the office sends. Pure:
//! facts and words in, numbers and bytes out.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use docx_rs::{
    AlignmentType, Docx, LineSpacing, Paragraph, Run, RunFonts, SpecialIndentType, Table,
    TableCell, TableRow, WidthType,
};
use serde::{Deserialize, Serialize};

use super::scoring::ObligationFacts;

/// 总体情况: of the obligations whose due date has passed in the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub measures: usize,
    pub due: usize,
    pub on_time: usize,
    pub late: usize,
    pub returned: usize,
    /// Due and still not handed in (逾期未报).
    pub overdue: usize,
}

/// Units by how they reported; a unit may be in several lists (late and returned), and is
/// 按时报送 only when none of its reports was late or is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitLists {
    pub on_time: Vec<String>,
    pub late: Vec<String>,
    pub overdue: Vec<String>,
    pub returned: Vec<String>,
}

/// The numbers and lists of a window: `facts` are the window's obligations, `names` the
/// units' names in the order to list them.
pub fn summarise(
    measures: usize,
    facts: &[ObligationFacts],
    names: &[(i32, String)],
    today: NaiveDate,
) -> (Summary, UnitLists) {
    let mut s = Summary {
        measures,
        ..Summary::default()
    };
    let mut late: BTreeSet<i32> = BTreeSet::new();
    let mut overdue: BTreeSet<i32> = BTreeSet::new();
    let mut returned: BTreeSet<i32> = BTreeSet::new();
    let mut due_units: BTreeSet<i32> = BTreeSet::new();
    for f in facts.iter().filter(|f| f.due_on < today) {
        s.due += 1;
        due_units.insert(f.department_id);
        match f.first_submitted_on {
            Some(on) if on <= f.due_on => s.on_time += 1,
            Some(_) => {
                s.late += 1;
                late.insert(f.department_id);
            }
            None if f.accepted => s.on_time += 1,
            None => {
                s.overdue += 1;
                overdue.insert(f.department_id);
            }
        }
        if f.returned {
            s.returned += 1;
            returned.insert(f.department_id);
        }
    }
    let named = |set: &dyn Fn(i32) -> bool| -> Vec<String> {
        names
            .iter()
            .filter(|(id, _)| set(*id))
            .map(|(_, n)| n.clone())
            .collect()
    };
    let lists = UnitLists {
        on_time: named(&|d| due_units.contains(&d) && !late.contains(&d) && !overdue.contains(&d)),
        late: named(&|d| late.contains(&d)),
        overdue: named(&|d| overdue.contains(&d)),
        returned: named(&|d| returned.contains(&d)),
    };
    (s, lists)
}

/// One line of the ranking table, as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankLine {
    pub rank: String,
    pub name: String,
    pub score: String,
    pub timeliness: String,
    pub first_pass: String,
    pub completion: String,
    pub light: String,
}

/// Everything a circular says, kept with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Circular {
    pub issuer: String,
    /// 文号, e.g. 督办通报〔2026〕3号; empty leaves a blank to fill in by hand.
    pub number: String,
    pub title: String,
    pub document_title: String,
    pub document_number: String,
    pub window_label: String,
    pub date: NaiveDate,
    pub summary: Summary,
    pub lists: UnitLists,
    pub ranking: Vec<RankLine>,
    /// 下步工作要求, paragraphs separated by blank lines or line breaks.
    pub requirements: String,
    /// The words of the fixed parts, in the office's language.
    pub words: Words,
}

/// The fixed words, from the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Words {
    pub opening: String,
    pub overall_heading: String,
    pub overall: String,
    pub units_heading: String,
    pub on_time: String,
    pub late: String,
    pub overdue: String,
    pub returned: String,
    pub none: String,
    pub ranking_heading: String,
    pub columns: [String; 7],
    pub requirements_heading: String,
    pub number_blank: String,
}

const BODY_FONT: &str = "仿宋_GB2312";
const TITLE_FONT: &str = "方正小标宋简体";
const HEADING_FONT: &str = "黑体";

fn run(text: &str, font: &str, half_points: usize) -> Run {
    Run::new()
        .add_text(text)
        .size(half_points)
        .fonts(RunFonts::new().east_asia(font).ascii(font).hi_ansi(font))
}

/// A body paragraph: 三号 (16 pt) 仿宋, first line indented two characters, 28 pt lines.
fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, BODY_FONT, 32))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .line_spacing(LineSpacing::new().line(560))
}

fn heading(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, HEADING_FONT, 32))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .line_spacing(LineSpacing::new().line(560))
}

fn centred(text: &str, font: &str, half_points: usize) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, font, half_points))
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().line(560))
}

fn cell(text: &str, width: usize) -> TableCell {
    TableCell::new()
        .add_paragraph(
            Paragraph::new()
                .add_run(run(text, BODY_FONT, 24))
                .align(AlignmentType::Center),
        )
        .width(width, WidthType::Dxa)
}

/// A date as offices write it: 2026年4月20日.
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The circular as a Word document: A4, 方正小标宋 title, 仿宋 body, 黑体 headings, the
/// ranking as a table, the issuer and date at the end.
pub fn docx(c: &Circular) -> Result<Vec<u8>, String> {
    let w = &c.words;
    let join = |names: &[String]| {
        if names.is_empty() {
            w.none.clone()
        } else {
            names.join("、")
        }
    };
    let number = if c.number.trim().is_empty() {
        w.number_blank.clone()
    } else {
        c.number.clone()
    };
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            docx_rs::PageMargin::new()
                .top(2098)
                .bottom(1984)
                .left(1587)
                .right(1474),
        )
        .add_paragraph(centred(&number, BODY_FONT, 32))
        .add_paragraph(centred(&c.title, TITLE_FONT, 44))
        .add_paragraph(Paragraph::new())
        .add_paragraph(body(&w.opening))
        .add_paragraph(heading(&w.overall_heading))
        .add_paragraph(body(&w.overall))
        .add_paragraph(heading(&w.units_heading));
    for (label, names) in [
        (&w.on_time, &c.lists.on_time),
        (&w.late, &c.lists.late),
        (&w.overdue, &c.lists.overdue),
        (&w.returned, &c.lists.returned),
    ] {
        doc = doc.add_paragraph(body(&format!("{label}{}", join(names))));
    }
    doc = doc.add_paragraph(heading(&w.ranking_heading));
    let widths = [900, 2600, 1000, 1100, 1300, 1100, 1000];
    let mut rows = vec![TableRow::new(
        w.columns
            .iter()
            .zip(widths)
            .map(|(h, wd)| cell(h, wd))
            .collect(),
    )];
    for r in &c.ranking {
        let values = [
            &r.rank,
            &r.name,
            &r.score,
            &r.timeliness,
            &r.first_pass,
            &r.completion,
            &r.light,
        ];
        rows.push(TableRow::new(
            values
                .iter()
                .zip(widths)
                .map(|(v, wd)| cell(v, wd))
                .collect(),
        ));
    }
    doc = doc
        .add_table(Table::new(rows).set_grid(widths.to_vec()))
        .add_paragraph(heading(&w.requirements_heading));
    for para in c
        .requirements
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        doc = doc.add_paragraph(body(para));
    }
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&c.issuer, BODY_FONT, 32))
                .align(AlignmentType::Right),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&chinese_date(c.date), BODY_FONT, 32))
                .align(AlignmentType::Right),
        );
    let mut out = std::io::Cursor::new(Vec::new());
    doc.pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The text of a `.docx` (its paragraphs and table cells, one per line): to check what a
/// stored circular says.
pub fn docx_text(bytes: &[u8]) -> Result<String, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .map_err(|e| e.to_string())?
        .read_to_string(&mut xml)
        .map_err(|e| e.to_string())?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut out = String::new();
    let mut in_text = false;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"w:t" => in_text = true,
            quick_xml::events::Event::End(e) => match e.name().as_ref() {
                b"w:t" => in_text = false,
                b"w:p" => out.push('\n'),
                _ => {}
            },
            quick_xml::events::Event::Text(t) if in_text => {
                out.push_str(&t.decode().map_err(|e| e.to_string())?);
            }
            quick_xml::events::Event::GeneralRef(r) if in_text => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let c = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                out.extend(c);
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn fact(
        unit: i32,
        due: NaiveDate,
        submitted: Option<NaiveDate>,
        returned: bool,
    ) -> ObligationFacts {
        ObligationFacts {
            obligation_id: 0,
            department_id: unit,
            lead: true,
            due_on: due,
            first_submitted_on: submitted,
            reviewed: submitted.is_some(),
            returned,
            accepted: false,
            percent: 0,
        }
    }

    #[test]
    fn units_are_listed_by_how_they_reported() {
        let names = vec![
            (1, "甲局".to_string()),
            (2, "乙局".into()),
            (3, "丙局".into()),
        ];
        let facts = [
            fact(1, d(4, 10), Some(d(4, 9)), false),
            fact(1, d(4, 10), Some(d(4, 10)), true),
            fact(2, d(4, 10), Some(d(4, 12)), false),
            fact(3, d(4, 10), None, false),
            // Not yet due: not counted.
            fact(3, d(7, 10), None, false),
        ];
        let (s, lists) = summarise(29, &facts, &names, d(4, 20));
        assert_eq!(
            s,
            Summary {
                measures: 29,
                due: 4,
                on_time: 2,
                late: 1,
                returned: 1,
                overdue: 1
            }
        );
        assert_eq!(lists.on_time, ["甲局"]);
        assert_eq!(lists.late, ["乙局"]);
        assert_eq!(lists.overdue, ["丙局"]);
        assert_eq!(lists.returned, ["甲局"]);
    }

    #[test]
    fn the_docx_holds_the_numbers_and_reads_back() {
        let words = Words {
            opening: "现将落实情况通报如下：".into(),
            overall_heading: "一、总体情况".into(),
            overall: "到期 4 项，按时 2 项。".into(),
            units_heading: "二、各单位报送情况".into(),
            on_time: "按时报送：".into(),
            late: "逾期报送：".into(),
            overdue: "逾期未报：".into(),
            returned: "被退回：".into(),
            none: "无".into(),
            ranking_heading: "三、考核排名".into(),
            columns: [
                "名次",
                "单位",
                "得分",
                "按时率",
                "一次通过率",
                "完成率",
                "当前状态",
            ]
            .map(String::from),
            requirements_heading: "四、下步工作要求".into(),
            number_blank: "〔　　〕号".into(),
        };
        let c = Circular {
            issuer: "地区督查室".into(),
            number: String::new(),
            title: "关于《就业创业实施方案》落实情况的通报".into(),
            document_title: "就业创业实施方案".into(),
            document_number: "塔行办发〔2018〕10号".into(),
            window_label: "2026年第一季度".into(),
            date: d(4, 20),
            summary: Summary::default(),
            lists: UnitLists {
                on_time: vec!["甲局".into()],
                ..UnitLists::default()
            },
            ranking: vec![RankLine {
                rank: "1".into(),
                name: "甲局 & <乙>".into(),
                score: "96.5".into(),
                timeliness: "100%".into(),
                first_pass: "50%".into(),
                completion: "100%".into(),
                light: "正常".into(),
            }],
            requirements: "一要压实责任。\n\n二要按时报送。".into(),
            words,
        };
        let bytes = docx(&c).unwrap();
        let text = docx_text(&bytes).unwrap();
        for expected in [
            "〔　　〕号",
            "关于《就业创业实施方案》落实情况的通报",
            "按时报送：甲局",
            "逾期未报：无",
            "甲局 & <乙>",
            "96.5",
            "二要按时报送。",
            "2026年4月20日",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
    }
}
