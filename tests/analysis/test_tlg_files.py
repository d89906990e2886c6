"""The RTF files of the CSR tables (rtflite): one per table, titled and footnoted from the catalogue."""

from __future__ import annotations

from analysis import efficacy
from analysis.tlg import adverse_events, disposition
from analysis.tlg.build import catalogue_table
from analysis.tlg.files import printed_listing, write_tlf_folder
from tests.analysis.tlg_study import ADAE, ADSL

ARMS = efficacy.Arms.from_config(["LEN+SIRT", "LEN"], "LEN")


def test_one_rtf_file_per_table_with_number_title_population_n_and_footnote(tmp_path):
    tables = {
        "tlg_dst01": disposition.dst01(ADSL, ARMS),
        "tlg_ael_fatal": adverse_events.ae_listing(ADSL, ADAE, "fatal"),
        "tlg_catalogue": catalogue_table(ADSL, ARMS),
    }
    written = write_tlf_folder(tmp_path, tables, ARMS)
    assert written == ["t_14_1_1_dst01.rtf", "l_14_3_6_ael_fatal.rtf"]
    dst01 = (tmp_path / "t_14_1_1_dst01.rtf").read_text()
    assert dst01.startswith("{\\rtf1")
    for text in (
        "Table 14.1.1 (DST01)",
        "Patient disposition",
        "All enrolled patients",
        "(N = 6)",
        "Progressive disease",
    ):
        assert text in dst01, text
    assert "Percentages of the arm" in dst01  # the footnote
    listing = (tmp_path / "l_14_3_6_ael_fatal.rtf").read_text()
    assert "Listing 14.3.6 (AEL04)" in listing and "(N = 5)" in listing and "P4" in listing


def test_a_listing_is_printed_with_joined_columns_and_words_in_sentence_case():
    printed = printed_listing(adverse_events.ae_listing(ADSL, ADAE, "serious"))
    first = printed.iloc[0]
    assert first["System organ class / Preferred term"] == "Vascular disorders / Hypertension"
    assert first["Start date (study day)"] == "2025-01-03 (2)"
    assert first["Related to lenvatinib / SIRT"] == "Related / Not related"
    assert first["Patient"] == "P1"


def test_a_long_listing_is_cut_with_a_footnote_saying_where_the_rest_is(monkeypatch, tmp_path):
    from analysis.tlg import files
    from analysis.tlg.catalogue import BY_NAME

    listing = adverse_events.ae_listing(ADSL, ADAE, "serious")  # 2 events
    monkeypatch.setattr(files, "LISTING_ROWS_PRINTED", 2)
    files.write_rtf(BY_NAME["tlg_ael_serious"], listing, 5, ["note"], tmp_path / "whole.rtf")
    assert "every event is in" not in (tmp_path / "whole.rtf").read_text()
    monkeypatch.setattr(files, "LISTING_ROWS_PRINTED", 1)
    files.write_rtf(BY_NAME["tlg_ael_serious"], listing, 5, ["note"], tmp_path / "cut.rtf")
    cut = (tmp_path / "cut.rtf").read_text()
    assert "The first 1 of 2 events are printed" in cut and "reporting.tlg" in cut
    assert "P1" in cut and "P4" not in cut


def test_a_table_longer_than_a_page_is_written_page_by_page_into_one_file(monkeypatch, tmp_path):
    from analysis.tlg import files
    from analysis.tlg.catalogue import BY_NAME

    table = adverse_events.aet04(ADSL, ADAE)  # 24 printed rows
    monkeypatch.setattr(files, "TABLE_ROWS_PER_PAGE", 10)
    assert len(files.rtf_documents(BY_NAME["tlg_aet04"], table, 5, ["the method"])) == 3
    files.write_rtf(BY_NAME["tlg_aet04"], table, 5, ["the method"], tmp_path / "aet04.rtf")
    text = (tmp_path / "aet04.rtf").read_text()
    assert text.count("Table 14.3.4 (AET04)") == 3 and text.count("the method") == 1
    assert text.index("Vascular disorders") > text.index("General disorders")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aet04.rtf"]  # the pages are not left behind


def test_an_empty_table_says_so(tmp_path):
    from analysis.tlg import files
    from analysis.tlg.catalogue import BY_NAME
    from analysis.tlg.layout import TableBuilder

    empty = TableBuilder([]).frame()  # EXT01 of a study whose ADEX has none of our parameters
    files.write_rtf(BY_NAME["tlg_ext01"], empty, 254, ["note"], tmp_path / "ext01.rtf")
    assert "No data for this table in this study." in (tmp_path / "ext01.rtf").read_text()


def test_fonts_loaded_once_give_the_same_files_and_load_each_font_once(monkeypatch, tmp_path):
    """rtflite's width measurement with its fonts kept (files.fonts_loaded_once) against rtflite as
    shipped, which loads the TrueType file again for every string it measures."""
    from importlib import resources

    from PIL import ImageFont
    from rtflite import strwidth

    from analysis.tlg import files
    from analysis.tlg.catalogue import BY_NAME

    truetype, keep_fonts = ImageFont.truetype, files.fonts_loaded_once
    loaded: list[tuple[str, float]] = []

    def counted(path, size=10, *args, **kwargs):
        loaded.append((str(path), size))
        return truetype(path, size, *args, **kwargs)

    tables = [
        ("tlg_ael_serious", adverse_events.ae_listing(ADSL, ADAE, "serious")),
        ("tlg_aet04", adverse_events.aet04(ADSL, ADAE)),
        ("tlg_dst01", disposition.dst01(ADSL, ARMS)),
    ]

    def write_all(folder):
        folder.mkdir()
        for name, table in tables:
            files.write_rtf(BY_NAME[name], table, 5, ["a note"], folder / f"{name}.rtf")
        return {path.name: path.read_bytes() for path in folder.iterdir()}

    # rtflite as shipped (whatever an earlier test did to its module is undone at this test's end)
    monkeypatch.setattr(ImageFont, "truetype", counted)
    monkeypatch.setattr(strwidth, "ImageFont", ImageFont)
    monkeypatch.setattr(strwidth, "pkg_resources", resources)
    monkeypatch.setattr(files, "fonts_loaded_once", lambda: None)
    as_shipped = write_all(tmp_path / "as-shipped")
    # If this fails, rtflite keeps its fonts itself and fonts_loaded_once can go.
    assert len(loaded) > 10 * len(set(loaded)), "rtflite no longer loads a font for each string"

    monkeypatch.setattr(files, "fonts_loaded_once", keep_fonts)
    loaded.clear()
    assert write_all(tmp_path / "kept") == as_shipped  # byte for byte
    assert sorted(loaded) == sorted(set(loaded)) and loaded  # each font and size loaded once
    loaded.clear()
    assert write_all(tmp_path / "again") == as_shipped
    assert loaded == []  # kept for the life of the process
