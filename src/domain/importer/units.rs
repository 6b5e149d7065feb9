//! Responsible units (责任单位) of one measure: finding the clause that names them and reading
//! the names and their roles out of it.
//!
//! The conventions Chinese plans use, all accepted with ASCII or full-width punctuation:
//! - a list, first listed leads: `(A、B、C等负责。列第一位者为牵头单位,下同)`, `(A、B负责)`;
//! - labels: `(牵头单位:A;配合单位:B、C)`, `(牵头部门:A,配合部门:B、C)`, `(责任单位:A、B)`;
//! - verbs: `(A牵头,B、C配合)`;
//! - a scope prefix written once for a run of names: `地区发改委、财政局` is 地区发改委 and
//!   地区财政局.

use super::text::{fold_punct, split_top_level, top_level_groups, trim};

/// 牵头 (lead) or 配合 (co-responsible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Lead,
    Co,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Co => "co",
        }
    }
}

/// One unit as the measure names it, after the run's scope prefix has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedUnit {
    /// As written in the text (`财政局`).
    pub written: String,
    /// With the run's scope prefix (`地区财政局`); equal to `written` when none applies.
    pub full: String,
    pub role: Role,
    /// A title of another level than the run it stands in (a provincial `财政厅` among
    /// prefecture units): kept as written and flagged, never merged silently.
    pub out_of_place: bool,
}

/// What the responsibility clause of a measure yields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Clause {
    pub units: Vec<NamedUnit>,
    /// Byte range of the clause in the measure text, to keep it out of the measure's title.
    pub span: Option<(usize, usize)>,
    /// More than one unit under a lead label: the first leads, the others are co units.
    pub several_leads: bool,
    /// A deadline the clause gives (`完成时限：2018年底前`, `长期坚持`), as written.
    pub deadline: Option<String>,
}

/// Scope prefixes that a run of names shares when written once (`地区发改委、财政局`).
const SCOPES: &[&str] = &[
    "自治区",
    "地区",
    "地委",
    "行署",
    "自治州",
    "省",
    "州",
    "市",
    "县",
    "区",
];
/// Scopes below the provincial level: a `…厅` under one of them is out of place.
const SUB_PROVINCIAL: &[&str] = &["地区", "地委", "行署", "自治州", "州", "市", "县", "区"];
/// Starts that give a name its own scope, so no run prefix is added to it.
const OWN_SCOPE_STARTS: &[&str] = &[
    "各", "全", "人行", "中国", "国家", "中央", "兵团", "新疆", "驻", "武警", "国网",
];

const LEAD_LABELS: &[&str] = &["牵头单位", "牵头部门", "主责单位", "主责部门"];
const CO_LABELS: &[&str] = &[
    "配合单位",
    "配合部门",
    "协办单位",
    "协办部门",
    "参与单位",
    "参与部门",
];
const RESPONSIBLE_LABELS: &[&str] = &[
    "主要责任单位",
    "责任单位",
    "责任部门",
    "负责单位",
    "负责部门",
];
/// Phrases that mark a clause as naming responsible units.
const MARKERS: &[&str] = &[
    "负责",
    "牵头",
    "配合",
    "责任单位",
    "责任部门",
    "协办",
    "参与单位",
    "参与部门",
];
/// Generic phrases that name no real unit.
const GENERIC: &[&str] = &[
    "有关部门",
    "相关部门",
    "各有关部门",
    "各相关部门",
    "有关单位",
    "相关单位",
    "各有关单位",
    "各相关单位",
];

/// Finds and reads the responsibility clauses of a measure's text. `place` is the document's
/// own place name (塔城), which gives names such as 塔城银监分局 their own scope.
///
/// A measure with several sub-tasks may give each its own clause (`…（A负责）；…（B、C负责）`):
/// the units are the union in order of appearance; the first unit of the first clause leads
/// unless a label (`牵头单位：`) says otherwise.
pub fn parse_clause(text: &str, place: Option<&str>) -> Clause {
    let groups: Vec<_> = top_level_groups(text)
        .into_iter()
        .filter(|g| MARKERS.iter().any(|m| g.content.contains(m)))
        .collect();
    if groups.is_empty() {
        return match unparenthesised_clause(text) {
            Some((start, content)) => {
                let mut clause = read_units(&content, place);
                clause.span = Some((start, text.len()));
                clause
            }
            None => Clause::default(),
        };
    }
    if groups.len() == 1 {
        let mut clause = read_units(&groups[0].content, place);
        clause.span = Some((groups[0].start, groups[0].end));
        return clause;
    }
    let read: Vec<Clause> = groups
        .iter()
        .map(|g| read_units(&g.content, place))
        .collect();
    let labelled_lead = groups
        .iter()
        .zip(&read)
        .find(|(g, c)| {
            LEAD_LABELS
                .iter()
                .any(|l| fold_punct(&g.content).contains(&format!("{l}:")))
                && c.units.iter().any(|u| u.role == Role::Lead)
        })
        .and_then(|(_, c)| c.units.iter().find(|u| u.role == Role::Lead))
        .map(|u| u.full.clone());
    let mut out = Clause {
        span: Some((groups[0].start, groups[groups.len() - 1].end)),
        ..Clause::default()
    };
    let mut seen = std::collections::HashSet::new();
    for c in read {
        out.several_leads |= c.several_leads;
        for u in c.units {
            if seen.insert(u.full.clone()) {
                out.units.push(u.with_role(Role::Co));
            }
        }
    }
    let lead = labelled_lead.or_else(|| out.units.first().map(|u| u.full.clone()));
    if let Some(lead) = lead {
        if let Some(u) = out.units.iter_mut().find(|u| u.full == lead) {
            u.role = Role::Lead;
        }
    }
    out
}

/// Labels that give a deadline inside a responsibility clause.
const DEADLINE_LABELS: &[&str] = &[
    "完成时限",
    "时间节点",
    "完成时间",
    "时限",
    "完成期限",
    "截止时间",
];

/// Parts of a responsibility clause that name no unit: when or where, how long, how.
fn is_not_units(segment: &str) -> bool {
    const LABELS: &[&str] = &[
        "适用范围",
        "完成时限",
        "时间节点",
        "完成时间",
        "时限",
        "进度安排",
        "时间安排",
        "截止时间",
        "完成期限",
        "实施时间",
    ];
    const PHRASES: &[&str] = &[
        "持续推进",
        "长期坚持",
        "长期推进",
        "持续实施",
        "逐步推进",
        "按职责分工负责",
        "按职责分工落实",
        "分别负责",
        "按职责负责",
        "各自负责",
        "按职能分工负责",
    ];
    let s = trim(segment);
    if LABELS
        .iter()
        .chain(DEADLINE_LABELS)
        .any(|l| s.starts_with(l))
        || PHRASES.contains(&s)
    {
        return true;
    }
    // A date or year: 2019年底前, 2019年12月31日前, 每年年底前.
    let unit_endings = [
        "局", "委", "部", "厅", "办", "院", "会", "行", "所", "署", "处", "中心", "政府", "公司",
        "队",
    ];
    let dated =
        (s.chars().any(|c| c.is_ascii_digit()) || s.starts_with("每年") || s.starts_with("每季度"))
            && ["年", "月", "日", "底", "前", "季度"]
                .iter()
                .any(|w| s.contains(w));
    dated && !unit_endings.iter().any(|e| s.ends_with(e))
}

/// `列第一位者为牵头单位,下同` and its variants: a note on how to read the list, not a name.
fn is_convention_note(s: &str) -> bool {
    ["第一位", "首位", "排名第一", "第一个", "排在第一", "下同"]
        .iter()
        .any(|m| s.contains(m))
}

/// A line that is only a label naming units: `责任单位：A、B`, `牵头单位：A；配合单位：B`.
pub fn is_label_line(line: &str) -> bool {
    let folded = fold_punct(line);
    LEAD_LABELS
        .iter()
        .chain(RESPONSIBLE_LABELS)
        .any(|l| folded.starts_with(&format!("{l}:")))
}

/// `责任单位：A、B` written without parentheses, at the end of the measure.
fn unparenthesised_clause(text: &str) -> Option<(usize, String)> {
    let labels = LEAD_LABELS.iter().chain(RESPONSIBLE_LABELS);
    let start = labels
        .filter_map(|l| {
            text.match_indices(l)
                .map(|(i, _)| i)
                .find(|i| text[i + l.len()..].starts_with([':', '：']))
        })
        .min()?;
    let content = text[start..]
        .trim_end_matches(|c: char| c == '。' || super::text::is_space(c))
        .to_string();
    Some((start, content))
}

/// Reads names and roles out of the clause's content.
fn read_units(content: &str, place: Option<&str>) -> Clause {
    let folded = fold_punct(content);
    // Drop the convention note, dates, durations and 按职责分工负责: they are not names. A
    // deadline among them is kept apart.
    let segments = split_top_level(&folded, &['。', ';', ',']);
    let deadline = segments.iter().find_map(|s| deadline_in(s));
    let body: String = segments
        .into_iter()
        .filter(|s| !is_convention_note(s) && !is_not_units(s))
        .collect::<Vec<_>>()
        .join(";");
    let mut clause = read_body(&body, place);
    clause.deadline = deadline;
    clause
}

/// The deadline a segment of a clause gives, as written.
fn deadline_in(segment: &str) -> Option<String> {
    let s = trim(segment);
    for label in [
        "完成时限",
        "时间节点",
        "完成时间",
        "时限",
        "完成期限",
        "截止时间",
    ] {
        if let Some(rest) = s.strip_prefix(label) {
            let rest = trim(rest.trim_start_matches([':', '：']));
            return (!rest.is_empty()).then(|| rest.to_string());
        }
    }
    let dated = super::deadline::parse(s, Some(2000)).is_some();
    (dated || super::deadline::is_ongoing(s) && s.chars().count() <= 8).then(|| s.to_string())
}

fn read_body(body: &str, place: Option<&str>) -> Clause {
    let body = body.to_string();

    if let Some(segments) = labelled_segments(&body) {
        return from_labels(&segments, place);
    }
    if let Some(clause) = from_verbs(&body, place) {
        return clause;
    }
    let names = names_of(strip_verb(&body));
    let marked = names.iter().any(|n| lead_marked(n).1);
    let wanted = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let (name, lead) = lead_marked(&name);
            (name, if marked { lead } else { i == 0 })
        })
        .collect();
    assign_roles(wanted, place)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Lead,
    Co,
    Responsible,
}

/// Splits `牵头单位:A;配合单位:B、C` into labelled segments; `None` when no label is there.
fn labelled_segments(body: &str) -> Option<Vec<(Label, String)>> {
    let all: Vec<(&str, Label)> = RESPONSIBLE_LABELS
        .iter()
        .map(|l| (*l, Label::Responsible))
        .chain(LEAD_LABELS.iter().map(|l| (*l, Label::Lead)))
        .chain(CO_LABELS.iter().map(|l| (*l, Label::Co)))
        .collect();
    let mut hits: Vec<(usize, usize, Label)> = Vec::new();
    for (label, kind) in &all {
        for (i, _) in body.match_indices(label) {
            let after = i + label.len();
            // 主要责任单位 contains 责任单位: keep only the longest label at a position.
            let inside_longer = hits.iter().any(|(s, e, _)| *s <= i && after <= *e);
            if body[after..].starts_with(':') && !inside_longer {
                hits.push((i, after + 1, *kind));
            }
        }
    }
    if hits.is_empty() {
        return None;
    }
    hits.sort_by_key(|h| h.0);
    let segments = hits
        .iter()
        .enumerate()
        .map(|(n, (_, content_start, kind))| {
            let end = hits.get(n + 1).map_or(body.len(), |h| h.0);
            (*kind, body[*content_start..end].to_string())
        })
        .collect();
    Some(segments)
}

fn from_labels(segments: &[(Label, String)], place: Option<&str>) -> Clause {
    let has_lead_label = segments.iter().any(|(k, _)| *k == Label::Lead);
    let marked = segments
        .iter()
        .any(|(_, t)| names_of(strip_verb(t)).iter().any(|n| lead_marked(n).1));
    let mut wanted = Vec::new();
    for (kind, text) in segments {
        for (i, name) in names_of(strip_verb(text)).into_iter().enumerate() {
            let (name, marked_lead) = lead_marked(&name);
            let wants_lead = match kind {
                Label::Lead => true,
                Label::Co => false,
                Label::Responsible if marked => marked_lead,
                Label::Responsible => !has_lead_label && i == 0,
            };
            wanted.push((name, wants_lead));
        }
    }
    assign_roles(wanted, place)
}

/// `市人社局（牵头）`: a unit marked as the lead inside a list.
fn lead_marked(name: &str) -> (String, bool) {
    for mark in ["(牵头)", "(牵头单位)", "(牵头部门)", "（牵头）"] {
        if let Some(stem) = name.strip_suffix(mark) {
            return (stem.to_string(), true);
        }
    }
    (name.to_string(), false)
}

/// `A牵头,B、C配合`: parts ending with a verb that says the role.
fn from_verbs(body: &str, place: Option<&str>) -> Option<Clause> {
    let parts = split_top_level(body, &[',', ';']);
    let role_of = |p: &str| -> Option<(bool, usize)> {
        if let Some(stem) = p
            .strip_suffix("牵头负责")
            .or_else(|| p.strip_suffix("牵头"))
        {
            return Some((true, stem.len()));
        }
        ["配合", "参与", "协助", "协办"]
            .iter()
            .find_map(|v| p.strip_suffix(v).map(|stem| (false, stem.len())))
    };
    if !parts.iter().any(|p| role_of(p).is_some()) {
        return None;
    }
    // With a unit named 牵头, the others — even those that say 负责 — are co units.
    let explicit_lead = parts
        .iter()
        .any(|p| role_of(p).is_some_and(|(lead, _)| lead));
    let mut wanted = Vec::new();
    for part in &parts {
        let (lead, len) = match role_of(part) {
            Some(r) => r,
            // `A负责,B配合`: the part that merely says 负责 leads.
            None => (part.ends_with("负责") && !explicit_lead, part.len()),
        };
        for name in names_of(strip_verb(&part[..len])) {
            wanted.push((name, lead));
        }
    }
    Some(assign_roles(wanted, place))
}

/// Applies the scope prefix across the whole clause (a prefix on the lead carries into the
/// co units' list) and gives the lead role to the first unit that asks for it.
fn assign_roles(wanted: Vec<(String, bool)>, place: Option<&str>) -> Clause {
    let names: Vec<String> = wanted.iter().map(|(n, _)| n.clone()).collect();
    let mut clause = Clause::default();
    let mut leads_already = false;
    for (unit, (_, wants_lead)) in with_scope(&names, place).into_iter().zip(wanted) {
        clause.several_leads |= wants_lead && leads_already;
        let role = if wants_lead && !leads_already {
            leads_already = true;
            Role::Lead
        } else {
            Role::Co
        };
        clause.units.push(unit.with_role(role));
    }
    clause
}

/// Removes the closing verb phrase and `等` from a list of names.
fn strip_verb(s: &str) -> &str {
    let mut s = s.trim_end_matches([';', ',', '.', '。']);
    for suffix in [
        "按照职责分工负责",
        "按职责分工负责",
        "按职能分工负责",
        "按职责负责",
        "分别负责",
        "共同负责",
        "负责落实",
        "具体负责",
        "负责",
    ] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest;
            break;
        }
    }
    for suffix in ["等部门", "等单位", "等"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            return rest;
        }
    }
    s
}

/// The names in a list separated by `、` or commas; generic phrases are dropped.
fn names_of(list: &str) -> Vec<String> {
    split_top_level(list, &['、', ',', ';'])
        .into_iter()
        // `B等和各有关省级人民政府`, `A会同有关部门`: joiners between names.
        .flat_map(|n| {
            let mut parts = vec![n];
            for joiner in [
                "等有关部门和",
                "等相关部门和",
                "等部门和",
                "等部门及",
                "等单位和",
                "等和",
                "等及",
                "以及",
                "会同",
            ] {
                parts = parts
                    .into_iter()
                    .flat_map(|p| p.split(joiner).map(str::to_string).collect::<Vec<_>>())
                    .collect();
            }
            parts
        })
        // `财政部等有关部门`: the tail after 等 names everyone concerned.
        .map(|n| match n.rfind('等') {
            Some(i)
                if is_catch_all(&n[i + '等'.len_utf8()..])
                    || n[i + '等'.len_utf8()..].is_empty() =>
            {
                n[..i].to_string()
            }
            _ => n,
        })
        .map(|n| {
            trim(&n)
                .trim_matches(['“', '”', '"', '\'', '‘', '’'])
                .trim_start_matches('由')
                .trim_end_matches('等')
                .to_string()
        })
        .filter(|n| !n.is_empty() && !is_catch_all(n))
        .collect()
}

/// `有关部门`, `各有关单位`, `各地区各有关部门`, `其他相关部门和单位`: everyone concerned, not a
/// unit. (`各有关省级人民政府` names who, and stays.)
fn is_catch_all(name: &str) -> bool {
    if GENERIC.contains(&name) {
        return true;
    }
    let mut rest = name;
    loop {
        let before = rest;
        for p in [
            "各地区",
            "各地",
            "各级",
            "各",
            "有关",
            "相关",
            "其他",
            "其它",
            "地方",
            "及",
            "和",
        ] {
            rest = rest.strip_prefix(p).unwrap_or(rest);
        }
        for p in ["部门", "单位"] {
            rest = rest.strip_prefix(p).unwrap_or(rest);
        }
        if rest == before {
            break;
        }
    }
    rest.is_empty() || ["方面", "各方"].contains(&rest)
}

/// The scope prefix a name starts with, if it is one that a run of names can share.
pub fn scope_prefix(name: &str) -> Option<&'static str> {
    SCOPES.iter().copied().find(|p| {
        name.strip_prefix(p).is_some_and(|rest| {
            rest.chars().count() >= 2
                // 市场监管局 is a market regulator, not a city unit.
                && !(*p == "市" && rest.starts_with('场'))
                && !(*p == "区" && rest.starts_with('域'))
        })
    })
}

fn has_own_scope(name: &str, place: Option<&str>) -> bool {
    OWN_SCOPE_STARTS.iter().any(|s| name.starts_with(s))
        || name.ends_with("人民政府")
        || place.is_some_and(|p| name.contains(p))
        // 团市委, 团县委: the level is inside the name.
        || ["市委", "县委", "区委", "州委", "省委", "地委"]
            .iter()
            .any(|w| name.contains(w))
}

/// Applies a run's scope prefix to the names that follow it without their own.
fn with_scope(names: &[String], place: Option<&str>) -> Vec<NamedUnit> {
    let mut prefix: Option<&str> = None;
    names
        .iter()
        .map(|name| {
            let mut unit = NamedUnit {
                written: name.clone(),
                full: name.clone(),
                role: Role::Co,
                out_of_place: false,
            };
            if let Some(p) = scope_prefix(name) {
                prefix = Some(p);
            } else if !has_own_scope(name, place) {
                if let Some(p) = prefix {
                    if name.ends_with('厅') && SUB_PROVINCIAL.contains(&p) {
                        unit.out_of_place = true;
                    } else {
                        unit.full = format!("{p}{name}");
                    }
                }
            }
            unit
        })
        .collect()
}

impl NamedUnit {
    fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(c: &Clause) -> Vec<(String, Role)> {
        c.units.iter().map(|u| (u.full.clone(), u.role)).collect()
    }

    pub(super) fn lead_co(c: &Clause) -> (Option<String>, Vec<String>) {
        let lead = c
            .units
            .iter()
            .find(|u| u.role == Role::Lead)
            .map(|u| u.full.clone());
        let co = c
            .units
            .iter()
            .filter(|u| u.role == Role::Co)
            .map(|u| u.full.clone())
            .collect();
        (lead, co)
    }

    #[test]
    fn list_with_convention_note_first_leads() {
        let c = parse_clause(
            "促进联动。(地区发改委、财政局、经信委等负责。列第一位者为牵头单位,下同)",
            None,
        );
        assert_eq!(
            lead_co(&c),
            (
                Some("地区发改委".into()),
                vec!["地区财政局".into(), "地区经信委".into()]
            )
        );
        assert!(c.span.is_some());
    }

    #[test]
    fn list_with_full_width_punctuation_and_without_deng() {
        let c = parse_clause("做好工作。（市人社局、财政局负责）", None);
        assert_eq!(
            lead_co(&c),
            (Some("市人社局".into()), vec!["市财政局".into()])
        );
    }

    #[test]
    fn names_with_parentheses_and_comma_separators() {
        let c = parse_clause(
            "转移就业。(地区人社局、经信委,各县(市)人民政府等负责)",
            None,
        );
        assert_eq!(
            roles(&c),
            vec![
                ("地区人社局".into(), Role::Lead),
                ("地区经信委".into(), Role::Co),
                ("各县(市)人民政府".into(), Role::Co),
            ]
        );
    }

    #[test]
    fn labels_with_semicolon_and_with_comma_in_both_punctuations() {
        for text in [
            "推进。(牵头单位:县发改委;配合单位:财政局、住建局)",
            "推进。（牵头单位：县发改委；配合单位：财政局、住建局）",
            "推进。(牵头部门:县发改委,配合部门:财政局、住建局)",
            "推进。（牵头部门：县发改委，配合部门：财政局、住建局）",
            "推进。（责任单位：县发改委、财政局、住建局）",
            "推进。(县发改委牵头,财政局、住建局配合)",
        ] {
            let c = parse_clause(text, None);
            assert_eq!(
                lead_co(&c),
                (
                    Some("县发改委".into()),
                    vec!["县财政局".into(), "县住建局".into()]
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn responsible_label_beside_a_lead_label_means_co() {
        let c = parse_clause(
            "推进。(牵头单位:市委宣传部;责任单位:市文旅局、市教育局)",
            None,
        );
        assert_eq!(
            lead_co(&c),
            (
                Some("市委宣传部".into()),
                vec!["市文旅局".into(), "市教育局".into()]
            )
        );
    }

    #[test]
    fn several_lead_units_keep_the_first_as_lead_and_say_so() {
        let c = parse_clause(
            "推进。(牵头单位:市发改委、市财政局;配合单位:市统计局)",
            None,
        );
        assert!(c.several_leads);
        assert_eq!(
            lead_co(&c),
            (
                Some("市发改委".into()),
                vec!["市财政局".into(), "市统计局".into()]
            )
        );
    }

    #[test]
    fn a_provincial_title_in_a_prefecture_run_is_kept_as_written_and_flagged() {
        let c = parse_clause(
            "拓宽渠道。(人行塔城地区中心支行、地区发改委、财政厅、人社局、塔城银监分局等负责)",
            Some("塔城"),
        );
        let units: Vec<_> = c
            .units
            .iter()
            .map(|u| (u.full.as_str(), u.out_of_place))
            .collect();
        assert_eq!(
            units,
            vec![
                ("人行塔城地区中心支行", false),
                ("地区发改委", false),
                ("财政厅", true),
                ("地区人社局", false),
                ("塔城银监分局", false),
            ]
        );
    }

    #[test]
    fn a_new_scope_in_the_run_replaces_the_old_one() {
        let c = parse_clause("优化。(地区发改委、地委编办、地区工商局等负责)", None);
        let full: Vec<_> = c.units.iter().map(|u| u.full.as_str()).collect();
        assert_eq!(full, vec!["地区发改委", "地委编办", "地区工商局"]);
    }

    #[test]
    fn market_regulator_is_not_a_city_unit() {
        assert_eq!(scope_prefix("市场监管局"), None);
        assert_eq!(scope_prefix("市市场监管局"), Some("市"));
        assert_eq!(scope_prefix("地区财政局"), Some("地区"));
    }

    #[test]
    fn prose_parentheses_are_not_a_clause() {
        let c = parse_clause("领取营业执照(或其他法定注册登记手续)的,给予资助。", None);
        assert!(c.units.is_empty());
        assert_eq!(c.span, None);
    }

    #[test]
    fn the_last_responsibility_group_wins() {
        let c = parse_clause(
            "由各县(市)负责组织(含园区)。(地区统计局、教育局等负责)",
            None,
        );
        assert_eq!(lead_co(&c).0.as_deref(), Some("地区统计局"));
    }

    #[test]
    fn a_label_without_parentheses_at_the_end_of_the_text() {
        let c = parse_clause("加强宣传。责任单位：市委宣传部、市人社局。", None);
        assert_eq!(
            lead_co(&c),
            (Some("市委宣传部".into()), vec!["市人社局".into()])
        );
    }

    #[test]
    fn generic_phrases_are_not_units() {
        let c = parse_clause("落实。(县人社局、有关部门等负责)", None);
        assert_eq!(c.units.len(), 1);
    }
}

#[cfg(test)]
mod conventions {
    //! Every common way of naming units, in both kinds of punctuation.
    use super::*;

    fn read(text: &str) -> (Option<String>, Vec<String>) {
        super::tests::lead_co(&parse_clause(text, None))
    }

    fn expect(text: &str, lead: &str, co: &[&str]) {
        let want = (
            Some(lead.to_string()),
            co.iter().map(|s| s.to_string()).collect(),
        );
        assert_eq!(read(text), want, "{text}");
        // The same in ASCII punctuation (and without spaces).
        let ascii = fold_punct(text);
        assert_eq!(read(&ascii), want, "{ascii}");
    }

    #[test]
    fn labels_of_every_kind() {
        expect(
            "做好工作。（牵头单位：市人社局；配合单位：市财政局、市教育局）",
            "市人社局",
            &["市财政局", "市教育局"],
        );
        expect(
            "做好工作。（牵头部门：市人社局，配合部门：市财政局）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（责任单位：市人社局、市财政局）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（责任部门：市人社局、市财政局）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（负责部门：市人社局、市财政局）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（主责单位：市人社局；参与单位：市财政局）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（牵头单位：市人社局；协办单位：市财政局）",
            "市人社局",
            &["市财政局"],
        );
    }

    #[test]
    fn clauses_that_are_not_units_are_left_out() {
        expect(
            "做好工作。（牵头单位：市人社局；配合单位：市财政局；完成时限：2019年底前）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（市人社局、市财政局按职责分工负责，持续推进）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（市人社局、市财政局分别负责，长期坚持）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（适用范围：全市；责任单位：市人社局）",
            "市人社局",
            &[],
        );
        expect(
            "做好工作。（市人社局负责，时间节点：2019年6月）",
            "市人社局",
            &[],
        );
        expect(
            "做好工作。（市人社局负责，2019年12月底前完成）",
            "市人社局",
            &[],
        );
    }

    #[test]
    fn tails_and_joiners() {
        expect(
            "做好工作。（教育部、人力资源社会保障部等负责）",
            "教育部",
            &["人力资源社会保障部"],
        );
        expect(
            "做好工作。（教育部、财政部等有关部门负责）",
            "教育部",
            &["财政部"],
        );
        expect(
            "做好工作。（教育部、财政部等有关部门和单位负责）",
            "教育部",
            &["财政部"],
        );
        expect("做好工作。（教育部会同有关部门负责）", "教育部", &[]);
        expect(
            "做好工作。（国家发展改革委、财政部等和各有关省级人民政府负责）",
            "国家发展改革委",
            &["财政部", "各有关省级人民政府"],
        );
        expect("做好工作。（教育部牵头负责）", "教育部", &[]);
        expect(
            "做好工作。（教育部牵头，财政部、人民银行参与）",
            "教育部",
            &["财政部", "人民银行"],
        );
    }

    #[test]
    fn forms_of_national_and_city_documents() {
        expect(
            "做好工作。（人力资源社会保障部牵头，教育部、财政部等按职责分工负责）",
            "人力资源社会保障部",
            &["教育部", "财政部"],
        );
        expect(
            "做好工作。（国家发展改革委、财政部等部门和各省级人民政府负责）",
            "国家发展改革委",
            &["财政部", "各省级人民政府"],
        );
        expect(
            "做好工作。（责任单位：市财政局、市人社局（牵头）、市教育局）",
            "市人社局",
            &["市财政局", "市教育局"],
        );
        expect(
            "做好工作。（市财政局、市人社局（牵头）负责）",
            "市人社局",
            &["市财政局"],
        );
        expect(
            "做好工作。（教育部、财政部等有关部门和单位负责）",
            "教育部",
            &["财政部"],
        );
    }

    #[test]
    fn two_leads_named_by_the_verb() {
        let c = parse_clause("做好工作。（教育部、财政部牵头，人民银行配合）", None);
        let r: Vec<(&str, Role)> = c.units.iter().map(|u| (u.full.as_str(), u.role)).collect();
        assert_eq!(
            r,
            [
                ("教育部", Role::Lead),
                ("财政部", Role::Co),
                ("人民银行", Role::Co)
            ]
        );
        assert!(c.several_leads);
    }

    #[test]
    fn the_convention_sentence_in_its_forms() {
        for note in [
            "列第一位者为牵头单位",
            "排在第一位的部门为牵头部门",
            "第一个为牵头单位",
            "列第一位者为牵头单位，下同",
        ] {
            expect(
                &format!("做好工作。（教育部、财政部负责，{note}）"),
                "教育部",
                &["财政部"],
            );
        }
    }

    #[test]
    fn several_groups_in_one_measure_are_one_list_in_order() {
        expect(
            "加强培训（市人社局负责）；完善补贴（市财政局、市人社局负责）；做好宣传（市委宣传部负责）。",
            "市人社局",
            &["市财政局", "市委宣传部"],
        );
        // A label in a later group says who leads.
        expect(
            "加强培训（市教育局负责）；完善补贴（牵头单位：市财政局）。",
            "市财政局",
            &["市教育局"],
        );
    }
}

/// One sub-task of a measure and the units its own clause names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Part {
    /// The sentence the clause closes, without the clause.
    pub task: String,
    pub units: Vec<String>,
}

/// Who does which part of a measure whose sub-tasks each name their units
/// (`加强培训（市人社局负责）；完善补贴（市财政局负责）`). Empty when the measure has one clause or
/// none: then the measure's units do all of it.
pub fn parts_of(text: &str, place: Option<&str>) -> Vec<Part> {
    let groups: Vec<_> = top_level_groups(text)
        .into_iter()
        .filter(|g| MARKERS.iter().any(|m| g.content.contains(m)))
        .collect();
    if groups.len() < 2 {
        return Vec::new();
    }
    let mut parts = Vec::new();
    let mut from = 0;
    for g in &groups {
        let before = &text[from..g.start];
        // The sentence runs back to the last full stop or semicolon before the clause.
        let start = before.rfind(['。', '；', ';']).map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
        let task = trim(&before[start..])
            .trim_start_matches(['，', ','])
            .to_string();
        let units = read_units(&g.content, place)
            .units
            .into_iter()
            .map(|u| u.full)
            .collect();
        parts.push(Part { task, units });
        from = g.end;
    }
    parts
}

#[cfg(test)]
mod parts {
    use super::*;

    #[test]
    fn each_sub_task_keeps_its_own_units() {
        let text = "完善就业政策。加强培训（市人社局负责）；完善补贴（市财政局、市人社局负责）；做好宣传（市委宣传部负责）。";
        let parts = parts_of(text, None);
        let got: Vec<(&str, Vec<&str>)> = parts
            .iter()
            .map(|p| {
                (
                    p.task.as_str(),
                    p.units.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("加强培训", vec!["市人社局"]),
                ("完善补贴", vec!["市财政局", "市人社局"]),
                ("做好宣传", vec!["市委宣传部"]),
            ]
        );
        assert!(parts_of("做好工作。（市人社局负责）", None).is_empty());
    }
}
