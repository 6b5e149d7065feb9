//! The office's corrections to a parse, made in the import preview before anything is
//! stored: renaming a unit everywhere it appears (a typo, or the provincial 财政厅 that
//! should be the prefecture's 地区财政局), and replacing one measure's list of units. Applied
//! to the parse of the same text, so the preview and the stored document cannot drift apart.

use std::collections::HashMap;

use crate::i18n::tr;

use super::{ParsedAssignment, ParsedDepartment, ParsedDocument, Role, WarningKind};

/// What the office changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Corrections {
    /// A unit's name as parsed → the name it should have. Naming a unit that already exists
    /// (in the document or, later, in the directory) merges the two.
    pub renames: Vec<(String, String)>,
    /// A measure's units replaced, by its number: names in order, the first leads.
    pub units: Vec<(u32, Vec<String>)>,
}

impl Corrections {
    pub fn is_empty(&self) -> bool {
        self.renames.is_empty() && self.units.is_empty()
    }
}

/// Splits a typed list of units: 、，, ; ； or new lines.
pub fn split_units(list: &str) -> Vec<String> {
    list.split(['、', '，', ',', ';', '；', '\n'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The warnings about a measure's units, which a correction of that measure settles.
fn about_units(kind: WarningKind) -> bool {
    matches!(
        kind,
        WarningKind::NoUnit
            | WarningKind::NoLead
            | WarningKind::SeveralLeads
            | WarningKind::OutOfPlace
            | WarningKind::DuplicateUnit
    )
}

/// Applies the corrections. Warnings about the units of a measure the office corrected are
/// dropped: the office has looked and decided.
pub fn apply(doc: &ParsedDocument, c: &Corrections) -> Result<ParsedDocument, String> {
    let renamed: HashMap<&str, &str> = c
        .renames
        .iter()
        .map(|(from, to)| (from.as_str(), to.trim()))
        .collect();
    for (from, to) in &renamed {
        if to.is_empty() {
            return Err(tr("domain.corrections.empty_rename", &[("name", *from)]));
        }
        if to.chars().count() > 60 {
            return Err(tr("domain.corrections.name_too_long", &[("name", *to)]));
        }
        if !doc.departments.iter().any(|d| d.name == *from) {
            return Err(tr("domain.corrections.no_such_unit", &[("name", *from)]));
        }
    }
    for (number, names) in &c.units {
        let measure_error = |key: &str| tr(key, &[("number", &number.to_string())]);
        if !doc.measures.iter().any(|m| m.number == *number) {
            return Err(measure_error("domain.corrections.no_such_measure"));
        }
        if names.iter().any(|n| n.chars().count() > 60) {
            return Err(measure_error("domain.corrections.measure_unit_too_long"));
        }
        let mut seen = names.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != names.len() {
            return Err(measure_error("domain.corrections.measure_duplicate_unit"));
        }
    }

    // The departments after renaming, merged by final name, in first-seen order.
    let mut departments: Vec<ParsedDepartment> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    let mut intern = |name: &str, alias: Option<&str>, departments: &mut Vec<ParsedDepartment>| {
        let i = *index_of.entry(name.to_string()).or_insert_with(|| {
            departments.push(ParsedDepartment {
                name: name.to_string(),
                aliases: Vec::new(),
            });
            departments.len() - 1
        });
        if let Some(a) = alias.filter(|a| *a != name) {
            if !departments[i].aliases.iter().any(|x| x == a) {
                departments[i].aliases.push(a.to_string());
            }
        }
        i
    };
    let mut old_to_new = Vec::with_capacity(doc.departments.len());
    for d in &doc.departments {
        let name = renamed.get(d.name.as_str()).copied().unwrap_or(&d.name);
        let i = intern(name, Some(&d.name), &mut departments);
        for a in &d.aliases {
            if a != name && !departments[i].aliases.contains(a) {
                departments[i].aliases.push(a.clone());
            }
        }
        old_to_new.push(i);
    }

    let replaced: HashMap<u32, &Vec<String>> = c.units.iter().map(|(n, l)| (*n, l)).collect();
    let mut touched: Vec<u32> = replaced.keys().copied().collect();
    let mut measures = doc.measures.clone();
    for m in &mut measures {
        if let Some(names) = replaced.get(&m.number) {
            m.assignments = names
                .iter()
                .enumerate()
                .map(|(pos, name)| {
                    let name = renamed.get(name.as_str()).copied().unwrap_or(name);
                    ParsedAssignment {
                        department: intern(name, None, &mut departments),
                        role: if pos == 0 { Role::Lead } else { Role::Co },
                    }
                })
                .collect();
            continue;
        }
        let mut renamed_here = false;
        let mut assignments: Vec<ParsedAssignment> = Vec::new();
        // Where each unit already stands in `assignments` (a measure may list thousands).
        let mut position: HashMap<usize, usize> = HashMap::new();
        for a in &m.assignments {
            let to = old_to_new[a.department];
            renamed_here |= renamed.contains_key(doc.departments[a.department].name.as_str());
            // Two units renamed into one: the stronger role stays.
            match position.get(&to) {
                Some(&at) => {
                    if a.role == Role::Lead {
                        assignments[at].role = Role::Lead;
                    }
                }
                None => {
                    position.insert(to, assignments.len());
                    assignments.push(ParsedAssignment {
                        department: to,
                        role: a.role,
                    });
                }
            }
        }
        m.assignments = assignments;
        if renamed_here {
            touched.push(m.number);
        }
    }

    // Departments no assignment uses any more (all their measures were re-assigned) go.
    let mut used = vec![false; departments.len()];
    for a in measures.iter().flat_map(|m| &m.assignments) {
        used[a.department] = true;
    }
    let mut remap = vec![usize::MAX; departments.len()];
    let mut kept = Vec::new();
    for (i, d) in departments.into_iter().enumerate() {
        if used[i] {
            remap[i] = kept.len();
            kept.push(d);
        }
    }
    for m in &mut measures {
        for a in &mut m.assignments {
            a.department = remap[a.department];
        }
    }

    let warnings = doc
        .warnings
        .iter()
        .filter(|w| !(about_units(w.kind) && w.measure.is_some_and(|n| touched.contains(&n))))
        .cloned()
        .collect();
    Ok(ParsedDocument {
        measures,
        departments: kept,
        warnings,
        ..doc.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::importer::parse;

    const SEED: &str = include_str!("../../../config/documents/tacheng-2018-10-employment.txt");

    #[test]
    fn renaming_the_provincial_unit_merges_it_and_settles_its_warning() {
        let doc = parse(SEED).unwrap();
        assert!(doc.departments.iter().any(|d| d.name == "财政厅"));
        let m15 = doc.measures.iter().find(|m| m.number == 15).unwrap();
        assert!(doc.co_of(m15).contains(&"财政厅") || doc.lead_of(m15) == Some("财政厅"));
        let c = Corrections {
            renames: vec![("财政厅".into(), "地区财政局".into())],
            units: vec![],
        };
        let fixed = apply(&doc, &c).unwrap();
        assert!(!fixed.departments.iter().any(|d| d.name == "财政厅"));
        let finance = fixed
            .departments
            .iter()
            .find(|d| d.name == "地区财政局")
            .unwrap();
        assert!(finance.aliases.contains(&"财政厅".to_string()));
        assert_eq!(fixed.departments.len(), doc.departments.len() - 1);
        assert!(!fixed.warnings.iter().any(|w| w.measure == Some(15)));
        assert!(
            fixed.warnings.iter().any(|w| w.measure == Some(24)),
            "others stay"
        );
        // Every assignment still points at a department.
        for m in &fixed.measures {
            for a in &m.assignments {
                assert!(a.department < fixed.departments.len());
            }
        }
    }

    #[test]
    fn a_measure_without_a_unit_gets_its_units_and_the_first_leads() {
        let doc = parse(SEED).unwrap();
        let c = Corrections {
            renames: vec![],
            units: vec![(24, split_units("地区人社局、 财政局,新设办公室"))],
        };
        let fixed = apply(&doc, &c).unwrap();
        let m24 = fixed.measures.iter().find(|m| m.number == 24).unwrap();
        assert_eq!(fixed.lead_of(m24), Some("地区人社局"));
        assert_eq!(fixed.co_of(m24), ["财政局", "新设办公室"]);
        assert!(!fixed.warnings.iter().any(|w| w.measure == Some(24)));
        assert!(fixed.departments.iter().any(|d| d.name == "新设办公室"));
    }

    #[test]
    fn bad_corrections_are_refused_in_words() {
        let doc = parse(SEED).unwrap();
        let bad = |c: Corrections| apply(&doc, &c).unwrap_err();
        assert!(bad(Corrections {
            renames: vec![("财政厅".into(), " ".into())],
            units: vec![]
        })
        .contains("不能为空"));
        assert!(bad(Corrections {
            renames: vec![("不存在的局".into(), "x".into())],
            units: vec![]
        })
        .contains("没有单位"));
        assert!(bad(Corrections {
            renames: vec![],
            units: vec![(99, vec!["a".into()])]
        })
        .contains("第 99 项"));
        assert!(bad(Corrections {
            renames: vec![],
            units: vec![(1, vec!["a".into(), "a".into()])]
        })
        .contains("重复"));
    }
}
