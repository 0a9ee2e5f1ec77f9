"""lintas show, and the date/source filters of lintas search, on the seeds index."""
from __future__ import annotations

from conftest import EN_SEED, ID_SEEDS, run, run_json, seed_id

KOMPAS = seed_id("004_111cb5bf34ac05bb")
SEED_002 = seed_id("002_a5b2618d017f9403")


def test_junk_words_no_longer_find_the_lukashenko_articles(runner, seeds_index):
    for query in ("Singapore Airlines", "Israel", "Bandar Togel", "Netanyahu", "Hipersonik"):
        assert run_json(runner, "search", query, "--mode", "keyword", "--index", seeds_index) == [], query


def test_show_prints_the_cleaned_article_with_metadata(runner, seeds_index):
    result = run(runner, "show", KOMPAS, "--index", seeds_index)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "Terus Didesak Mundur, Presiden Belarus Akan ke Rusia Minta Bantuan Putin",
        f"id: {KOMPAS}", "lang: id", "date: 2020-09-11", "source: kompas.com", "author: Aditya Jaya Iswara",
        f"path: {lines[6][6:]}",
    ]
    assert "Terkini Lainnya" not in result.stdout and "Singapore" not in result.stdout
    assert "mempermainkannya untuk melawan Uni Eropa." in result.stdout
    cuts = [cut for cut in run_json(runner, "show", KOMPAS, "--index", seeds_index)["removed"]
            if cut["reason"] != "blank"]
    assert len(cuts) == 62
    assert result.stderr == "(62 lines removed as boilerplate; --raw shows them)\n"


def test_show_raw_marks_every_cut_line(runner, seeds_index):
    result = run(runner, "show", KOMPAS, "--raw", "--index", seeds_index)
    assert result.exit_code == 0
    assert "- Terkini Lainnya  [related]" in result.stdout
    assert "- Baca juga: Pilpres Belarus Ricuh, Capres sampai Kabur ke Negara Tetangga  [teaser]" in result.stdout
    assert "- Login untuk memaksimalkan pengalaman mengakses Kompas.com  [prompt]" in result.stdout
    assert "  Wanita berusia 38 tahun itu kini sedang berlindung di Lithuani usai terus mendapat tekanan." in result.stdout


def test_show_json(runner, seeds_index):
    shown = run_json(runner, "show", SEED_002, "--raw", "--index", seeds_index)
    assert {k: shown[k] for k in ("id", "title", "lang", "date", "source", "author", "url")} == {
        "id": SEED_002, "title": "Putin, Lukashenka Menyimpulkan Pembicaraan Saat Barat Meningkatkan Tekanan",
        "lang": "id", "date": "2021-02-22", "source": "seeds", "author": None, "url": None}
    assert [(cut["text"], cut["reason"]) for cut in shown["removed"] if cut["reason"] != "blank"] == [
        ("Breaking News", "furniture"),
        ("Hak Cipta (c) 2018. RFE / RL, Inc. Diterbitkan ulang dengan izin dari Radio Free Europe / Radio "
         "Liberty, 1201 Connecticut Ave NW, Ste 400, Washington DC 20036", "copyright"),
        ("Author : Bandar Togel", "byline")]
    assert shown["raw_text"].endswith("Author : Bandar Togel")
    assert "Bandar Togel" not in shown["text"]


def test_show_unknown_id_is_a_clear_error(runner, seeds_index):
    result = run(runner, "show", "nope", "--index", seeds_index)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no document 'nope' in the index; lintas search shows document ids"


def test_date_filters_keep_only_dated_documents_in_range(runner, seeds_index):
    for mode in ("hybrid", "keyword", "semantic"):
        def ids(*options):
            hits = run_json(runner, "search", "Putin Lukashenko", "--mode", mode, *options, "--index", seeds_index)
            return {hit["id"] for hit in hits}
        assert ids("--since", "2020-09-11") == {KOMPAS, SEED_002}, mode
        assert ids("--since", "2020-09-12") == {SEED_002}, mode
        assert ids("--until", "2020-09") == {KOMPAS}, mode
        assert ids("--since", "2021", "--until", "2021") == {SEED_002}, mode
        assert ids("--until", "2019") == set(), mode


def test_source_filter(runner, seeds_index):
    """Two seeds name their outlet in the dateline ("MOSKWA, KOMPAS.com -", "(Klikanggaran)--");
    the other three have only their folder."""
    kompas, klik = seed_id("004_111cb5bf34ac05bb"), seed_id("000_0dfaffacd213fe91")
    hits = run_json(runner, "search", "Putin", "--source", "Seeds", "--index", seeds_index)
    assert {hit["id"] for hit in hits} == (ID_SEEDS | {EN_SEED}) - {kompas, klik}
    for source in ("kompas.com", "kompas"):
        assert [hit["id"] for hit in run_json(runner, "search", "Putin", "--source", source,
                                              "--index", seeds_index)] == [kompas]
    assert [hit["source"] for hit in run_json(runner, "search", "Putin", "--source", "klikanggaran",
                                              "--index", seeds_index)] == ["klikanggaran"]


def test_bad_date_is_a_usage_error(runner, seeds_index):
    result = run(runner, "search", "Putin", "--since", "11/09/2020", "--index", seeds_index)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--since': '11/09/2020' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")


def test_dates_off_the_calendar_and_empty_ranges_are_usage_errors(runner, seeds_index):
    for options, message in [
        (["--since", "2020-13-45"], "Invalid value for '--since': '2020-13-45' is not on the calendar "
                                    "(month must be in 1..12)"),
        (["--since", "2020-02-30"], "Invalid value for '--since': '2020-02-30' is not on the calendar "
                                    "(day is out of range for month)"),
        (["--until", "2021-00"], "Invalid value for '--until': '2021-00' is not on the calendar "
                                 "(month must be in 1..12)"),
        (["--since", "2021", "--until", "2020"], "Invalid value for '--since' / '--until': 2021 is after 2020: "
                                                 "no day is in that range"),
        (["--since", "2020-09-12", "--until", "2020-09-11"], "Invalid value for '--since' / '--until': "
                                                             "2020-09-12 is after 2020-09-11: no day is in that range"),
    ]:
        result = run(runner, "search", "Putin", *options, "--index", seeds_index)
        assert (result.exit_code, result.stdout) == (2, ""), options
        assert result.stderr.splitlines()[-1] == f"Error: {message}", options


def test_real_days_months_and_years_stay_accepted(runner, seeds_index):
    def ids(*options):
        return {hit["id"] for hit in run_json(runner, "search", "Putin", *options, "--index", seeds_index)}
    assert ids("--since", "2020-02-29", "--until", "2021-02-28") == {KOMPAS, SEED_002}  # a leap day
    assert ids("--since", "2020-09-11", "--until", "2020-09-11") == {KOMPAS}  # one day
    assert ids("--since", "2021-02", "--until", "2021-02") == {SEED_002}  # one month
    assert ids("--since", "2020", "--until", "2020") == {KOMPAS}  # one year


def test_show_counts_removed_lines_only_when_there_are_some(runner, tmp_path):
    from fakes import FakeEmbedder
    from index.storage.builder import build_index
    from index.embedding.engine import VectorCache

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "clean.txt").write_text("Kopi Gayo\n\nPetani kopi Gayo panen raya.\n\nHarga naik.\n")
    (corpus / "teaser.txt").write_text("Kopi Gayo\n\nPetani kopi Gayo panen raya.\nBaca juga: Harga kopi naik\n")
    (corpus / "two.txt").write_text("Kopi Gayo\n\nPetani kopi Gayo panen raya.\nBaca juga: Harga kopi naik\n"
                                    "ADVERTISEMENT\n")
    embedder = FakeEmbedder()
    build_index([corpus], tmp_path / "index", embedder, cache=VectorCache(embedder, tmp_path / "cache.sqlite"))
    results = {name: run(runner, "show", corpus / f"{name}.txt", "--index", tmp_path / "index")
               for name in ("clean", "teaser", "two")}
    assert {name: (r.exit_code, r.stderr) for name, r in results.items()} == {
        "clean": (0, ""),  # blank lines are dropped too, but they are not boilerplate
        "teaser": (0, "(1 line removed as boilerplate; --raw shows them)\n"),
        "two": (0, "(2 lines removed as boilerplate; --raw shows them)\n"),
    }
    # The text, then the list of the other documents of its story: the teaser and the other
    # copy are one text once cleaned (one story); "clean" says one more thing, so it stands apart.
    text, story = results["clean"].stdout.split("\n\nSame story", 1)
    assert text.startswith("Kopi Gayo\nid: ")  # the title once: the body's first line is not printed again
    assert text.endswith("\n\nPetani kopi Gayo panen raya.\n\nHarga naik.") and text.count("Kopi Gayo") == 1
    assert story == ": no other article in the index.\n"
    assert results["teaser"].stdout.split("\n\nSame story", 1)[1].startswith(" (1 other article):\n")
