// Package docx writes simple Word documents (WordprocessingML in a zip, as
// Word and WPS open them) with the standard library, and reads their
// paragraphs back. It knows what an official document's layout needs: fonts
// for Chinese, sizes in points, colour, alignment, first-line indent, a rule
// under a paragraph and a right-aligned tab; nothing more.
package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Align is a paragraph's alignment.
type Align string

// The alignments.
const (
	Left   Align = ""
	Center Align = "center"
	Right  Align = "right"
	Both   Align = "both"
)

// Run is text in one style.
type Run struct {
	Text string
	// Font is the East Asian font (仿宋_GB2312, 黑体, 方正小标宋简体…); Latin text uses Times New Roman.
	Font  string
	Size  float64 // points
	Bold  bool
	Color string // RRGGBB, empty for black
	// Tab puts a tab before the text (to the paragraph's right tab stop).
	Tab bool
}

// Paragraph is one paragraph.
type Paragraph struct {
	Runs  []Run
	Align Align
	// Indent indents the first line by this many characters (2 in official text).
	Indent int
	// RuleBelow draws a line under the paragraph in this colour (RRGGBB).
	RuleBelow string
	// RightTab sets a right-aligned tab stop at the text's right edge.
	RightTab bool
	// Before and After are the space around it, in points; Line the line spacing in points (0: single).
	Before, After, Line float64
	// Table, when set, makes this block a table of the text's width instead:
	// rows of cells, the first row a bold header; Runs are then ignored.
	Table [][]string
}

// Document is paragraphs on A4 with the margins of official documents (GB/T 9704).
type Document struct {
	Title      string
	Paragraphs []Paragraph
}

// text width in twips: A4 (11906) less 28 mm and 26 mm margins
const (
	pageW, pageH             = 11906, 16838
	marginL, marginR         = 1588, 1474
	marginT, marginB         = 2098, 1984
	textWidth                = pageW - marginL - marginR
	latinFont                = "Times New Roman"
	contentTypeDocument      = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	relOfficeDocument        = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
	relCoreProperties        = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
	namespaceWordprocessingM = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
)

// Write writes the document as a .docx file.
func (d *Document) Write(w io.Writer) error {
	z := zip.NewWriter(w)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="` + contentTypeDocument + `"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + relOfficeDocument + `" Target="word/document.xml"/><Relationship Id="rId2" Type="` + relCoreProperties + `" Target="docProps/core.xml"/></Relationships>`},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>` + escape(d.Title) + `</dc:title></cp:coreProperties>`},
		{"word/document.xml", d.body()},
	}
	for _, f := range files {
		fw, err := z.Create(f.name)
		if err != nil {
			return fmt.Errorf("docx: %w", err)
		}
		if _, err := io.WriteString(fw, f.body); err != nil {
			return fmt.Errorf("docx: %w", err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("docx: %w", err)
	}
	return nil
}

// Bytes is the document as a .docx file.
func (d *Document) Bytes() ([]byte, error) {
	var b bytes.Buffer
	err := d.Write(&b)
	return b.Bytes(), err
}

func (d *Document) body() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<w:document xmlns:w="` + namespaceWordprocessingM + `"><w:body>`)
	for _, p := range d.Paragraphs {
		if p.Table != nil {
			writeTable(&b, p.Table)
			continue
		}
		b.WriteString("<w:p><w:pPr>")
		if p.RightTab {
			fmt.Fprintf(&b, `<w:tabs><w:tab w:val="right" w:pos="%d"/></w:tabs>`, textWidth)
		}
		if p.RuleBelow != "" {
			fmt.Fprintf(&b, `<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="1" w:color="%s"/></w:pBdr>`, p.RuleBelow)
		}
		line := ""
		if p.Line > 0 {
			line = fmt.Sprintf(` w:line="%d" w:lineRule="exact"`, int(p.Line*20))
		}
		fmt.Fprintf(&b, `<w:spacing w:before="%d" w:after="%d"%s/>`, int(p.Before*20), int(p.After*20), line)
		if p.Indent > 0 {
			// firstLineChars is Word's and WPS's; firstLine, in twips of the
			// first run's size, is for readers that ignore it (LibreOffice)
			size := 16.0
			if len(p.Runs) > 0 && p.Runs[0].Size > 0 {
				size = p.Runs[0].Size
			}
			fmt.Fprintf(&b, `<w:ind w:firstLine="%d" w:firstLineChars="%d"/>`, int(float64(p.Indent)*size*20), p.Indent*100)
		}
		if p.Align != Left {
			fmt.Fprintf(&b, `<w:jc w:val="%s"/>`, p.Align)
		}
		b.WriteString("</w:pPr>")
		for _, r := range p.Runs {
			b.WriteString("<w:r><w:rPr>")
			font := r.Font
			if font == "" {
				font = "仿宋_GB2312"
			}
			fmt.Fprintf(&b, `<w:rFonts w:ascii="%s" w:hAnsi="%s" w:eastAsia="%s"/>`, latinFont, latinFont, escape(font))
			if r.Bold {
				b.WriteString("<w:b/>")
			}
			if r.Color != "" {
				fmt.Fprintf(&b, `<w:color w:val="%s"/>`, r.Color)
			}
			if r.Size > 0 {
				fmt.Fprintf(&b, `<w:sz w:val="%d"/><w:szCs w:val="%d"/>`, int(r.Size*2), int(r.Size*2))
			}
			b.WriteString("</w:rPr>")
			if r.Tab {
				b.WriteString("<w:tab/>")
			}
			for i, line := range strings.Split(r.Text, "\n") {
				if i > 0 {
					b.WriteString("<w:br/>")
				}
				b.WriteString(`<w:t xml:space="preserve">` + escape(line) + "</w:t>")
			}
			b.WriteString("</w:r>")
		}
		b.WriteString("</w:p>")
	}
	fmt.Fprintf(&b, `<w:sectPr><w:pgSz w:w="%d" w:h="%d"/><w:pgMar w:top="%d" w:right="%d" w:bottom="%d" w:left="%d" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr>`,
		pageW, pageH, marginT, marginR, marginB, marginL)
	b.WriteString("</w:body></w:document>")
	return b.String()
}

// writeTable writes a bordered table in 仿宋 小四, its columns sized to their text,
// with an empty paragraph after it (Word wants one between a table and what follows).
func writeTable(b *strings.Builder, rows [][]string) {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	// each column as wide as its longest cell wants (a Chinese character counts
	// two), within bounds, sharing the text's width
	weights, sum := make([]int, cols), 0
	for c := range cols {
		w := 0
		for _, r := range rows {
			if c < len(r) {
				n := 0
				for _, ch := range r[c] {
					n += 1 + btoi(ch > 0x2E80)
				}
				w = max(w, n)
			}
		}
		weights[c] = min(max(w, 8), 40)
		sum += weights[c]
	}
	widths := make([]int, cols)
	for c, w := range weights {
		widths[c] = textWidth * w / sum
	}
	b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="` + fmt.Sprint(textWidth) + `" w:type="dxa"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		fmt.Fprintf(b, `<w:%s w:val="single" w:sz="4" w:space="0" w:color="000000"/>`, side)
	}
	b.WriteString(`</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>`)
	for _, w := range widths {
		fmt.Fprintf(b, `<w:gridCol w:w="%d"/>`, w)
	}
	b.WriteString("</w:tblGrid>")
	for i, r := range rows {
		b.WriteString("<w:tr>")
		if i == 0 {
			b.WriteString(`<w:trPr><w:tblHeader/></w:trPr>`)
		}
		for c := range cols {
			text := ""
			if c < len(r) {
				text = r[c]
			}
			fmt.Fprintf(b, `<w:tc><w:tcPr><w:tcW w:w="%d" w:type="dxa"/></w:tcPr><w:p><w:pPr><w:spacing w:before="0" w:after="0"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii="%s" w:hAnsi="%s" w:eastAsia="仿宋_GB2312"/>`, widths[c], latinFont, latinFont)
			if i == 0 {
				b.WriteString("<w:b/>")
			}
			b.WriteString(`<w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr><w:t xml:space="preserve">` + escape(text) + "</w:t></w:r></w:p></w:tc>")
		}
		b.WriteString("</w:tr>")
	}
	b.WriteString("</w:tbl><w:p/>")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Read gives the text of each paragraph of a .docx file, a tab as "\t" and a
// line break as "\n".
func Read(data []byte) ([]string, error) {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("docx: %w", err)
	}
	f, err := z.Open("word/document.xml")
	if err != nil {
		return nil, fmt.Errorf("docx: %w", err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	var out []string
	var cur strings.Builder
	inText, inPara, inProps := false, false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("docx: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p":
				inPara = true
				cur.Reset()
			case "pPr":
				inProps = true // its w:tab elements are tab stops, not tabs
			case "t":
				inText = true
			case "tab":
				if inPara && !inProps {
					cur.WriteString("\t")
				}
			case "br":
				cur.WriteString("\n")
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p":
				out = append(out, cur.String())
				inPara = false
			case "t":
				inText = false
			case "pPr":
				inProps = false
			}
		case xml.CharData:
			if inText {
				cur.Write(t)
			}
		}
	}
	return out, nil
}
