"""Complaints as evidence of demand: loading with per-line errors, cleaning, clustering with the real
encoders on a small slice of the real Traffy complaints, drafts quoting verbatim, evaluation and
the gap ranking on a constructed case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher import taxonomy
from matcher.complaints.categories import main_theme, sectors_of_themes, themes_of_labels
from matcher.complaints.cleaning import headline, problem_lines, problem_text
from matcher.complaints.gaps import build_gap_map, gaps_csv, gaps_png, is_strong
from matcher.complaints.loading import load_text, parse_mapping, resolve_district

TRAFFY = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "traffy-fondue" / "complaints.jsonl"
SLICE = 150
needs_traffy = pytest.mark.skipif(not TRAFFY.exists(), reason="shared benchmarks absent")


def traffy_lines(n: int = SLICE) -> list[str]:
    return TRAFFY.read_text(encoding="utf-8").splitlines()[:n]


# --- loading -----------------------------------------------------------------------------------

def test_jsonl_errors_are_reported_per_line_and_good_lines_kept():
    good = {"_id": "A1", "text": "ไฟถนนดับทั้งซอย", "labels": ["แสงสว่าง", "ถนน"], "district": "บางกะปิ",
            "timestamp": "2023-05-14T09:19:21+00:00", "state": "รอรับเรื่อง"}
    lines = [json.dumps(good, ensure_ascii=False),
             "{not json",
             json.dumps({**good, "_id": "A2", "text": "   "}, ensure_ascii=False),
             json.dumps({**good, "_id": "A3", "timestamp": "yesterday"}, ensure_ascii=False),
             json.dumps({**good}, ensure_ascii=False),  # duplicate of line 1
             "[1, 2]",
             json.dumps({**good, "_id": "A4", "district": "Atlantis"}, ensure_ascii=False)]
    result = load_text("\n".join(lines) + "\n", "jsonl", source="t.jsonl")
    assert [c.id for c in result.complaints] == ["A1", "A4"]
    assert result.lines == 7
    by_line = {e.line: e for e in result.errors}
    assert sorted(by_line) == [2, 3, 4, 5, 6]
    assert "not valid JSON" in by_line[2].problem
    assert (by_line[3].field, by_line[3].problem) == ("text", "missing or empty")
    assert by_line[4].field == "timestamp" and "not a date/time" in by_line[4].problem
    assert "duplicate id 'A1' (first at line 1)" in by_line[5].problem
    first, unknown = result.complaints
    assert first.text == good["text"] and first.district == "bang_kapi" and first.categories == ["แสงสว่าง", "ถนน"]
    assert first.month() == "2023-05"
    assert unknown.district is None and unknown.district_raw == "Atlantis"  # kept as evidence, not placed


def test_csv_with_column_mapping():
    csv_text = ("ticket_id,description,khet,type,when\n"
                "T1,\"ฝาท่อระบายน้ำชำรุด\nหน้าตลาด\",เขตวังทองหลาง,\"ท่อระบายน้ำ,ถนน\",2023-03-02 10:00\n"
                "T2,,Bang Kapi,ถนน,2023-03-03 10:00\n"
                "T3,ถนนเป็นหลุม,Bang Kapi District,ถนน,2023-04-01T08:00:00+07:00\n")
    mapping = parse_mapping(["id=ticket_id,text=description", "district=khet", "categories=type,created_at=when"])
    result = load_text(csv_text, "csv", mapping)
    assert [c.id for c in result.complaints] == ["T1", "T3"]
    assert result.complaints[0].text == "ฝาท่อระบายน้ำชำรุด\nหน้าตลาด"  # verbatim, newline kept
    assert result.complaints[0].district == "wang_thonglang" and result.complaints[1].district == "bang_kapi"
    assert result.complaints[0].categories == ["ท่อระบายน้ำ", "ถนน"]
    [error] = result.errors
    assert (error.line, error.field, error.problem) == (4, "description", "missing or empty")  # record 2 starts at line 4


def test_csv_without_the_text_column_says_how_to_map_it():
    result = load_text("id,body\n1,x\n", "csv")
    assert result.complaints == [] and result.errors[0].field == "text" and "text=COLUMN" in result.errors[0].problem


def test_bad_mapping_is_refused():
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        parse_mapping(["colour=red"])
    with pytest.raises(ValueError, match="FIELD=COLUMN"):
        parse_mapping(["text"])


def test_district_names_resolve():
    assert resolve_district("เขตบางกะปิ") == "bang_kapi"
    assert resolve_district("Wang Thonglang") == "wang_thonglang"
    assert resolve_district("") is None and resolve_district("นนทบุรี") is None


# --- cleaning and taxonomy --------------------------------------------------------------------

def test_problem_lines_drop_the_traffy_form():
    text = ("* ปัญหา:  ร้านอาหารเปิดเพลงส่งเสียงดังรบกวน ยามดึก\n* จุดเกิดเหตุ: ชื่อร้าน Cupid Bar\n* บ้านเลขที่: [HOUSE_NO]\n"
            "* ซอย: สุขุมวิท 22\n* แขวง: คลองเตย\n* เขต: คลองเตย\n#1555")
    assert problem_lines(text) == ["ร้านอาหารเปิดเพลงส่งเสียงดังรบกวน ยามดึก"]
    assert headline("ปัญหา : สาธารณูปโภค เนื่องจาก ไฟฟ้าส่องสว่างดับ 1 ดวง") == "ไฟฟ้าส่องสว่างดับ 1 ดวง"
    assert headline("สวัสดีครับ\nไฟถนนดับทั้งซอย มืดมาก") == "ไฟถนนดับทั้งซอย มืดมาก"
    assert problem_text("ถนนพัง เนื่องจาก รถบรรทุก") == "ถนนพัง เนื่องจาก รถบรรทุก"  # only call-centre categories are cut
    long = "ก" * 50 + " " + "ข" * 200
    assert headline(long, 140).endswith("…") and len(headline(long, 140)) <= 140


def test_themes_prefer_the_specific_label():
    assert themes_of_labels(["ถนน", "แสงสว่าง", "ร้องเรียน"]) == ["traffic_transport", "street_lighting"]
    background = {"traffic_transport": 0.5, "street_lighting": 0.09}
    assert main_theme({"traffic_transport": 60, "street_lighting": 40}, background) == "street_lighting"
    assert main_theme({"waste": 20, "homelessness": 2}, {"waste": 0.12, "homelessness": 0.01}) == "waste"
    assert main_theme({}) is None
    assert set(sectors_of_themes(["flooding_drainage"])) <= set(taxonomy.keys("sector"))


# --- clustering and drafts on real complaints, real encoders --------------------------------

@pytest.fixture(scope="module")
def small_plan(default_encoders):
    from matcher.complaints.clustering import ClusterSettings
    from matcher.complaints.pipeline import plan

    result = load_text("\n".join(traffy_lines()) + "\n", "jsonl", source="traffy")
    assert not result.errors
    return plan(result.complaints, default_encoders, "both", ClusterSettings(min_size=3, within_min_size=2))


@needs_traffy
def test_drafts_quote_complaints_verbatim_and_count_right(small_plan):
    texts = {c.id: c.text for c in small_plan.complaints}
    assert small_plan.drafts, "150 real complaints should give at least one draft"
    assert small_plan.vectors.shape == (SLICE, 384 + 512)
    for draft in small_plan.drafts:
        members = [texts[i] for i in draft.complaint_ids]
        assert len(set(draft.complaint_ids)) == draft.size == len(members)
        assert min(3, draft.size) <= len(draft.examples) <= 5
        for example, example_id in zip(draft.examples, draft.example_ids):
            assert example_id in draft.complaint_ids and example in texts[example_id]  # verbatim
        assert draft.title and any(draft.title.rstrip("…") in problem_text(m) for m in members)
        assert draft.description.splitlines()[0].rstrip("…") in problem_text(texts[draft.complaint_ids[0]]) or \
            any(draft.description.splitlines()[0].rstrip("…") in problem_text(m) for m in members)
        assert sum(draft.months.values()) == draft.size and sum(draft.district_counts.values()) <= draft.size
        assert all(d in taxonomy.keys("district") for d in draft.districts)
        assert draft.theme is None or draft.theme in taxonomy.keys("theme")
        assert draft.scope in ("across", "within")
        if draft.scope == "within":
            assert len(draft.districts) == 1
    assert len(small_plan.themes) == SLICE


@needs_traffy
def test_plan_is_deterministic_and_cached(small_plan, default_encoders):
    import time

    from matcher.complaints.clustering import ClusterSettings
    from matcher.complaints.pipeline import plan

    start = time.perf_counter()
    again = plan(small_plan.complaints, default_encoders, "both", ClusterSettings(min_size=3, within_min_size=2))
    assert time.perf_counter() - start < 20  # vectors come from the embedding cache
    assert [d.model_dump() for d in again.drafts] == [d.model_dump() for d in small_plan.drafts]


@needs_traffy
def test_evaluation_scores_are_in_range(small_plan):
    from matcher.complaints.evaluation import evaluate, render_markdown

    report = evaluate(small_plan, 0.6, 3, 2)
    assert report.complaints == SLICE and report.drafts == len(small_plan.drafts)
    assert 0 < report.covered <= SLICE
    for scores in report.scores:
        assert -1 <= scores.adjusted_rand <= 1 and 0 <= scores.v_measure <= 1 and 0 <= scores.purity <= 1
    text = render_markdown(report, "slice.jsonl")
    assert f"{report.covered_share:.1%}" in text and f"{report.scores[0].adjusted_rand:.3f}" in text


# --- the gap map ------------------------------------------------------------------------------

def test_gap_ranking_on_a_constructed_case():
    complaints = {("flooding_drainage", "bang_kapi"): 30, ("waste", "bang_kapi"): 12, ("noise", "dusit"): 3,
                  ("street_lighting", "dusit"): 40}
    challenges = {("flooding_drainage", "bang_kapi"): 1, ("canals", "dusit"): 2}
    capable = {("flooding_drainage", "bang_kapi"): ["in-1", "in-2", "in-1"], ("street_lighting", "dusit"): ["in-3"]}
    gap_map = build_gap_map(complaints, challenges, capable, unplaced_complaints=4)
    order = [(c.theme, c.district) for c in gap_map.cells]
    # gaps (demand, nobody capable) first by demand; then the others by demand / (1 + capable)
    assert order == [("waste", "bang_kapi"), ("noise", "dusit"), ("canals", "dusit"), ("street_lighting", "dusit"),
                     ("flooding_drainage", "bang_kapi")]
    flood = gap_map.cell("flooding_drainage", "bang_kapi")
    assert flood.demand == 31 and flood.capable == 2 and flood.gap_score == pytest.approx(31 / 3)
    assert [c.theme for c in gap_map.gaps] == ["waste", "noise", "canals"]
    environment = next(s for s in gap_map.sectors if s.sector == "environment")
    assert environment.complaints == 12 + 3 + 0  # waste, noise, canals (canals: challenges only)
    assert environment.open_challenges == 2
    assert len(gap_map.sectors) == len(taxonomy.SECTORS)
    csv_text = gaps_csv(gap_map)
    assert csv_text.splitlines()[1].startswith("1,waste,") and "บางกะปิ" in csv_text
    assert gaps_png(gap_map)[:8] == b"\x89PNG\r\n\x1a\n"


def test_capability_rule():
    assert is_strong(72, "strong", 0.0) and not is_strong(50, "possible", 9.0)
    assert is_strong(None, None, 6.0) and not is_strong(None, None, 1.0)


def test_evidence_on_a_challenge_is_validated():
    from pydantic import ValidationError

    from matcher.records import Challenge

    challenge = Challenge(agency="สำนักงานเขตบางกะปิ", title="t", description="d",
                          evidence={"count": 2, "complaint_ids": ["a", "b"], "districts": ["Bang Kapi"],
                                    "months": {"2023-05": 2}, "draft_id": "draft-across-a"})
    assert challenge.evidence.districts == ["bang_kapi"]
    with pytest.raises(ValidationError):
        Challenge(agency="x", title="t", description="d", evidence={"count": 0})
