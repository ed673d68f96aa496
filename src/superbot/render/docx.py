"""The 督查通报 as a Word document laid out as a 公文 (GB/T 9704 where it applies).

The ``bulletin/docx.j2`` template decides what the document says, as a list of blocks
(``{"kind": "h1", "text": "一、总体情况"}``); this module only lays the blocks out:

* A4, 版心 156 × 225 mm (天头 37 mm, 订口 28 mm), 22 lines of 28 characters: the body at
  3号 (16 pt) on an exact 28 pt line;
* fonts named as Word and WPS look them up, with the east-Asian attribute set (a run's
  ``w:eastAsia`` font is the one Chinese text is drawn in) and an ``altName`` in the font
  table for machines that only have another spelling (the template's ``fallbacks``);
* page numbers as ``PAGE`` fields, "— 1 —" on the outer side: odd pages right, even left;
* tables whose header rows repeat on every page and whose rows do not break across pages;
* colours only where they carry meaning, always beside words: the red 版头 and rule, and
  the light labels (●红灯).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

RED = "D52B1E"  # the 版头's red, as printed
A4 = (Mm(210), Mm(297))
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
BODY_SIZE = Pt(16)  # 3号
LINE = Pt(28)  # 22 lines to the page
TABLE_SIZE = Pt(12)  # 小四: tables hold more than prose
NOTE_SIZE = Pt(14)  # 4号: 版记
TABLE_STYLE = "Bulletin Table"
CHAR = Pt(16)  # one full-width character of the body, for indents

# Fonts by role (body, heading, subheading, title, latin) and their fallbacks come from the
# template: they are names a Chinese office knows, 仿宋_GB2312 and the like.
ROLES = ("body", "heading", "subheading", "title", "latin")


def bulletin_docx(
    blocks: Sequence[Mapping[str, Any]],
    fonts: Mapping[str, str],
    fallbacks: Mapping[str, str],
) -> bytes:
    """The .docx for ``blocks`` as the template built them, in ``fonts`` (role → name), each
    name with its fallback (``fallbacks``: name → the name to use where it is missing)."""
    missing = [role for role in ROLES if role not in fonts]
    if missing:
        raise ValueError(f"bulletin/docx.j2: no font for {', '.join(missing)}")
    writer = _Writer(fonts, fallbacks)
    for block in blocks:
        writer.block(block)
    return writer.finish()


class _Writer:
    def __init__(self, fonts: Mapping[str, str], fallbacks: Mapping[str, str]) -> None:
        self.fonts = fonts
        self.fallbacks = fallbacks
        self.doc = Document()
        self._styles()
        section = self.doc.sections[0]
        self._page(section, landscape=False)
        self._page_numbers(section)
        self.doc.settings.odd_and_even_pages_header_footer = True

    # -- set-up -------------------------------------------------------------------------

    def _styles(self) -> None:
        normal = self.doc.styles["Normal"]
        _fonts(normal.element.get_or_add_rPr(), self.fonts["body"], self.fonts["latin"])
        normal.font.size = BODY_SIZE
        fmt = normal.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
        fmt.widow_control = True
        # 中文版式: punctuation never starts a line; Latin words do not stretch the line.
        ppr = normal.element.get_or_add_pPr()
        for name in ("w:kinsoku", "w:overflowPunct", "w:autoSpaceDE", "w:autoSpaceDN"):
            _insert_in_order(ppr, _element(name, val="1"))
        # Table text: one style instead of the same size and spacing on every cell's runs.
        table = self.doc.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        table.base_style = normal
        table.font.size = TABLE_SIZE
        table.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        table.paragraph_format.first_line_indent = Pt(0)
        self.table_style = table
        core = self.doc.core_properties
        core.author = ""
        core.comments = ""
        self._font_table()

    def _font_table(self) -> None:
        """Each named font with its fallback and the GB2312 charset, so Word and WPS pick the
        right face on a machine that lacks the first name."""
        part = next(
            p for p in self.doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml"
        )
        root = parse_xml(part.blob)
        wanted = {name for role, name in self.fonts.items() if role != "latin"}
        for name in sorted(wanted):
            font = _element("w:font", name=name)
            alt = self.fallbacks.get(name)
            if alt:
                font.append(_element("w:altName", val=alt))
            font.append(_element("w:charset", val="86"))  # GB2312
            font.append(_element("w:family", val="modern"))
            font.append(_element("w:pitch", val="fixed"))
            root.append(font)
        part._blob = serialize_part_xml(root)

    def _page(self, section: Any, *, landscape: bool) -> None:
        width, height = A4
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = (height, width) if landscape else (width, height)
        if landscape:  # the same margins, turned with the page
            section.top_margin, section.bottom_margin = MARGINS["left"], MARGINS["right"]
            section.left_margin, section.right_margin = MARGINS["top"], MARGINS["bottom"]
        else:
            section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
            section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
        section.footer_distance = Mm(20)
        section.header_distance = Mm(15)

    def _page_numbers(self, section: Any) -> None:
        """— 1 —, 4号 半角宋体, odd pages on the right and even ones on the left, one
        character in from the edge."""
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.alignment = align
            fmt = paragraph.paragraph_format
            fmt.left_indent = CHAR if align is WD_ALIGN_PARAGRAPH.LEFT else None
            fmt.right_indent = CHAR if align is WD_ALIGN_PARAGRAPH.RIGHT else None
            fmt.first_line_indent = Pt(0)
            font = self.fonts.get("numbers", self.fonts["latin"])
            self._run(paragraph, "— ", size=NOTE_SIZE, font=font)
            _page_field(self._run(paragraph, "", size=NOTE_SIZE, font=font))
            self._run(paragraph, " —", size=NOTE_SIZE, font=font)

    # -- blocks ---------------------------------------------------------------------------

    def block(self, block: Mapping[str, Any]) -> None:
        kind = str(block["kind"])
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            raise ValueError(f"bulletin/docx.j2: unknown block kind {kind!r}")
        handler(block)

    def _redhead(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        p.paragraph_format.space_after = Pt(12)
        self._run(p, block["text"], size=Pt(42), font=self.fonts["title"], colour=RED)

    def _number(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        self._run(p, block["text"])

    def _issuer(self, block: Mapping[str, Any]) -> None:
        """Issuing office on the left, the date on the right, the red rule under both."""
        p = self._paragraph(WD_ALIGN_PARAGRAPH.LEFT, indent=False)
        p.paragraph_format.left_indent = CHAR
        p.paragraph_format.right_indent = CHAR
        width = A4[0] - MARGINS["left"] - MARGINS["right"] - 2 * CHAR
        p.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
        self._run(p, block["left"])
        self._run(p, "\t" + block["right"])
        _border(p, "bottom", RED, size=18, space=6)
        spacer = self._paragraph(WD_ALIGN_PARAGRAPH.LEFT, indent=False)
        spacer.paragraph_format.line_spacing = Pt(14)

    def _title(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        p.paragraph_format.line_spacing = Pt(35)
        p.paragraph_format.space_after = Pt(14)
        self._run(p, block["text"], size=Pt(22), font=self.fonts["title"])

    def _to(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.LEFT, indent=False)
        self._run(p, block["text"])

    def _p(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.JUSTIFY)
        self._runs(p, block)

    def _h1(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.LEFT)
        p.paragraph_format.keep_with_next = True
        self._run(p, block["text"], font=self.fonts["heading"])

    def _h2(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.LEFT)
        p.paragraph_format.keep_with_next = True
        self._run(p, block["text"], font=self.fonts["subheading"])
        if block.get("runs"):
            self._runs(p, block)

    def _note(self, block: Mapping[str, Any]) -> None:
        p = self._paragraph(WD_ALIGN_PARAGRAPH.JUSTIFY)
        p.paragraph_format.line_spacing = Pt(22)
        self._runs(p, block, size=NOTE_SIZE)

    def _signature(self, block: Mapping[str, Any]) -> None:
        """落款: the issuing office and the date, right-aligned four characters in."""
        self._paragraph(WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        for text in (block["issuer"], block["date"]):
            p = self._paragraph(WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
            p.paragraph_format.right_indent = 4 * CHAR
            self._run(p, text)

    def _record(self, block: Mapping[str, Any]) -> None:
        """版记: 抄送 and 印发 between rules, on the last page."""
        self._paragraph(WD_ALIGN_PARAGRAPH.LEFT, indent=False)
        lines = [(line, "") for line in block.get("cc", [])]
        lines.append((block["left"], block["right"]))
        width = A4[0] - MARGINS["left"] - MARGINS["right"] - 2 * CHAR
        for index, (left, right) in enumerate(lines):
            p = self._paragraph(WD_ALIGN_PARAGRAPH.LEFT, indent=False)
            p.paragraph_format.left_indent = CHAR
            p.paragraph_format.right_indent = CHAR
            p.paragraph_format.line_spacing = Pt(24)
            p.paragraph_format.keep_with_next = index < len(lines) - 1
            p.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
            self._run(p, left, size=NOTE_SIZE)
            if right:
                self._run(p, "\t" + right, size=NOTE_SIZE)
            if index == 0:
                _border(p, "top", "000000", size=8, space=2)
            _border(p, "bottom", "000000", size=8 if index == len(lines) - 1 else 4, space=2)

    def _page_break(self, block: Mapping[str, Any]) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def _section(self, block: Mapping[str, Any]) -> None:
        """A new page section, e.g. landscape for a wide 附件 table."""
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        self._page(section, landscape=block.get("orientation") == "landscape")

    def _table(self, block: Mapping[str, Any]) -> None:
        header: Sequence[str] = block["header"]
        rows: Sequence[Sequence[Any]] = block["rows"]
        widths: Sequence[float] = block.get("widths") or [1] * len(header)
        aligns: Sequence[str] = block.get("align") or ["left"] * len(header)
        section = self.doc.sections[-1]
        usable = _length(section.page_width) - _length(section.left_margin)
        usable -= _length(section.right_margin)
        total = sum(widths)
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        column_widths = [int(usable * w / total) for w in widths]
        _repeat_header(table)
        for cell, text, width in zip(table.rows[0].cells, header, column_widths, strict=True):
            cell.width = width
            self._cell(cell, text, "center", bold=True, font=self.fonts["heading"], shade="E8EAED")
        for values in rows:
            row = table.add_row()
            _keep_row_together(row)
            for cell, value, width, align in zip(
                row.cells, values, column_widths, aligns, strict=True
            ):
                cell.width = width
                text, colour = (
                    (value[0], value[1]) if isinstance(value, list | tuple) else (value, None)
                )
                self._cell(cell, "" if text is None else str(text), align, colour=colour)
        for column, width in zip(table.columns, column_widths, strict=True):
            column.width = width
        after = self._paragraph(WD_ALIGN_PARAGRAPH.LEFT, indent=False)
        after.paragraph_format.line_spacing = Pt(12)

    # -- pieces ---------------------------------------------------------------------------

    def _cell(
        self,
        cell: Any,
        text: str,
        align: str,
        *,
        bold: bool = False,
        font: str | None = None,
        colour: str | None = None,
        shade: str | None = None,
    ) -> None:
        p = cell.paragraphs[0]
        p._p.style = self.table_style.style_id  # by id: looking a style up by name scans them all
        if align != "left":
            p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}[
                align
            ]
        for index, line in enumerate(text.split("\n")):
            run = self._run(p, "", font=font, colour=colour, bold=bold)
            if index:
                run.add_break()
            run.add_text(line)
        if shade:
            properties = cell._tc.get_or_add_tcPr()
            properties.append(_element("w:shd", val="clear", color="auto", fill=shade))

    def _paragraph(self, align: Any, *, indent: bool = True) -> Paragraph:
        p = self.doc.add_paragraph()
        p.alignment = align
        p.paragraph_format.first_line_indent = 2 * CHAR if indent else Pt(0)
        return p

    def _runs(self, p: Paragraph, block: Mapping[str, Any], size: Any = None) -> None:
        for style, text, *rest in block.get("runs", []):
            colour = rest[0] if rest else None
            self._run(p, text, size=size, bold="b" in style, colour=colour)

    def _run(
        self,
        p: Paragraph,
        text: str,
        *,
        size: Any = None,
        font: str | None = None,
        colour: str | None = None,
        bold: bool = False,
    ) -> Run:
        run = p.add_run(str(text))
        if size is not None:
            run.font.size = size
        if font is not None:
            _fonts(run._element.get_or_add_rPr(), font, self.fonts["latin"])
        if colour:
            run.font.color.rgb = RGBColor.from_string(colour.lstrip("#").upper()[-6:])
        if bold:
            run.font.bold = True
        return run

    def finish(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def _length(value: int | None) -> int:
    assert value is not None  # every section here has its page size and margins set
    return int(value)


def _element(tag: str, **attributes: str) -> Any:
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _fonts(rpr: Any, east_asian: str, latin: str) -> None:
    """Chinese text in ``east_asian``; digits and Latin letters in ``latin``."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = _element("w:rFonts")
        rpr.insert(0, fonts)
    for name in ("ascii", "hAnsi", "cs"):
        fonts.set(qn(f"w:{name}"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def _page_field(run: Run) -> None:
    """A PAGE field: Word, WPS and LibreOffice put the page's number here."""
    element = run._element
    element.append(_element("w:fldChar", fldCharType="begin"))
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    element.append(instruction)
    element.append(_element("w:fldChar", fldCharType="separate"))
    text = OxmlElement("w:t")
    text.text = "1"
    element.append(text)
    element.append(_element("w:fldChar", fldCharType="end"))


# The order Word requires of a paragraph's properties (ECMA-376 CT_PPrBase): a file with
# them out of order is "unreadable content" to Word, though LibreOffice opens it.
PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
]


def _insert_in_order(ppr: Any, element: Any) -> None:
    rank = {qn(f"w:{name}"): index for index, name in enumerate(PPR_ORDER)}
    mine = rank[element.tag]
    for child in ppr:
        if rank.get(child.tag, -1) > mine:
            child.addprevious(element)
            return
    ppr.append(element)


def _border(p: Paragraph, side: str, colour: str, *, size: int, space: int) -> None:
    ppr = p._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = _element("w:pBdr")
        _insert_in_order(ppr, borders)
    borders.append(
        _element(f"w:{side}", val="single", sz=str(size), space=str(space), color=colour)
    )


def _repeat_header(table: Table) -> None:
    properties = table.rows[0]._tr.get_or_add_trPr()
    properties.append(_element("w:tblHeader", val="true"))
    properties.append(_element("w:cantSplit", val="true"))


def _keep_row_together(row: Any) -> None:
    row._tr.get_or_add_trPr().append(_element("w:cantSplit", val="true"))
