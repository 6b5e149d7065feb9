//! Task-division tables (任务分工表): the commonest form of a local plan's annex, one measure
//! per row, with columns such as 序号, 工作任务, 牵头单位, 配合单位 and 完成时限 in any order,
//! the header possibly on two rows (责任单位 over 牵头单位 | 配合单位), and rows that span
//! the table for a section. The rows arrive tab-separated: a `.docx` table is read so (a
//! merged cell repeating its text), and so is a table pasted from Excel (a cell holding
//! line breaks in quotes).

use super::text::trim;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Number,
    Task,
    Lead,
    Co,
    /// 责任单位 without a separate lead column: the first unit listed leads.
    Responsible,
    Deadline,
    Other,
}

/// One row of the table's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A row spanning the table: a section heading (`一、稳定和扩大就业`).
    Section(String),
    Task(Task),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Task {
    pub number: Option<String>,
    pub task: String,
    pub lead: String,
    pub co: String,
    pub responsible: String,
    pub deadline: String,
}

/// A table found in the text: the lines it spans and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTable {
    /// Index of the header's first line.
    pub start: usize,
    pub rows: Vec<Row>,
}

impl TaskTable {
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        self.rows.iter().filter_map(|r| match r {
            Row::Task(t) => Some(t),
            Row::Section(_) => None,
        })
    }
}

fn column_of(header: &str) -> Option<Column> {
    let h: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if h.is_empty() || h.chars().count() > 12 {
        return None;
    }
    Some(if h == "序号" || h == "编号" || h == "序" {
        Column::Number
    } else if has(&["牵头单位", "牵头部门", "主责单位", "主责部门", "牵头"]) {
        Column::Lead
    } else if has(&[
        "配合单位",
        "配合部门",
        "参与单位",
        "参与部门",
        "协办单位",
        "协办部门",
        "配合",
    ]) {
        Column::Co
    } else if has(&[
        "责任单位",
        "责任部门",
        "责任主体",
        "承办单位",
        "责任领导及单位",
    ]) {
        Column::Responsible
    } else if has(&[
        "时限",
        "时间节点",
        "完成时间",
        "进度安排",
        "时间安排",
        "截止时间",
    ]) {
        Column::Deadline
    } else if has(&[
        "任务",
        "措施",
        "工作内容",
        "重点工作",
        "主要内容",
        "具体内容",
        "工作要求",
    ]) {
        Column::Task
    } else {
        Column::Other
    })
}

/// Splits tab-separated lines into rows of cells. A cell in double quotes may hold line
/// breaks and doubled quotes, as Excel copies them.
fn rows_of(lines: &[&str]) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut chars: Vec<char> = lines[i].chars().collect();
        let mut j = 0;
        let mut quoted = false;
        let mut at_cell_start = true;
        loop {
            if j == chars.len() {
                if quoted && i + 1 < lines.len() {
                    // The quoted cell goes on on the next line.
                    i += 1;
                    cell.push(' ');
                    chars = lines[i].chars().collect();
                    j = 0;
                    continue;
                }
                break;
            }
            let c = chars[j];
            if at_cell_start && c == '"' {
                quoted = true;
                at_cell_start = false;
            } else if quoted && c == '"' {
                if chars.get(j + 1) == Some(&'"') {
                    cell.push('"');
                    j += 1;
                } else {
                    quoted = false;
                }
            } else if !quoted && c == '\t' {
                cells.push(std::mem::take(&mut cell));
                at_cell_start = true;
            } else {
                cell.push(c);
                at_cell_start = false;
            }
            j += 1;
        }
        cells.push(cell);
        out.push((start, cells.iter().map(|c| trim(c).to_string()).collect()));
        i += 1;
    }
    out
}

/// The columns of a header row, when it is one: a task column and a unit column at least.
fn header(cells: &[String]) -> Option<Vec<Column>> {
    let cols: Vec<Column> = cells
        .iter()
        .map(|c| column_of(c).unwrap_or(Column::Other))
        .collect();
    let known = cells
        .iter()
        .filter(|c| column_of(c).is_some_and(|k| k != Column::Other))
        .count();
    let has_task = cols.contains(&Column::Task);
    let has_units = cols
        .iter()
        .any(|c| matches!(c, Column::Lead | Column::Responsible | Column::Co));
    (has_task && has_units && known >= 2).then_some(cols)
}

/// The second row of a two-row header (`牵头单位 | 配合单位` under `责任单位`) refines the
/// first where its cells name a column.
fn refine(first: &[Column], second: &[String]) -> Option<Vec<Column>> {
    let named: Vec<Option<Column>> = second
        .iter()
        .map(|c| column_of(c).filter(|k| *k != Column::Other))
        .collect();
    let refines = named
        .iter()
        .any(|k| matches!(k, Some(Column::Lead | Column::Co)));
    let all_header = second
        .iter()
        .zip(&named)
        .all(|(text, k)| text.is_empty() || k.is_some() || column_of(text).is_some());
    if !refines || !all_header {
        return None;
    }
    Some(
        first
            .iter()
            .enumerate()
            .map(|(i, c)| named.get(i).copied().flatten().unwrap_or(*c))
            .collect(),
    )
}

/// Finds the first task-division table in `lines`.
pub fn find(lines: &[&str]) -> Option<TaskTable> {
    let tabbed: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].contains('\t'))
        .collect();
    let first = *tabbed.first()?;
    let rows = rows_of(&lines[first..]);
    let (pos, columns) = rows
        .iter()
        .enumerate()
        .find_map(|(n, (_, cells))| header(cells).map(|c| (n, c)))?;
    let mut columns = columns;
    let mut body_from = pos + 1;
    if let Some(refined) = rows.get(pos + 1).and_then(|(_, c)| refine(&columns, c)) {
        columns = refined;
        body_from += 1;
    }
    let start = first + rows[pos].0;
    let mut out = Vec::new();
    for (_, cells) in &rows[body_from..] {
        let non_empty: Vec<&String> = cells.iter().filter(|c| !c.is_empty()).collect();
        if non_empty.is_empty() {
            continue;
        }
        // The table ends where rows stop having its columns.
        if cells.len() < 2
            && !out.is_empty()
            && non_empty.len() == 1
            && !looks_like_section(non_empty[0])
        {
            break;
        }
        let all_same = non_empty.iter().all(|c| *c == non_empty[0]);
        if (non_empty.len() == 1 || all_same) && looks_like_section(non_empty[0]) {
            out.push(Row::Section(section_title(non_empty[0])));
            continue;
        }
        let get = |want: Column| -> String {
            let parts: Vec<&str> = columns
                .iter()
                .zip(cells)
                .filter(|(c, v)| **c == want && !v.is_empty())
                .map(|(_, v)| v.as_str())
                .collect();
            // A merged cell repeats its text across the columns it spans: once is enough.
            let mut unique: Vec<&str> = Vec::new();
            for p in parts {
                if !unique.contains(&p) {
                    unique.push(p);
                }
            }
            unique.join("；")
        };
        let task = Task {
            number: Some(get(Column::Number)).filter(|n| !n.is_empty()),
            task: get(Column::Task),
            lead: get(Column::Lead),
            co: get(Column::Co),
            responsible: get(Column::Responsible),
            deadline: get(Column::Deadline),
        };
        if task.task.is_empty() {
            continue;
        }
        out.push(Row::Task(task));
    }
    let table = TaskTable { start, rows: out };
    (table.tasks().count() > 0).then_some(table)
}

fn looks_like_section(text: &str) -> bool {
    let t = trim(text);
    let numbered = t
        .char_indices()
        .find(|(_, c)| matches!(c, '、' | '.' | '．'))
        .is_some_and(|(i, _)| {
            let head = &t[..i];
            !head.is_empty() && head.chars().all(|c| "一二三四五六七八九十".contains(c))
        });
    numbered || (t.chars().count() <= 30 && !t.contains(['。', '；', ';']))
}

fn section_title(text: &str) -> String {
    let t = trim(text);
    let rest = t
        .char_indices()
        .find(|(_, c)| matches!(c, '、' | '.' | '．'))
        .filter(|(i, _)| t[..*i].chars().all(|c| "一二三四五六七八九十".contains(c)) && *i > 0)
        .map_or(t, |(i, c)| &t[i + c.len_utf8()..]);
    trim(rest).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<&str> {
        s.lines().collect()
    }

    #[test]
    fn columns_in_any_order_with_a_section_row() {
        let text = "附件\n任务分工表\n\
                    工作任务\t序号\t完成时限\t配合单位\t牵头单位\n\
                    一、稳定和扩大就业\t一、稳定和扩大就业\t一、稳定和扩大就业\t一、稳定和扩大就业\t一、稳定和扩大就业\n\
                    做好高校毕业生就业。\t1\t2018年底前\t地区教育局、财政局\t地区人社局\n\
                    做好退役军人就业。\t2\t长期坚持\t\t地区退役军人事务局\n";
        let t = find(&lines(text)).unwrap();
        assert_eq!(t.start, 2);
        assert_eq!(t.rows[0], Row::Section("稳定和扩大就业".into()));
        let tasks: Vec<&Task> = t.tasks().collect();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].lead, "地区人社局");
        assert_eq!(tasks[0].co, "地区教育局、财政局");
        assert_eq!(tasks[0].deadline, "2018年底前");
        assert_eq!(tasks[1].number.as_deref(), Some("2"));
    }

    #[test]
    fn a_two_row_header_and_cells_pasted_from_excel() {
        let text = "序号\t重点任务\t责任单位\t责任单位\t时间节点\n\
                    序号\t重点任务\t牵头单位\t配合单位\t时间节点\n\
                    1\t\"加强就业服务，\n建立台账。\"\t市人社局\t市财政局\t2019年6月底前\n";
        let t = find(&lines(text)).unwrap();
        let task = t.tasks().next().unwrap();
        assert_eq!(task.task, "加强就业服务， 建立台账。");
        assert_eq!(
            (task.lead.as_str(), task.co.as_str()),
            ("市人社局", "市财政局")
        );
    }

    #[test]
    fn a_table_without_task_or_unit_columns_is_not_a_task_table() {
        assert_eq!(find(&lines("姓名\t电话\n张三\t123\n")), None);
        assert_eq!(find(&lines("序号\t工作任务\t责任单位\n")), None, "no rows");
    }
}
