#!/usr/bin/env python3
"""The costliest register XLSX to read within every bound of `service::register::table`: a
first sheet of two cells and shared strings of N short distinct texts (N = 4,400,000 by
default: 97 MB of XML, 11 MB packed), which the reader holds all in memory.
Usage: bench/register_xlsx.py <out.xlsx> [strings]"""
import sys
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4_400_000
    ml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    types = (f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             f'<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/xl/workbook.xml" ContentType="{ml}.sheet.main+xml"/>'
             f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ml}.worksheet+xml"/>'
             f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ml}.sharedStrings+xml"/></Types>')
    root_rels = (f'{XML}<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
                 f'Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = (f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
                f'<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    workbook_rels = (f'{XML}<Relationships xmlns="{RELS}">'
                     f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
                     f'<Relationship Id="rId2" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/>'
                     f'</Relationships>')
    strings = [f'{XML}<sst xmlns="{MAIN}" count="{n + 1}" uniqueCount="{n + 1}"><si><t>单位名称</t></si>']
    strings += [f"<si><t>{i:07x}</t></si>" for i in range(n)]
    strings.append("</sst>")
    sheet = (f'{XML}<worksheet xmlns="{MAIN}"><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
             '</sheetData></worksheet>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        z.writestr("xl/sharedStrings.xml", "".join(strings))
        z.writestr("xl/worksheets/sheet1.xml", sheet)


if __name__ == "__main__":
    main()
