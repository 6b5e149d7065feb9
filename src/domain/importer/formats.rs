//! The files an office receives, read into the text the importer parses: plain text in
//! UTF-8 (with or without BOM), GB18030/GBK or UTF-16 with BOM; Word `.docx` (paragraphs in
//! order, tables as tab-separated rows); a web page saved from the browser (the document's
//! text only); a PDF with a text layer. The format is recognised by content, never by the
//! file's name. Anything else is refused with a message naming what it is.
//!
//! Pure: bytes in, text out, in memory. Every container is bounded (the uncompressed size of
//! a `.docx`, the number of its parts) so a hostile file cannot exhaust the server.

use std::io::Read;

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Utf8,
    Gb18030,
    Utf16,
    Docx,
    Html,
    Pdf,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Utf8 => "utf8",
            Format::Gb18030 => "gb18030",
            Format::Utf16 => "utf16",
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }
}

/// A file read into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub format: Format,
    /// Paragraphs one per line; a table's rows one per line, cells separated by tabs.
    pub text: String,
}

/// Why a file could not be read. Each message names the format and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("这是 Word 97-2003 文档（.doc）或 WPS 文字文件（.wps），无法直接读取：请用 Word 或 WPS 另存为 .docx 或文本文件（.txt）后再导入")]
    LegacyOffice,
    #[error("这是加密（设有密码）的 Office 文件，无法读取：请取消密码保护后另存为 .docx 再导入")]
    Encrypted,
    #[error("这是 {0} 文件，不是实施方案文档：请导入 .docx、网页（.html）、PDF 或文本文件")]
    OtherOffice(&'static str),
    #[error("这是 {0}，不是文本文档：请导入 .docx、网页（.html）、PDF 或文本文件")]
    Binary(&'static str),
    #[error(".docx 文件已损坏，无法读取（{0}）：请用 Word 打开后重新保存")]
    CorruptDocx(String),
    #[error(".docx 文件解压后过大（超过 {0} MB），不予读取")]
    TooLarge(u64),
    #[error("网页中没有找到正文")]
    NoDocumentInHtml,
    #[error("这份 PDF 没有可读取的文字（可能是扫描件或图片）：请导入 Word 或文本版本，或先做文字识别（OCR）")]
    ScannedPdf,
    #[error("PDF 文件无法读取（{0}）：请导入 Word 或文本版本")]
    BadPdf(String),
    #[error("无法识别文件的文字编码：请另存为 UTF-8 文本后再导入")]
    UnknownEncoding,
}

/// The most a `.docx` may hold uncompressed (a plan is kilobytes; pictures are skipped).
const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;
const MAX_ENTRIES: usize = 10_000;

/// Reads a file's bytes into text, recognising the format by its content.
pub fn extract(bytes: &[u8]) -> Result<Extracted, FormatError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return docx(bytes).map(|text| Extracted {
            format: Format::Docx,
            text,
        });
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // An OLE compound file: Word 97-2003, WPS, old Excel — or an encrypted .docx, which
        // Office wraps in one with an `EncryptedPackage` stream.
        let marker: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
            return Err(FormatError::Encrypted);
        }
        return Err(FormatError::LegacyOffice);
    }
    if bytes.starts_with(b"%PDF-") {
        return pdf(bytes).map(|text| Extracted {
            format: Format::Pdf,
            text,
        });
    }
    if let Some(kind) = binary_kind(bytes) {
        return Err(FormatError::Binary(kind));
    }
    let (format, text) = decode(bytes)?;
    if looks_like_html(&text) {
        return html(&text).map(|text| Extracted {
            format: Format::Html,
            text,
        });
    }
    Ok(Extracted { format, text })
}

/// Formats that are surely not a plan's text, by their magic bytes.
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG", "PNG 图片"),
        (b"\xFF\xD8\xFF", "JPEG 图片"),
        (b"GIF8", "GIF 图片"),
        (b"Rar!", "RAR 压缩包"),
        (b"7z\xBC\xAF\x27\x1C", "7z 压缩包"),
        (b"\x1F\x8B", "gzip 压缩包"),
        (b"{\\rtf", "RTF 文档"),
        (b"MZ", "Windows 程序"),
        (b"\x7FELF", "程序文件"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| bytes.starts_with(m))
        .map(|(_, k)| *k)
}

/// Text in UTF-8 (with or without BOM), UTF-16 with BOM, or — what Notepad on a Chinese
/// Windows saves — GB18030/GBK, which the detector tells from other legacy encodings.
fn decode(bytes: &[u8]) -> Result<(Format, String), FormatError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, _) = encoding.decode(&bytes[bom..]);
        let format = if encoding == encoding_rs::UTF_8 {
            Format::Utf8
        } else {
            Format::Utf16
        };
        return Ok((format, normalise_newlines(&text)));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.contains('\0') {
            return Err(FormatError::Binary("二进制文件"));
        }
        return Ok((Format::Utf8, normalise_newlines(text)));
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
    // Chinese plans in a legacy encoding are GBK or GB18030; GB18030 decodes both.
    let encoding = if guess == encoding_rs::GBK || guess == encoding_rs::GB18030 {
        encoding_rs::GB18030
    } else {
        guess
    };
    let (text, _, had_errors) = encoding.decode(bytes);
    if had_errors || text.contains('\0') {
        return Err(FormatError::UnknownEncoding);
    }
    if encoding != encoding_rs::GB18030 {
        // Big5 or a Western encoding: readable, but not what an office here sends.
        if !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            return Err(FormatError::UnknownEncoding);
        }
    }
    Ok((Format::Gb18030, normalise_newlines(&text)))
}

fn normalise_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.starts_with('<') && (head.contains("<html") || head.contains("<body")))
}

// ---- .docx ----------------------------------------------------------------------------

fn docx(bytes: &[u8]) -> Result<String, FormatError> {
    let corrupt = |e: &dyn std::fmt::Display| FormatError::CorruptDocx(e.to_string());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| corrupt(&e))?;
    if archive.len() > MAX_ENTRIES {
        return Err(FormatError::CorruptDocx("too many parts".into()));
    }
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if !has("word/document.xml") {
        return Err(if has("xl/workbook.xml") {
            FormatError::OtherOffice("Excel 表格（.xlsx）")
        } else if has("ppt/presentation.xml") {
            FormatError::OtherOffice("PowerPoint 演示文稿（.pptx）")
        } else if has("OFD.xml") {
            FormatError::OtherOffice("OFD 版式文档")
        } else if names.iter().any(|n| n.ends_with(".xml")) && has("mimetype") {
            FormatError::OtherOffice("OpenDocument（.odt）")
        } else {
            FormatError::Binary("zip 压缩包")
        });
    }
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|e| corrupt(&e))?;
    if entry.encrypted() {
        return Err(FormatError::Encrypted);
    }
    let mut xml = Vec::new();
    // Read at most one byte past the bound, whatever the header claims: a zip bomb stops here.
    entry
        .take(MAX_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|e| corrupt(&e))?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(FormatError::TooLarge(MAX_XML_BYTES / (1024 * 1024)));
    }
    docx_text(&xml).map_err(|e| corrupt(&e))
}

/// One cell of a table row as Word keeps it.
#[derive(Default)]
struct Cell {
    text: String,
    span: usize,
    /// `w:vMerge` without `restart`: the cell continues the one above.
    continues: bool,
}

/// The body's paragraphs in order, and each table as tab-separated rows. A cell merged down
/// repeats the text of the cell it continues; a cell spanning columns fills them.
fn docx_text(xml: &[u8]) -> Result<String, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut para = String::new();
    let mut in_text = false;
    // Nested tables are flattened into the cell that holds them.
    let mut table_depth = 0usize;
    let mut row: Vec<Cell> = Vec::new();
    let mut cell: Option<Cell> = None;
    // The text of each column in the row above, for cells merged down.
    let mut above: Vec<String> = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf)?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"t" if !empty => in_text = true,
                    b"tab" => para.push('\t'),
                    b"br" | b"cr" => para.push(' '),
                    b"tbl" if !empty => table_depth += 1,
                    b"tc" if !empty && table_depth == 1 => {
                        cell = Some(Cell {
                            span: 1,
                            ..Cell::default()
                        })
                    }
                    b"gridSpan" => {
                        if let (Some(c), Some(v)) = (cell.as_mut(), attr(e, b"val")) {
                            c.span = v.parse().unwrap_or(1).clamp(1, 64);
                        }
                    }
                    b"vMerge" => {
                        if let Some(c) = cell.as_mut() {
                            c.continues = attr(e, b"val").is_none_or(|v| v != "restart");
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_text => {
                para.push_str(&t.decode().map_err(quick_xml::Error::from)?);
            }
            Event::GeneralRef(r) if in_text => {
                // &amp; and friends inside a run.
                let name = r.decode().map_err(quick_xml::Error::from)?;
                let resolved = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                };
                para.push_str(resolved);
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => {
                    let text = std::mem::take(&mut para);
                    match cell.as_mut() {
                        Some(c) => {
                            let text = text.replace('\t', " ");
                            let text = text.trim();
                            if !text.is_empty() {
                                if !c.text.is_empty() {
                                    c.text.push(' ');
                                }
                                c.text.push_str(text);
                            }
                        }
                        None => {
                            out.push_str(text.trim_end());
                            out.push('\n');
                        }
                    }
                }
                b"tc" if table_depth == 1 => {
                    if let Some(c) = cell.take() {
                        row.push(c);
                    }
                }
                b"tr" if table_depth == 1 => {
                    let mut cells: Vec<String> = Vec::new();
                    for c in row.drain(..) {
                        for _ in 0..c.span {
                            let column = cells.len();
                            let text = if c.continues {
                                above.get(column).cloned().unwrap_or_default()
                            } else {
                                c.text.clone()
                            };
                            cells.push(text);
                        }
                    }
                    if cells.iter().any(|c| !c.is_empty()) {
                        out.push_str(&cells.join("\t"));
                        out.push('\n');
                    }
                    above = cells;
                }
                b"tbl" => {
                    table_depth = table_depth.saturating_sub(1);
                    if table_depth == 0 {
                        above.clear();
                        out.push('\n');
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

fn attr(e: &quick_xml::events::BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

// ---- web pages ------------------------------------------------------------------------

/// The document's text from a saved government web page: the element that holds most of the
/// page's text in paragraphs (the article), without scripts, styles, navigation, headers
/// and footers; block elements end lines, table rows become tab-separated lines.
fn html(source: &str) -> Result<String, FormatError> {
    use scraper::{Html, Selector};
    let page = Html::parse_document(source);
    let selector = |s: &str| Selector::parse(s).expect("a constant selector");
    // Containers that government sites give their article.
    let candidates = selector(
        "#zoom, .zoom, #content, .content, .article, article, .TRS_Editor, .trs_editor, \
         #UCAP-CONTENT, .pages_content, .view, .main-txt, .detail, .xxgk_content, main, body",
    );
    let skip = |name: &str| {
        matches!(
            name,
            "script"
                | "style"
                | "noscript"
                | "nav"
                | "header"
                | "footer"
                | "aside"
                | "form"
                | "button"
                | "select"
                | "iframe"
                | "svg"
                | "head"
        )
    };
    let best = page
        .select(&candidates)
        .map(|el| {
            let mut text = String::new();
            collect_text(el, &skip, &mut text);
            text
        })
        .filter(|t| t.chars().filter(|c| !c.is_whitespace()).count() >= 20)
        // The smallest container that still holds most of the text: the article, not the
        // page around it.
        .fold(None::<String>, |best, t| match best {
            None => Some(t),
            Some(b) => {
                let (nb, nt) = (han_count(&b), han_count(&t));
                if nt * 10 >= nb * 8 && t.len() < b.len() {
                    Some(t)
                } else {
                    Some(b)
                }
            }
        });
    let text = best.ok_or(FormatError::NoDocumentInHtml)?;
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c == ' ' || c == '\u{a0}'))
        .collect();
    let joined = lines.join("\n");
    if han_count(&joined) < 10 {
        return Err(FormatError::NoDocumentInHtml);
    }
    Ok(joined)
}

fn han_count(s: &str) -> usize {
    s.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count()
}

fn collect_text(node: scraper::ElementRef, skip: &dyn Fn(&str) -> bool, out: &mut String) {
    use scraper::node::Node;
    for child in node.children() {
        match child.value() {
            Node::Text(t) => {
                // Whitespace in the source is layout, not text.
                let mut last_space = out.ends_with([' ', '\n', '\t']);
                for c in t.chars() {
                    if c.is_whitespace() && c != '\u{3000}' && c != '\u{a0}' {
                        if !last_space {
                            out.push(' ');
                            last_space = true;
                        }
                    } else {
                        out.push(c);
                        last_space = false;
                    }
                }
            }
            Node::Element(e) => {
                let name = e.name();
                if skip(name) {
                    continue;
                }
                let Some(el) = scraper::ElementRef::wrap(child) else {
                    continue;
                };
                match name {
                    "br" => out.push('\n'),
                    "td" | "th" => {
                        collect_text(el, skip, out);
                        out.push('\t');
                    }
                    "tr" => {
                        collect_text(el, skip, out);
                        while out.ends_with(['\t', ' ']) {
                            out.pop();
                        }
                        out.push('\n');
                    }
                    "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table"
                    | "section" | "article" | "blockquote" | "pre" | "dd" | "dt" | "center" => {
                        if !out.is_empty() && !out.ends_with('\n') {
                            out.push('\n');
                        }
                        collect_text(el, skip, out);
                        if !out.ends_with('\n') {
                            out.push('\n');
                        }
                    }
                    _ => collect_text(el, skip, out),
                }
            }
            _ => {}
        }
    }
}

// ---- PDF ------------------------------------------------------------------------------

fn pdf(bytes: &[u8]) -> Result<String, FormatError> {
    // The extractor is a large parser of an intricate format; a file it cannot handle must
    // be an error for this file, never a crash of the server.
    let owned = bytes.to_vec();
    let result = std::panic::catch_unwind(move || pdf_extract::extract_text_from_mem(&owned));
    let text = match result {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => return Err(FormatError::BadPdf(short(&e.to_string()))),
        Err(_) => return Err(FormatError::BadPdf("unsupported structure".into())),
    };
    let text = normalise_newlines(&text);
    if text.chars().filter(|c| !c.is_whitespace()).count() < 10 {
        return Err(FormatError::ScannedPdf);
    }
    // Page numbers (`- 3 -`, `第3页`) stand between the lines of a measure broken by a page.
    let kept: Vec<&str> = text.lines().filter(|l| !is_page_number(l)).collect();
    Ok(kept.join("\n"))
}

fn is_page_number(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    !t.is_empty()
        && (t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '—' | '–' | '/'))
            || (t.starts_with('第') && t.ends_with('页') && t.chars().count() <= 8))
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_encodings_are_recognised_by_content() {
        let plan = "一、总体要求\r\n1.做好就业工作。（地区人社局负责）\r\n";
        let utf8 = extract(plan.as_bytes()).unwrap();
        assert_eq!(utf8.format, Format::Utf8);
        assert!(!utf8.text.contains('\r'));

        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(plan.as_bytes());
        assert_eq!(extract(&bom).unwrap().text, utf8.text);

        let (gbk, _, _) = encoding_rs::GBK.encode(plan);
        let read = extract(&gbk).unwrap();
        assert_eq!(
            (read.format, read.text.as_str()),
            (Format::Gb18030, utf8.text.as_str())
        );

        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(plan.encode_utf16().flat_map(u16::to_le_bytes));
        let read = extract(&utf16).unwrap();
        assert_eq!(
            (read.format, read.text.as_str()),
            (Format::Utf16, utf8.text.as_str())
        );
    }

    #[test]
    fn other_files_are_refused_by_what_they_are() {
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.extend_from_slice(&[0; 64]);
        assert_eq!(extract(&ole), Err(FormatError::LegacyOffice));
        ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(extract(&ole), Err(FormatError::Encrypted));
        assert_eq!(
            extract(b"\x89PNG\r\n\x1a\nxxxx"),
            Err(FormatError::Binary("PNG 图片"))
        );
        assert!(matches!(
            extract(b"PK\x03\x04garbage"),
            Err(FormatError::CorruptDocx(_))
        ));
        assert!(matches!(
            extract(b"%PDF-1.4\n%%EOF"),
            Err(FormatError::BadPdf(_) | FormatError::ScannedPdf)
        ));
    }

    #[test]
    fn a_web_page_gives_its_article_without_the_page_around_it() {
        let page = r#"<!DOCTYPE html><html><head><title>x</title><style>p{}</style>
            <script>var nav = "首页";</script></head><body>
            <nav>首页 &gt; 政务公开 &gt; 通知公告</nav>
            <div class="header">网站标题 无障碍 长者模式</div>
            <div id="zoom"><p>塔城地区做好当前和今后一段时期就业创业工作实施方案</p>
            <p>一、坚持实施就业优先战略</p>
            <p>1.促进经济发展与扩大就业联动。（地区发改委、财政局等负责）</p>
            <table><tr><td>序号</td><td>工作任务</td></tr><tr><td>1</td><td>稳就业&amp;保民生</td></tr></table>
            </div>
            <footer>版权所有 主办单位 网站标识码</footer></body></html>"#;
        let read = extract(page.as_bytes()).unwrap();
        assert_eq!(read.format, Format::Html);
        assert!(read
            .text
            .contains("1.促进经济发展与扩大就业联动。（地区发改委、财政局等负责）"));
        assert!(read.text.contains("1\t稳就业&保民生"), "{}", read.text);
        for chrome in ["首页", "版权所有", "var nav", "无障碍"] {
            assert!(
                !read.text.contains(chrome),
                "{chrome} left in:\n{}",
                read.text
            );
        }
        assert_eq!(
            extract(b"<html><body><nav>menu</nav></body></html>"),
            Err(FormatError::NoDocumentInHtml)
        );
    }
}

/// Builds small files in each format — `.docx` packages, PDFs with a Chinese text layer —
/// for the tests and for trying the importer.
pub mod samples {
    use std::io::Write;

    pub fn docx(body: &str) -> Vec<u8> {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
        );
        package(&[
            ("[Content_Types].xml", "<Types/>".as_bytes()),
            ("word/document.xml", xml.as_bytes()),
        ])
    }

    pub fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in parts {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// A one-page PDF whose text layer holds `lines`, in a CID font with a ToUnicode map (as
    /// Word and WPS write Chinese); no font program is embedded, which text extraction does
    /// not need. No lines: a page with no text, as a scan is.
    pub fn pdf(lines: &[&str]) -> Vec<u8> {
        let mut chars: Vec<char> = lines.iter().flat_map(|l| l.chars()).collect();
        chars.sort_unstable();
        chars.dedup();
        let cid = |c: char| chars.iter().position(|x| *x == c).unwrap() + 1;
        let mut content = String::from("BT /F1 12 Tf 72 780 Td 14 TL\n");
        for line in lines {
            let hex: String = line.chars().map(|c| format!("{:04X}", cid(c))).collect();
            content.push_str(&format!("<{hex}> Tj T*\n"));
        }
        content.push_str("ET\n");
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
             1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
        );
        for chunk in chars.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for c in chunk {
                let mut units = [0u16; 2];
                let hex: String = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                cmap.push_str(&format!("<{:04X}> <{hex}>\n", cid(*c)));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap CMapName currentdict /CMap defineresource pop end end\n");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
             /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
                .to_string(),
            "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H \
             /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>"
                .to_string(),
            format!(
                "<< /Length {} >>\nstream\n{content}endstream",
                content.len()
            ),
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
             /FontDescriptor 8 0 R /DW 1000 /CIDToGIDMap /Identity >>"
                .to_string(),
            format!("<< /Length {} >>\nstream\n{cmap}endstream", cmap.len()),
            "<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 -120 1000 880] \
             /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
                .to_string(),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }

    /// A paragraph of runs (a run split mid-word, as Word does).
    pub fn p(runs: &[&str]) -> String {
        let runs: String = runs
            .iter()
            .map(|r| {
                format!("<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{r}</w:t></w:r>")
            })
            .collect();
        format!("<w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr>{runs}</w:p>")
    }

    /// Every line of `text` as a paragraph: the document as Word would hold it.
    pub fn docx_of_text(text: &str) -> Vec<u8> {
        let body: String = text.lines().map(|l| p(&[&escape(l)])).collect();
        docx(&body)
    }

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    /// A table; a cell written `^` continues the cell above (vMerge), `>N:text` spans N
    /// columns.
    pub fn table(rows: &[&[&str]]) -> String {
        let mut out = String::from("<w:tbl><w:tblPr/>");
        for row in rows {
            out.push_str("<w:tr>");
            for cell in *row {
                let (props, text) = if *cell == "^" {
                    ("<w:vMerge/>".to_string(), String::new())
                } else if let Some(rest) = cell.strip_prefix('>') {
                    let (n, text) = rest.split_once(':').unwrap();
                    (format!("<w:gridSpan w:val=\"{n}\"/>"), text.to_string())
                } else {
                    (
                        "<w:vMerge w:val=\"restart\"/>".to_string(),
                        cell.to_string(),
                    )
                };
                out.push_str(&format!(
                    "<w:tc><w:tcPr>{props}</w:tcPr>{}</w:tc>",
                    p(&[&text])
                ));
            }
            out.push_str("</w:tr>");
        }
        out.push_str("</w:tbl>");
        out
    }
}

#[cfg(test)]
mod docx_tests {
    use super::samples::{docx, p, package, pdf, table};
    use super::{extract, Format, FormatError};

    #[test]
    fn a_docx_gives_its_paragraphs_in_order_and_its_tables_as_rows() {
        let body = [
            p(&["塔城地区", "就业创业工作实施方案"]),
            p(&["一、坚持", "实施就业优先战略"]),
            p(&[
                "1.促进经济发展与扩大就业联动。",
                "（地区发改委、财政局等负责）",
            ]),
            p(&["R&amp;D 与 &lt;创新&gt;"]),
            table(&[
                &["序号", "工作任务", "牵头单位", "配合单位"],
                &[">4:一、稳定就业"],
                &["1", "做好高校毕业生就业", "地区人社局", "地区教育局"],
                &["2", "做好退役军人就业", "^", "地区退役军人事务局"],
            ]),
            p(&["2.后面的段落"]),
        ]
        .concat();
        let read = extract(&docx(&body)).unwrap();
        assert_eq!(read.format, Format::Docx);
        let lines: Vec<&str> = read.text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines,
            [
                "塔城地区就业创业工作实施方案",
                "一、坚持实施就业优先战略",
                "1.促进经济发展与扩大就业联动。（地区发改委、财政局等负责）",
                "R&D 与 <创新>",
                "序号\t工作任务\t牵头单位\t配合单位",
                "一、稳定就业\t一、稳定就业\t一、稳定就业\t一、稳定就业",
                "1\t做好高校毕业生就业\t地区人社局\t地区教育局",
                "2\t做好退役军人就业\t地区人社局\t地区退役军人事务局",
                "2.后面的段落",
            ]
        );
    }

    #[test]
    fn hostile_and_foreign_packages_are_refused_by_name() {
        // Seventy megabytes of spaces compress to almost nothing.
        let bomb = format!("<w:p><w:r><w:t>{}</w:t></w:r></w:p>", " ".repeat(70 << 20));
        assert_eq!(extract(&docx(&bomb)), Err(FormatError::TooLarge(64)));
        let xlsx = package(&[("xl/workbook.xml", b"<workbook/>")]);
        assert_eq!(
            extract(&xlsx),
            Err(FormatError::OtherOffice("Excel 表格（.xlsx）"))
        );
        let ofd = package(&[("OFD.xml", b"<ofd/>")]);
        assert_eq!(extract(&ofd), Err(FormatError::OtherOffice("OFD 版式文档")));
        let zip = package(&[("photo.jpg", b"\xFF\xD8\xFF")]);
        assert_eq!(extract(&zip), Err(FormatError::Binary("zip 压缩包")));
        let mut cut = docx(&p(&["一、总体要求"]));
        cut.truncate(cut.len() / 2);
        assert!(matches!(extract(&cut), Err(FormatError::CorruptDocx(_))));
    }

    #[test]
    fn a_pdf_gives_its_text_layer_and_a_scan_is_said_to_have_none() {
        let lines = [
            "塔城地区就业创业工作实施方案",
            "一、坚持实施就业优先战略",
            "1.促进经济发展与扩大就业联动。（地区发改委、财政局等负责）",
        ];
        let read = extract(&pdf(&lines)).unwrap();
        assert_eq!(read.format, Format::Pdf);
        let squeezed: String = read.text.chars().filter(|c| !c.is_whitespace()).collect();
        for line in lines {
            assert!(squeezed.contains(line), "{line} not in {:?}", read.text);
        }
        assert_eq!(extract(&pdf(&[])), Err(FormatError::ScannedPdf));
    }

    #[test]
    fn a_truncated_docx_is_corrupt() {
        let mut cut = docx(&p(&["一、总体要求"]));
        cut.truncate(cut.len() / 2);
        assert!(matches!(extract(&cut), Err(FormatError::CorruptDocx(_))));
    }
}
